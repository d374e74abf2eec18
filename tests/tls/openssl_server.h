// A real `openssl s_server` on a loopback port, as a third-party TLS peer.
//
// It runs in -rev mode, which makes its replies deterministic:
//   * every line the client sends (up to "\n"; a trailing "\r\n" or "\n" is
//     dropped) comes back reversed and terminated by "\n" alone:
//     "hello\n" -> "olleh\n", "hello\r\n" -> "olleh\n";
//   * a line that is exactly "CLOSE" makes the server end the connection: no
//     reply, a close_notify, then close;
//   * a client's close_notify is answered with s_server's own, then close;
//   * it serves one connection at a time, any number of them in turn.
//
// What the client did is read from s_server's own log: "CONNECTION
// ESTABLISHED" per handshake, "CONNECTION FAILURE" per failed one, and
// "CONNECTION CLOSED" when a connection ended (by close_notify, by a bare TCP
// EOF, which OpenSSL 3.0's s_server answers with a fatal decode_error alert,
// or by CLOSE). -msg logs every TLS message, so the alerts each side sent are
// known too: a client's close_notify shows as the received alert "warning
// close_notify", a client that rejected our certificate as e.g. "fatal
// unknown_ca" or "fatal certificate_expired".
//
// SNI is logged only when s_server is given -servername, so it gets one that
// no client sends ("sni-observer.invalid", with -cert2/-key2 the same
// certificate): every SNI a client sends is then printed and the handshake
// goes on with the main certificate. The price: over TLS 1.2 (not 1.3) a
// client that sends SNI gets a warning-level unrecognized_name alert, which
// OpenSSL clients ignore. (A matching -servername would switch s_server to a
// second SSL_CTX that has no ALPN configured.) stdout is line-buffered with
// stdbuf, or those lines would sit in stdio's buffer.
//
// Thread-safety: the observers may be called from any thread; Start and the
// destructor belong to the test thread.
#ifndef SOCKETSVC_TESTS_TLS_OPENSSL_SERVER_H_
#define SOCKETSVC_TESTS_TLS_OPENSSL_SERVER_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/peers/peers.h"
#include "tests/tls/subprocess.h"

namespace socketsvc::tls {

class OpenSslServer {
 public:
  struct Options {
    std::string cert_path;  // Required (e.g. IssuedCertificate::cert_path).
    std::string key_path;   // Required.
    // Trust anchor for client certificates. Set alone, the server asks for a
    // client certificate (-verify 1) and rejects a bad one but accepts none;
    // with require_client_cert, a client without one fails (-Verify 1).
    // Either way with -verify_return_error: s_server's default would log a
    // bad certificate and carry on.
    std::string ca_path;
    bool require_client_cert = false;
    // -alpn: protocols the server accepts, in its order of preference.
    std::vector<std::string> alpn;
    std::string bind_address = "127.0.0.1";  // Or "::1".
    // Appended to the command line, e.g. {"-tls1_2"} or {"-no_tls1_3"}.
    std::vector<std::string> extra_args;
  };

  // Starts s_server on bind_address, port 0 (s_server prints the port it
  // got), and returns once it printed "ACCEPT": it is listening.
  static absl::StatusOr<std::unique_ptr<OpenSslServer>> Start(Options options);

  OpenSslServer(const OpenSslServer&) = delete;
  OpenSslServer& operator=(const OpenSslServer&) = delete;
  ~OpenSslServer() = default;  // The Subprocess stops s_server.

  const std::string& host() const { return host_; }
  uint16_t port() const { return port_; }
  std::string address() const { return HostPort(host_, port_); }

  // Every SNI host name clients sent, in order (clients that sent none do
  // not appear).
  std::vector<std::string> ObservedSnis() const;
  // The first SNI sent, waiting up to `timeout` for one; "" if none.
  std::string ObservedSni(
      std::chrono::milliseconds timeout = peers::kDefaultWait) const;
  // Waits until a client sent SNI `name`.
  bool SawSni(const std::string& name,
              std::chrono::milliseconds timeout = peers::kDefaultWait) const;
  // ALPN protocols s_server selected, one per handshake that negotiated one.
  std::vector<std::string> SelectedAlpn() const;

  int handshakes() const;          // "CONNECTION ESTABLISHED" so far.
  int handshake_failures() const;  // "CONNECTION FAILURE" so far.
  int closes() const;              // "CONNECTION CLOSED" so far.
  bool WaitForHandshakes(
      int n, std::chrono::milliseconds timeout = peers::kDefaultWait) const;
  bool WaitForHandshakeFailures(
      int n, std::chrono::milliseconds timeout = peers::kDefaultWait) const;
  bool WaitForCloses(
      int n, std::chrono::milliseconds timeout = peers::kDefaultWait) const;

  // TLS alerts received from clients / sent to them, in order, as OpenSSL
  // names them: "warning close_notify", "fatal unknown_ca", ...
  std::vector<std::string> AlertsReceived() const;
  std::vector<std::string> AlertsSent() const;
  // Waits until a client's alert `alert` (e.g. "warning close_notify") has
  // been received `n` times in all.
  bool WaitForAlertReceived(
      const std::string& alert, int n = 1,
      std::chrono::milliseconds timeout = peers::kDefaultWait) const;

  // s_server's stdout and stderr so far, for failure messages.
  std::string Output() const { return process_->Output(); }

 private:
  OpenSslServer() = default;
  bool WaitForCount(const std::string& needle, int n,
                    std::chrono::milliseconds timeout) const;

  std::unique_ptr<Subprocess> process_;
  std::string host_;
  uint16_t port_ = 0;
};

}  // namespace socketsvc::tls

#endif  // SOCKETSVC_TESTS_TLS_OPENSSL_SERVER_H_
