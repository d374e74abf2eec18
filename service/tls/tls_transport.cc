#include "service/tls/tls_transport.h"

#include <openssl/err.h>

#include <algorithm>
#include <cerrno>

#include "absl/strings/str_cat.h"
#include "common/socket_error.h"
#include "service/ops/counters.h"
#include "service/tls/peer_certificate.h"

namespace socketsvc {
namespace {

// A TLS record carries at most 16 KiB of plaintext.
constexpr size_t kTlsRecord = 16 * 1024;

IoProgress WouldBlock(bool other_direction) {
  IoProgress progress;
  progress.would_block = true;
  progress.wants_other_direction = other_direction;
  return progress;
}

}  // namespace

TlsTransport::TlsTransport(std::unique_ptr<Transport> lower, UniqueSsl ssl,
                           std::string server_name, bool verify)
    : lower_(std::move(lower)),
      ssl_(std::move(ssl)),
      server_name_(std::move(server_name)),
      verify_(verify) {
  SSL_set_fd(ssl_.get(), lower_->socket().native_handle());
  SSL_set_connect_state(ssl_.get());
}

absl::StatusOr<IoProgress> TlsTransport::TryHandshake() {
  ERR_clear_error();
  errno = 0;  // SSL_ERROR_SYSCALL leaves errno as the only clue.
  const int ret = SSL_do_handshake(ssl_.get());
  if (ret == 1) {
    handshake_done_ = true;
    CaptureInfo();
    return IoProgress{};
  }
  const int error = SSL_get_error(ssl_.get(), ret);
  if (error == SSL_ERROR_WANT_READ) return WouldBlock(false);
  if (error == SSL_ERROR_WANT_WRITE) return WouldBlock(true);
  const long verify = SSL_get_verify_result(ssl_.get());
  if (error == SSL_ERROR_SSL && verify != X509_V_OK) {
    ERR_clear_error();
    return SocketErrorStatus(
        absl::StatusCode::kFailedPrecondition, v1::SOCKET_ERROR_CERT_VERIFY_FAILED,
        absl::StrCat("TLS certificate of ", server_name_, " not trusted: ",
                     X509_verify_cert_error_string(verify)));
  }
  if (error == SSL_ERROR_SYSCALL && errno != 0) {
    return ErrnoStatus(errno, absl::StrCat("TLS handshake with ", server_name_));
  }
  return SocketErrorStatus(
      absl::StatusCode::kUnavailable, v1::SOCKET_ERROR_TLS_HANDSHAKE_FAILED,
      absl::StrCat("TLS handshake with ", server_name_, " failed: ",
                   TakeOpenSslError("the peer closed the connection")));
}

absl::StatusOr<IoProgress> TlsTransport::TryRead(std::string& out,
                                                 size_t max_append) {
  absl::StatusOr<IoProgress> progress = Read(out, max_append, /*peek=*/false);
  if (progress.ok()) CountOps(OpsCounter::kSocketBytesIn, progress->bytes);
  return progress;
}

absl::StatusOr<IoProgress> TlsTransport::TryPeek(std::string& out,
                                                 size_t max_append) {
  return Read(out, max_append, /*peek=*/true);
}

absl::StatusOr<IoProgress> TlsTransport::Read(std::string& out, size_t max_append,
                                              bool peek) {
  if (max_append == 0) return IoProgress{};
  // Grow by what OpenSSL already holds, or by one record.
  const size_t want = std::min(
      max_append, std::max(static_cast<size_t>(SSL_pending(ssl_.get())), kTlsRecord));
  const size_t old_size = out.size();
  out.resize(old_size + want);
  size_t n = 0;
  ERR_clear_error();
  errno = 0;
  const int ret = peek ? SSL_peek_ex(ssl_.get(), out.data() + old_size, want, &n)
                       : SSL_read_ex(ssl_.get(), out.data() + old_size, want, &n);
  out.resize(old_size + (ret == 1 ? n : 0));
  if (ret == 1) {
    IoProgress progress;
    progress.bytes = n;
    return progress;
  }
  return Outcome(ret, "read");
}

absl::StatusOr<IoProgress> TlsTransport::TryWrite(absl::string_view data) {
  if (data.empty()) return IoProgress{};
  size_t n = 0;
  ERR_clear_error();
  errno = 0;
  const int ret = SSL_write_ex(ssl_.get(), data.data(), data.size(), &n);
  if (ret == 1) {
    IoProgress progress;
    progress.bytes = n;
    CountOps(OpsCounter::kSocketBytesOut, n);
    progress.would_block = n < data.size();
    return progress;
  }
  return Outcome(ret, "write");
}

absl::StatusOr<IoProgress> TlsTransport::Outcome(int ret,
                                                 absl::string_view operation) {
  const bool reading = operation == "read";
  switch (SSL_get_error(ssl_.get(), ret)) {
    case SSL_ERROR_WANT_READ:
      return WouldBlock(/*other_direction=*/!reading);
    case SSL_ERROR_WANT_WRITE:
      return WouldBlock(/*other_direction=*/reading);
    case SSL_ERROR_ZERO_RETURN: {
      if (reading) {
        IoProgress progress;
        progress.eof = true;
        return progress;
      }
      return SocketErrorStatus(absl::StatusCode::kFailedPrecondition,
                               v1::SOCKET_ERROR_BROKEN_PIPE,
                               "TLS write after the peer's close_notify", EPIPE);
    }
    case SSL_ERROR_SYSCALL:
      if (errno != 0) return ErrnoStatus(errno, absl::StrCat("TLS ", operation));
      if (reading) {
        IoProgress progress;
        progress.eof = true;
        return progress;
      }
      return ErrnoStatus(EPIPE, absl::StrCat("TLS ", operation));
    default:
      return SocketErrorStatus(
          absl::StatusCode::kUnavailable, v1::SOCKET_ERROR_TLS_PROTOCOL_ERROR,
          absl::StrCat("TLS ", operation, ": ",
                       TakeOpenSslError("protocol error")));
  }
}

absl::Status TlsTransport::ShutdownSend() {
  if (handshake_done_) {
    // close_notify first, so the peer can tell our end from a truncation.
    // A full send buffer may hold it back; the FIN goes out regardless.
    ERR_clear_error();
    SSL_shutdown(ssl_.get());
    ERR_clear_error();
  }
  return lower_->ShutdownSend();
}

void TlsTransport::Abort() { lower_->Abort(); }

void TlsTransport::Close() { lower_->Close(); }

void TlsTransport::CaptureInfo() {
  info_.set_version(SSL_get_version(ssl_.get()));
  if (const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl_.get())) {
    info_.set_cipher(SSL_CIPHER_get_name(cipher));
  }
  const unsigned char* alpn = nullptr;
  unsigned int alpn_length = 0;
  SSL_get0_alpn_selected(ssl_.get(), &alpn, &alpn_length);
  if (alpn != nullptr) info_.set_alpn(reinterpret_cast<const char*>(alpn), alpn_length);
  info_.set_server_name(server_name_);
  info_.set_verified(verify_ && SSL_get_verify_result(ssl_.get()) == X509_V_OK);
  UniqueX509 peer(SSL_get1_peer_certificate(ssl_.get()));
  if (peer) DescribeCertificate(*peer, info_);
}

}  // namespace socketsvc
