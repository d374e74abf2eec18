// Omnis Studio "Web commands" (TCP*/HTTP*/WebDev*) over socketd.
//
// Code written against Omnis's external Web commands keeps its shape: same
// command names, argument order, defaults and return convention (one Long
// Integer: a value >= 0, or an error code < 0, see omnis_errors.h), while
// the sockets themselves live in socketd.
//
//   Omnis:                                   C++:
//   TCPConnect (iHostName,iPort) Returns iSocket
//                                            iSocket = cmds.TCPConnect(iHostName, iPort);
//   HTTPSend (iSocket,lMessage) Returns lCharCount
//                                            lCharCount = cmds.HTTPSend(iSocket, lMessage);
//   HTTPClose (iSocket)                      cmds.HTTPClose(iSocket);
//
// `WebCommands` is one set of Web commands bound to one socketsvc::Client,
// with its own socket numbers and WebDevSetConfig settings. Omnis's commands
// are global, so the free functions at the end of this header run the same
// commands on a process-wide instance set up once with Use(client).
//
// Sockets are small positive integers (1, 2, 3, ...; a released number is
// not handed out again until the counter wraps at 2^31, so a stale number
// never reaches another thread's socket) mapped to socketd handles. Omnis
// warns that one socket must not be used by two threads at once; here it
// may: every method is thread-safe, and socketd orders calls on one socket.
//
// Buffers are std::string for both Omnis Character and Binary fields: bytes
// are sent and returned unchanged (Character text is UTF-8 already).
//
// How each command maps onto socketd RPCs, and where behaviour differs from
// Omnis, is in docs/legacy.md ("Omnis").
#ifndef SOCKETSVC_CLIENT_LEGACY_OMNIS_H_
#define SOCKETSVC_CLIENT_LEGACY_OMNIS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "client/client.h"
#include "client/legacy/omnis_errors.h"

namespace socketsvc::omnis {

// Omnis's `service|port` parameter: an Integer port number or a Character
// service name ("http"). Text of digits only ("6000") is a port number.
// Default-constructed: omitted (HTTPOpen's default port).
class ServiceOrPort {
 public:
  ServiceOrPort() = default;
  ServiceOrPort(int port) : port_(port) {}    // NOLINT: implicit, as in Omnis
  ServiceOrPort(const char* service);         // NOLINT
  ServiceOrPort(const std::string& service);  // NOLINT
  ServiceOrPort(absl::string_view service);   // NOLINT

  bool omitted() const { return !port_.has_value() && !service_.has_value(); }
  const std::optional<int>& port() const { return port_; }
  const std::optional<std::string>& service() const { return service_; }

 private:
  std::optional<int> port_;
  std::optional<std::string> service_;
};

// WebDevSetConfig's errorproc: Omnis calls the named WebDevError method with
// three parameters whenever a Web command fails. Here: the command's name
// ("TCPConnect"), its error code and that code's text (ErrorText).
using ErrorProc =
    std::function<void(const std::string& command, int32_t code, const std::string& text)>;

class WebCommands {
 public:
  // Runs every command through `client` (cheap to copy; shares the channel).
  explicit WebCommands(Client client);
  WebCommands(const WebCommands&) = delete;
  WebCommands& operator=(const WebCommands&) = delete;
  // Aborts (RST) every socket not yet released by TCPClose/HTTPClose: Omnis
  // would leak them; socketd must not.
  ~WebCommands();

  // --- Client sockets -------------------------------------------------------

  // Connect (port) or Connect with `service` (name resolved by socketd);
  // secure: Connect with TLS, verify=false → TlsOptions.skip_verify. Trusted
  // CAs (Omnis's secure/cacerts folder) are socketd's --tls_ca_dir /
  // --tls_ca_file. Waits at most the comms timeout (WebDevSetConfig).
  // Returns the new socket (blocking) or: -511 empty hostname, -10049 port
  // outside 1..65535, -10061 refused, -11001 unknown host, -10060 timed out,
  // -10109 unknown service, -1021 TLS failure (text: WebDevGetSecureError).
  int32_t TCPConnect(absl::string_view hostname, ServiceOrPort service_or_port, bool secure = false,
                     bool verify = true);

  // Send: all of `buffer` (blocking socket; secure sockets always block), or
  // what fits now (non-blocking: Send timeout_ms 0; nothing → -10035).
  // Returns bytes sent; -10058 after TCPClose(…, 1); -10054 peer gone.
  int32_t TCPSend(int32_t socket, absl::string_view buffer);

