#include "tests/tls/tls_stream.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstdio>
#include <cstdlib>

namespace socketsvc::tls {
namespace {

std::string LastOpenSslError() {
  const unsigned long code = ERR_peek_last_error();
  if (code == 0) return "";
  char buffer[256];
  ERR_error_string_n(code, buffer, sizeof(buffer));
  return buffer;
}

}  // namespace

void DieWithOpenSslError(const std::string& what) {
  std::fprintf(stderr, "tests/tls: %s\n", what.c_str());
  ERR_print_errors_fp(stderr);
  std::abort();
}

void TlsStream::SslDeleter::operator()(SSL* ssl) const { SSL_free(ssl); }

TlsStream::TlsStream(peers::PeerConnection& conn, SSL_CTX* ctx,
                     TlsRecording* recording)
    : conn_(conn), recording_(recording), ssl_(SSL_new(ctx)) {
  if (ssl_ == nullptr) DieWithOpenSslError("SSL_new");
  rbio_ = BIO_new(BIO_s_mem());
  wbio_ = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl_.get(), rbio_, wbio_);  // The SSL owns both now.
  SSL_set_accept_state(ssl_.get());
  SSL_set_app_data(ssl_.get(), recording_);
}

TlsStream::~TlsStream() = default;

void TlsStream::Feed(std::string_view bytes) {
  if (!bytes.empty()) BIO_write(rbio_, bytes.data(), bytes.size());
}

bool TlsStream::Accept() {
  int ret = 0;
  Result result = Drive([this] { return SSL_accept(ssl_.get()); }, &ret);
  if (result != Result::kOk) {
    recording_->handshake_failed = true;
    std::string reason = error_;
    const long verify = SSL_get_verify_result(ssl_.get());
    if (verify != X509_V_OK) {
      reason += std::string(" (client certificate: ") +
                X509_verify_cert_error_string(verify) + ")";
    }
    recording_->handshake_error =
        reason.empty() ? "connection ended during the handshake" : reason;
    return false;
  }
  recording_->handshake_done = true;
  recording_->protocol = SSL_get_version(ssl_.get());
  const unsigned char* alpn = nullptr;
  unsigned int alpn_len = 0;
  SSL_get0_alpn_selected(ssl_.get(), &alpn, &alpn_len);
  recording_->alpn_selected.assign(reinterpret_cast<const char*>(alpn),
                                   alpn_len);
  if (X509* cert = SSL_get0_peer_certificate(ssl_.get())) {
    BIO* out = BIO_new(BIO_s_mem());
    X509_NAME_print_ex(out, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
    char* text = nullptr;
    const long len = BIO_get_mem_data(out, &text);
    recording_->client_cert_subject.assign(text, len);
    BIO_free(out);
  }
  return true;
}

TlsStream::Result TlsStream::Read(std::string* out) {
  char buffer[16384];
  int ret = 0;
  Result result =
      Drive([&] { return SSL_read(ssl_.get(), buffer, sizeof(buffer)); }, &ret);
  if (result == Result::kOk) out->assign(buffer, ret);
  return result;
}

TlsStream::Result TlsStream::Write(std::string_view data) {
  while (!data.empty()) {
    int ret = 0;
    Result result = Drive(
        [&] { return SSL_write(ssl_.get(), data.data(), data.size()); }, &ret);
    if (result != Result::kOk) return result;
    data.remove_prefix(ret);
  }
  return Result::kOk;
}

bool TlsStream::SendCloseNotify() {
  ERR_clear_error();
  SSL_shutdown(ssl_.get());
  return Flush();
}

bool TlsStream::ReceivedCloseNotify() const {
  return (SSL_get_shutdown(ssl_.get()) & SSL_RECEIVED_SHUTDOWN) != 0;
}

template <typename Op>
TlsStream::Result TlsStream::Drive(Op op, int* ret) {
  for (;;) {
    ERR_clear_error();
    const int r = op();
    const int error = r > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl_.get(), r);
    if (error != SSL_ERROR_NONE) error_ = LastOpenSslError();
    if (!Flush()) return Result::kFailed;
    if (r > 0) {
      *ret = r;
      return Result::kOk;
    }
    switch (error) {
      case SSL_ERROR_ZERO_RETURN:
        return Result::kCloseNotify;
      case SSL_ERROR_WANT_READ: {
        if (tcp_eof_) return Result::kEof;
        const Result fill = Fill();
        if (fill != Result::kOk) return fill;
        continue;
      }
      case SSL_ERROR_WANT_WRITE:
        continue;  // Memory BIOs take everything; Flush() sent it.
      default:
        return tcp_eof_ ? Result::kEof : Result::kFailed;
    }
  }
}

TlsStream::Result TlsStream::Fill() {
  peers::PeerConnection::ReadResult read = conn_.Read();
  if (read.stopped) return Result::kStopped;
  if (!read.data.empty()) {
    BIO_write(rbio_, read.data.data(), read.data.size());
    return Result::kOk;
  }
  recording_->tcp_ending = read.ending;
  if (read.ending == peers::Ending::kReset) return Result::kReset;
  // From now on an empty BIO reads as EOF instead of "try again", so OpenSSL
  // reports a clean or truncated end rather than waiting for more.
  tcp_eof_ = true;
  BIO_set_mem_eof_return(rbio_, 0);
  return Result::kOk;
}

bool TlsStream::Flush() {
  char* data = nullptr;
  const long pending = BIO_get_mem_data(wbio_, &data);
  if (pending <= 0) return true;
  const bool sent = conn_.SendAll(std::string_view(data, pending));
  (void)BIO_reset(wbio_);
  return sent;
}

}  // namespace socketsvc::tls
