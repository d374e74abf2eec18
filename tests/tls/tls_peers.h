// TLS peers written against OpenSSL directly, for end-to-end tests that need
// exact observations of what socketd did on the wire: the SNI and ALPN it
// offered, the client certificate it presented, whether it sent close_notify
// before its FIN, or reset the connection instead.
//
// They are tests/peers Peers (127.0.0.1, ephemeral port, one thread per
// connection, interruptible by the destructor). TLS runs over memory BIOs fed
// from PeerConnection::Read and drained with SendAll, so that every wait
// still watches the peer's stop pipe and the TCP ending (FIN vs RST) is seen
// exactly as the plain peers see it.
//
// Connections are numbered in accept order; each one's TlsRecording is
// published as it changes. Thread-safety: all public methods may be called
// from any thread.
#ifndef SOCKETSVC_TESTS_TLS_TLS_PEERS_H_
#define SOCKETSVC_TESTS_TLS_TLS_PEERS_H_

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "tests/peers/peers.h"

namespace socketsvc::tls {

struct TlsServerOptions {
  std::string cert_path;  // Required: the server certificate (chain), PEM.
  std::string key_path;   // Required.
  // Trust anchor for client certificates. Set alone: a certificate is
  // requested and, if sent, must verify; with require_client_cert a client
  // without one fails the handshake.
  std::string ca_path;
  bool require_client_cert = false;
  // ALPN: the first of these (in this order) that the client offered is
  // selected; if it offered none of them, no ALPN is negotiated.
  std::vector<std::string> alpn = {"http/1.1"};
  int max_version = 0;  // e.g. TLS1_2_VERSION; 0: OpenSSL's default (1.3).
  // TLS 1.3 servers send session tickets after the handshake; a client that
  // never reads them and closes makes its kernel send RST instead of FIN, which
  // would blur the FIN-vs-RST observations. Off unless asked for.
  bool session_tickets = false;
  // On the client's close_notify: first send `farewell` (inside TLS, to show
  // a half-closed client can still receive), then our own close_notify if
  // reply_close_notify, then FIN; then read until the client's EOF.
  std::string farewell;
  bool reply_close_notify = true;
};

// What one connection showed the peer.
struct TlsRecording {
  bool handshake_done = false;
  bool handshake_failed = false;
  std::string handshake_error;  // OpenSSL's reason, when it failed.
  std::string sni;              // Server name the client sent; "" if none.
  std::vector<std::string> alpn_offered;  // In the client's order.
  std::string alpn_selected;              // "" if none.
  std::string protocol;                   // "TLSv1.3", "TLSv1.2".
  std::string client_cert_subject;        // RFC 2253 ("CN=x"); "" if none.
  std::string plaintext_received;  // StartTlsPeer: lines before TLS began.
  std::string received;            // Decrypted application data.
  bool close_notify_received = false;
  // How TCP ended, as for the plain peers: kEof (FIN), kReset (RST), or
  // kOpen (the peer was stopped first, or gave up after a failed handshake).
  peers::Ending tcp_ending = peers::Ending::kOpen;
  bool ended = false;  // The connection is over: the recording is final.
};

// Shared base: the SSL_CTX and the recordings. Not used directly.
class TlsPeer : public peers::Peer {
 public:
  TlsRecording recording(int conn = 0) const;
  std::string received(int conn = 0) const;

  // Waits for connection `conn`'s handshake; true iff it succeeded.
  bool WaitForHandshake(std::chrono::milliseconds timeout = peers::kDefaultWait,
                        int conn = 0) const;
  // Waits until `conn` has received at least `bytes` decrypted bytes.
  bool WaitForReceived(size_t bytes,
                       std::chrono::milliseconds timeout = peers::kDefaultWait,
                       int conn = 0) const;
  // Waits until `conn` is over (close_notify handled, EOF or RST seen).
  bool WaitForEnded(std::chrono::milliseconds timeout = peers::kDefaultWait,
                    int conn = 0) const;

  struct State;  // Defined in tls_peers.cc.

 protected:
  TlsPeer(std::shared_ptr<State> state, Handler handler);
  static std::shared_ptr<State> MakeState(const TlsServerOptions& options);

  std::shared_ptr<State> state_;
};

// Starts TLS as soon as it accepts and echoes every decrypted byte back as it
// arrives (same bytes, same order). On close_notify, see TlsServerOptions.
// Aborts the test binary if the certificate or key cannot be loaded.
class TlsEchoPeer : public TlsPeer {
 public:
  explicit TlsEchoPeer(const TlsServerOptions& options);

 private:
  explicit TlsEchoPeer(std::shared_ptr<State> state);
};

// A tiny SMTP-like STARTTLS server:
//   on connect it sends          "220 ready\r\n";
//   "EHLO ..." / "HELO ..."   -> "250 ok\r\n" (so `openssl s_client
//                                 -starttls smtp` works; it then warns that
//                                 STARTTLS was not advertised and goes on);
//   "STARTTLS"                -> "220 go ahead\r\n", then a TLS server
//                                 handshake on the same socket;
//   any other plain line      -> "502 unknown command\r\n".
// Lines end in "\n" or "\r\n". Inside TLS every complete line comes back
// prefixed with "tls:", keeping its own terminator: "hello\r\n" ->
// "tls:hello\r\n", "hi\n" -> "tls:hi\n". On close_notify, see
// TlsServerOptions.
class StartTlsPeer : public TlsPeer {
 public:
  explicit StartTlsPeer(const TlsServerOptions& options);

 private:
  explicit StartTlsPeer(std::shared_ptr<State> state);
};

}  // namespace socketsvc::tls

#endif  // SOCKETSVC_TESTS_TLS_TLS_PEERS_H_