  // Receive up to `maxbytes` (omitted: whatever is there, no practical
  // limit) into `buffer` (replaced). Blocking: waits for data without limit
  // (the comms timeout does not apply, as in Omnis); non-blocking: Receive
  // timeout_ms 0, nothing there → -10035. Returns the byte count; 0 = the
  // peer closed gracefully and everything was read; -10054 reset.
  int32_t TCPReceive(int32_t socket, std::string& buffer,
                     std::optional<int32_t> maxbytes = std::nullopt);

  // option 0: blocking (default of every socket); non-zero: non-blocking,
  // for TCPAccept, TCPReceive, TCPSend and HTTPSend. Local state, no RPC.
  int32_t TCPBlock(int32_t socket, int32_t option);

  // option 0: Close COMPLETE (FIN, drain until the peer's EOF or the comms
  // timeout, release); 1: Close PARTIAL (FIN; the socket stays for
  // TCPReceive; call TCPClose again to release; -1018 on a secure socket);
  // 2: Close ABORT (RST, release). Any other option: -517, nothing done.
  int32_t TCPClose(int32_t socket, int32_t option = 0);

  // --- Server sockets -------------------------------------------------------

  // A new socket for TCPBind → TCPListen → TCPAccept (local, no RPC).
  int32_t TCPSocket();
  // Listen on `service_or_port` (0: any free port; a service name is looked
  // up locally in /etc/services) at WebCommandsOptions::bind_address.
  // Address in use → -10048 here, as Omnis reports it from TCPBind.
  int32_t TCPBind(int32_t socket, ServiceOrPort service_or_port);
  // Marks the bound socket listening (socketd listened at TCPBind already).
  int32_t TCPListen(int32_t socket);
  // Accept: blocking → waits without limit; non-blocking → Accept
  // timeout_ms 0, nothing queued → -10035. The new socket inherits the
  // listener's blocking mode.
  int32_t TCPAccept(int32_t socket);

  // --- Addresses and names (Character results: on failure the text of the
  // negative error code, e.g. "-509"; see ResultCode) -----------------------

  // socket != 0: the local address of that socket (GetInfo). 0: this host's
  // name (gethostname) resolved by socketd, first IPv4 (IPv6 if `ipv6`).
  std::string TCPGetMyAddr(int32_t socket = 0, bool ipv6 = false);
  // The local port of a connected or bound socket (GetInfo), or < 0.
  int32_t TCPGetMyPort(int32_t socket);
  // The peer's address (GetInfo.remote_address).
  std::string TCPGetRemoteAddr(int32_t socket);
  // Reverse lookup of an address literal (Resolve → names[0]).
  std::string TCPAddr2Name(absl::string_view address);
  // Forward lookup (Resolve → first IPv4, or IPv6 if `ipv6`); -11004 if the
  // name has no address of that family.
  std::string TCPName2Addr(absl::string_view hostname, bool ipv6 = false);

  // --- HTTP -----------------------------------------------------------------

  // TCPConnect with port default 80 (443 when secure). `useproxy` is
  // accepted and ignored: socketd connects directly (no proxy configured).
  int32_t HTTPOpen(absl::string_view hostname, ServiceOrPort service_or_port = {},
                   bool secure = false, bool verify = true, bool useproxy = true);
  // Exactly TCPSend.
  int32_t HTTPSend(int32_t socket, absl::string_view buffer);
  // A complete request (type 0, server side) or response (non-zero, client
  // side: also ends at the peer's graceful close) into `buffer`, head and
  // body as received. Always blocking; -522 when nothing arrives for the
  // comms timeout; -523 bad start line, -525 bad header or length, -524
  // connection closed before the message was complete. Bytes after the
  // message stay for the next TCPReceive/HTTPRead.
  int32_t HTTPRead(int32_t socket, std::string& buffer, int32_t type = 0);
  // Exactly TCPClose.
  int32_t HTTPClose(int32_t socket, int32_t option = 0);

  // --- Configuration --------------------------------------------------------

  // errorproc: called on every failed command (empty: none; Omnis clears it
  // when the first parameter is empty). commstimeout: seconds TCPConnect,
  // HTTPOpen, HTTPRead and TCPClose(…, 0) wait; 0 → 60 (the default);
  // omitted → unchanged; negative → |value| (Omnis's "ignore server blocking
  // errors" has nothing to act on here). Returns 0.
  int32_t WebDevSetConfig(ErrorProc errorproc = nullptr,
                          std::optional<int32_t> commstimeout = std::nullopt);
  // The TLS error text of this thread's last -1021 ("" if none).
  std::string WebDevGetSecureError();

