// A blocking OpenSSL TLS client for tests of the TLS peers themselves (the
// end-to-end tests use socketd as the client instead). It can speak plain
// text first (STARTTLS), and end a connection in each of the ways a test
// needs to tell apart: close_notify then FIN, FIN alone, or RST.
//
// Not thread-safe: one test thread drives a client.
#ifndef SOCKETSVC_TESTS_TLS_TLS_CLIENT_H_
#define SOCKETSVC_TESTS_TLS_TLS_CLIENT_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace socketsvc::tls {

class TlsClient {
 public:
  struct Options {
    // Verify the server against this CA (and the host name against `sni`,
    // or the IP address when `verify_ip` is set). Empty: no verification.
    std::string ca_path;
    std::string sni;        // Sent as SNI if not empty.
    std::string verify_ip;  // e.g. "127.0.0.1": the cert's IP SAN must match.
    std::vector<std::string> alpn;  // Offered, in this order.
    std::string cert_path;  // Client certificate for mutual TLS (optional).
    std::string key_path;
  };

  // Opens a TCP connection (TLS starts with Handshake). Every later read
  // waits at most `io_timeout`.
  static absl::StatusOr<std::unique_ptr<TlsClient>> Connect(
      const std::string& host, uint16_t port,
      std::chrono::milliseconds io_timeout = std::chrono::seconds(10));

  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;
  ~TlsClient();  // Closes without close_notify if still open.

  // Plain text before TLS: a whole line read up to and including "\n".
  bool SendPlain(std::string_view data);
  std::string ReadPlainLine();

  // The client handshake; the error says why it failed (e.g. "certificate
  // verify failed", "tlsv13 alert certificate required").
  absl::Status Handshake(const Options& options);
  std::string alpn_selected() const;
  std::string protocol() const;

  bool Write(std::string_view data);
  // Reads until `n` bytes arrived (or the stream ended / timed out); returns
  // what arrived.
  std::string Read(size_t n);
  // Reads until the server's close_notify; true if it came (false on EOF
  // without one, an error or the timeout). Data read meanwhile goes to
  // `*data` if not null.
  bool ReadUntilCloseNotify(std::string* data = nullptr);

  void SendCloseNotify();  // SSL_shutdown once: close_notify, no FIN.
  void ShutdownWrite();    // FIN (shutdown(SHUT_WR)), no close_notify.
  void Close();            // close(): FIN, or RST if data was unread.
  void Reset();            // close() with SO_LINGER {1, 0}: RST.

 private:
  TlsClient() = default;

  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;  // Owned.
  SSL* ssl_ = nullptr;      // Owned.
};

}  // namespace socketsvc::tls

#endif  // SOCKETSVC_TESTS_TLS_TLS_CLIENT_H_
