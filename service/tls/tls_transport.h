// TLS over a connected TCP transport, with OpenSSL reading and writing the
// non-blocking socket itself (SSL_set_fd): no buffers of ours in between.
//
// OpenSSL reports "want read"/"want write"; the Session waits for that
// readiness on its strand exactly as for plain TCP. Not thread-safe: one
// strand owns it.
#ifndef SOCKETSVC_SERVICE_TLS_TLS_TRANSPORT_H_
#define SOCKETSVC_SERVICE_TLS_TLS_TRANSPORT_H_

#include <memory>
#include <string>

#include "service/net/transport.h"
#include "service/tls/openssl_util.h"

namespace socketsvc {

class TlsTransport : public Transport {
 public:
  // `lower` carries the TCP connection; `ssl` is a client SSL object from
  // TlsClientContext::NewSsl.
  TlsTransport(std::unique_ptr<Transport> lower, UniqueSsl ssl,
               std::string server_name, bool verify);

  // One step of the client handshake: done (bytes == 0, would_block false),
  // or would_block with the direction to wait for, or the failure:
  // CERT_VERIFY_FAILED with OpenSSL's reason ("certificate has expired",
  // "hostname mismatch"), TLS_HANDSHAKE_FAILED, or the socket's errno.
  absl::StatusOr<IoProgress> TryHandshake();

  absl::StatusOr<IoProgress> TryRead(std::string& out,
                                     size_t max_append) override;
  // SSL_peek: decrypted bytes stay in OpenSSL's buffer for the next read.
  absl::StatusOr<IoProgress> TryPeek(std::string& out,
                                     size_t max_append) override;
  absl::StatusOr<IoProgress> TryWrite(absl::string_view data) override;
  // Sends close_notify, then FIN.
  absl::Status ShutdownSend() override;
  // RST without close_notify.
  void Abort() override;
  void Close() override;
  boost::asio::ip::tcp::socket& socket() override { return lower_->socket(); }
  const v1::TlsInfo* tls_info() const override {
    return handshake_done_ ? &info_ : nullptr;
  }

 private:
  // SSL_read_ex or SSL_peek_ex into `out`.
  absl::StatusOr<IoProgress> Read(std::string& out, size_t max_append, bool peek);
  // Maps an SSL_get_error result of a read, write or handshake.
  absl::StatusOr<IoProgress> Outcome(int ret, absl::string_view operation);
  void CaptureInfo();

  std::unique_ptr<Transport> lower_;
  UniqueSsl ssl_;
  const std::string server_name_;
  const bool verify_;
  bool handshake_done_ = false;
  v1::TlsInfo info_;
};

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_TLS_TLS_TRANSPORT_H_