  // Where TCPBind listens: socketd's default (empty: 127.0.0.1) unless set.
  void set_bind_address(std::string address) ABSL_LOCKS_EXCLUDED(mu_);

  // The socketd handle behind `socket` ("s1.…" or a listener's "l1.…"; ""
  // if there is no such socket or it is unbound), for calls through a
  // socketsvc::Client such as GetInfo.
  std::string handle(int32_t socket) const ABSL_LOCKS_EXCLUDED(mu_);

  // The comms timeout in seconds (WebDevSetConfig).
  int32_t commstimeout() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Socket;  // omnis_socket.h

  // Socket table (omnis_table.cc).
  int32_t AddSocket(std::shared_ptr<Socket> socket) ABSL_LOCKS_EXCLUDED(mu_);
  std::shared_ptr<Socket> FindSocket(int32_t number) const ABSL_LOCKS_EXCLUDED(mu_);
  void RemoveSocket(int32_t number) ABSL_LOCKS_EXCLUDED(mu_);

  // Reports `code` to the errorproc (if < 0) and returns it.
  int32_t Result(const char* command, int32_t code);
  std::string TextResult(const char* command, int32_t code);
  int32_t Fail(const char* command, const absl::Status& status, Operation operation);
  int64_t CommsTimeoutMs() const ABSL_LOCKS_EXCLUDED(mu_);

  int32_t Connect(const char* command, absl::string_view hostname,
                  const ServiceOrPort& service_or_port, bool secure, bool verify);
  int32_t Send(const char* command, int32_t socket, absl::string_view buffer);
  int32_t Close(const char* command, int32_t socket, int32_t option);

  const Client client_;
  mutable absl::Mutex mu_;
  std::map<int32_t, std::shared_ptr<Socket>> sockets_ ABSL_GUARDED_BY(mu_);
  int32_t next_number_ ABSL_GUARDED_BY(mu_) = 1;
  ErrorProc errorproc_ ABSL_GUARDED_BY(mu_);
  int32_t commstimeout_s_ ABSL_GUARDED_BY(mu_) = 60;
  std::string bind_address_ ABSL_GUARDED_BY(mu_);
};

// The error code a Character result carries ("-509" → -509), 0 if it is a
// real result (an address or a name).
int32_t ResultCode(absl::string_view result);

// --- Omnis's global commands ------------------------------------------------
// Each runs the WebCommands method of the same name on the instance
// installed by Use(); without one they return -10093
// (WSANOTINITIALISED) or its text.

// Installs a new instance over `client`. Call once at start-up; calling it
// again replaces the instance, aborting the old one's sockets.
void Use(const Client& client);
void StopUsing();  // Aborts the installed instance's sockets.
// The installed instance (nullptr if none), for what has no Omnis command:
// set_bind_address(), handle().
std::shared_ptr<WebCommands> UsedWebCommands();

int32_t TCPConnect(absl::string_view hostname, ServiceOrPort service_or_port, bool secure = false,
                   bool verify = true);
int32_t TCPSocket();
int32_t TCPBind(int32_t socket, ServiceOrPort service_or_port);
int32_t TCPListen(int32_t socket);
int32_t TCPAccept(int32_t socket);
int32_t TCPSend(int32_t socket, absl::string_view buffer);
int32_t TCPReceive(int32_t socket, std::string& buffer,
                   std::optional<int32_t> maxbytes = std::nullopt);
int32_t TCPBlock(int32_t socket, int32_t option);
int32_t TCPClose(int32_t socket, int32_t option = 0);
std::string TCPGetMyAddr(int32_t socket = 0, bool ipv6 = false);
int32_t TCPGetMyPort(int32_t socket);
std::string TCPGetRemoteAddr(int32_t socket);
std::string TCPAddr2Name(absl::string_view address);
std::string TCPName2Addr(absl::string_view hostname, bool ipv6 = false);
int32_t HTTPOpen(absl::string_view hostname, ServiceOrPort service_or_port = {},
                 bool secure = false, bool verify = true, bool useproxy = true);
int32_t HTTPSend(int32_t socket, absl::string_view buffer);
int32_t HTTPRead(int32_t socket, std::string& buffer, int32_t type = 0);
int32_t HTTPClose(int32_t socket, int32_t option = 0);
int32_t WebDevSetConfig(ErrorProc errorproc = nullptr,
                        std::optional<int32_t> commstimeout = std::nullopt);
std::string WebDevGetSecureError();

}  // namespace socketsvc::omnis

#endif  // SOCKETSVC_CLIENT_LEGACY_OMNIS_H_
