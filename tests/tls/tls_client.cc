#include "tests/tls/tls_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "absl/strings/str_cat.h"

namespace socketsvc::tls {
namespace {

std::string OpenSslErrors() {
  std::string errors;
  while (unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof(buffer));
    absl::StrAppend(&errors, errors.empty() ? "" : "; ", buffer);
  }
  return errors.empty() ? "no OpenSSL error queued" : errors;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TlsClient>> TlsClient::Connect(
    const std::string& host, uint16_t port,
    std::chrono::milliseconds io_timeout) {
  // SSL_write to a peer that reset must fail, not raise SIGPIPE.
  static std::once_flag once;
  std::call_once(once, [] { signal(SIGPIPE, SIG_IGN); });

  sockaddr_storage addr{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    len = sizeof(*v4);
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    len = sizeof(*v6);
  } else {
    return absl::InvalidArgumentError("not a numeric address: " + host);
  }
  std::unique_ptr<TlsClient> client(new TlsClient());
  client->fd_ = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (client->fd_ < 0) return absl::ErrnoToStatus(errno, "socket");
  timeval tv{};
  tv.tv_sec = io_timeout.count() / 1000;
  tv.tv_usec = (io_timeout.count() % 1000) * 1000;
  setsockopt(client->fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(client->fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  if (connect(client->fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    return absl::ErrnoToStatus(errno,
                               absl::StrCat("connect ", host, ":", port));
  }
  return client;
}

TlsClient::~TlsClient() {
  Close();
  SSL_free(ssl_);
  SSL_CTX_free(ctx_);
}

bool TlsClient::SendPlain(std::string_view data) {
  while (fd_ >= 0 && !data.empty()) {
    ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(n);
  }
  return fd_ >= 0;
}

std::string TlsClient::ReadPlainLine() {
  // One byte at a time: what follows the line may be TLS, which must stay
  // in the socket for OpenSSL.
  std::string line;
  char c = 0;
  while (fd_ >= 0 && recv(fd_, &c, 1, 0) == 1) {
    line += c;
    if (c == '\n') break;
  }
  return line;
}

absl::Status TlsClient::Handshake(const Options& options) {
  ctx_ = SSL_CTX_new(TLS_client_method());
  if (ctx_ == nullptr) return absl::InternalError(OpenSslErrors());
  if (!options.ca_path.empty()) {
    if (SSL_CTX_load_verify_locations(ctx_, options.ca_path.c_str(), nullptr) !=
        1) {
      return absl::InternalError("CA file: " + OpenSslErrors());
    }
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
  }
  if (!options.cert_path.empty() &&
      (SSL_CTX_use_certificate_chain_file(ctx_, options.cert_path.c_str()) !=
           1 ||
       SSL_CTX_use_PrivateKey_file(ctx_, options.key_path.c_str(),
                                   SSL_FILETYPE_PEM) != 1)) {
    return absl::InternalError("client certificate: " + OpenSslErrors());
  }
  if (!options.alpn.empty()) {
    std::string wire;
    for (const std::string& protocol : options.alpn) {
      wire += static_cast<char>(protocol.size());
      wire += protocol;
    }
    SSL_CTX_set_alpn_protos(
        ctx_, reinterpret_cast<const unsigned char*>(wire.data()), wire.size());
  }
  ssl_ = SSL_new(ctx_);
  SSL_set_fd(ssl_, fd_);
  if (!options.sni.empty()) {
    SSL_set_tlsext_host_name(ssl_, options.sni.c_str());
    if (!options.ca_path.empty()) SSL_set1_host(ssl_, options.sni.c_str());
  }
  if (!options.verify_ip.empty()) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_),
                                  options.verify_ip.c_str());
  }
  ERR_clear_error();
  if (SSL_connect(ssl_) != 1) {
    std::string reason = OpenSslErrors();
    const long verify = SSL_get_verify_result(ssl_);
    if (verify != X509_V_OK) {
      absl::StrAppend(&reason, " (", X509_verify_cert_error_string(verify),
                      ")");
    }
    return absl::UnavailableError("handshake failed: " + reason);
  }
  return absl::OkStatus();
}

std::string TlsClient::alpn_selected() const {
  const unsigned char* alpn = nullptr;
  unsigned int len = 0;
  if (ssl_ != nullptr) SSL_get0_alpn_selected(ssl_, &alpn, &len);
  return std::string(reinterpret_cast<const char*>(alpn), len);
}

std::string TlsClient::protocol() const {
  return ssl_ == nullptr ? "" : SSL_get_version(ssl_);
}

bool TlsClient::Write(std::string_view data) {
  if (ssl_ == nullptr || fd_ < 0) return false;
  ERR_clear_error();
  return data.empty() ||
         SSL_write(ssl_, data.data(), static_cast<int>(data.size())) ==
             static_cast<int>(data.size());
}

std::string TlsClient::Read(size_t n) {
  std::string data;
  char buffer[16384];
  while (ssl_ != nullptr && fd_ >= 0 && data.size() < n) {
    ERR_clear_error();
    const int want =
        static_cast<int>(std::min(sizeof(buffer), n - data.size()));
    const int got = SSL_read(ssl_, buffer, want);
    if (got <= 0) break;  // Close, error or SO_RCVTIMEO.
    data.append(buffer, got);
  }
  return data;
}

bool TlsClient::ReadUntilCloseNotify(std::string* data) {
  char buffer[16384];
  while (ssl_ != nullptr && fd_ >= 0) {
    ERR_clear_error();
    const int got = SSL_read(ssl_, buffer, sizeof(buffer));
    if (got > 0) {
      if (data != nullptr) data->append(buffer, got);
      continue;
    }
    return SSL_get_error(ssl_, got) == SSL_ERROR_ZERO_RETURN;
  }
  return false;
}

void TlsClient::SendCloseNotify() {
  if (ssl_ == nullptr || fd_ < 0) return;
  ERR_clear_error();
  SSL_shutdown(ssl_);
}

void TlsClient::ShutdownWrite() {
  if (fd_ >= 0) shutdown(fd_, SHUT_WR);
}

void TlsClient::Close() {
  if (fd_ < 0) return;
  close(fd_);
  fd_ = -1;
}

void TlsClient::Reset() {
  if (fd_ < 0) return;
  linger abort{1, 0};
  setsockopt(fd_, SOL_SOCKET, SO_LINGER, &abort, sizeof(abort));
  Close();
}

}  // namespace socketsvc::tls
