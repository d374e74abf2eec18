// A listening socket that never accepts. The kernel completes handshakes
// into its backlog, which is all a Connect needs; Pending() tells whether any
// connection reached it, and FillBacklog() makes further connects hang (SYNs
// dropped) without sending a packet off this host.
#ifndef SOCKETSVC_TESTS_PEERS_BACKLOG_LISTENER_H_
#define SOCKETSVC_TESTS_PEERS_BACKLOG_LISTENER_H_

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <vector>

namespace socketsvc::peers {

class BacklogListener {
 public:
  // Listens on `address` (an IPv4 or IPv6 literal; IPv6 sockets are
  // IPv6-only) and `port` (0 picks one). ok() says whether it worked.
  explicit BacklogListener(const std::string& address, uint16_t port = 0,
                           int backlog = 16);
  ~BacklogListener();
  BacklogListener(const BacklogListener&) = delete;
  BacklogListener& operator=(const BacklogListener&) = delete;

  bool ok() const { return port_ != 0; }
  // errno of the failed socket call when !ok().
  int error() const { return error_; }
  uint16_t port() const { return port_; }

  // Whether a connection waits in the backlog (after up to `wait_ms`).
  bool Pending(int wait_ms = 200) const;

  // Connects to the listener until its accept queue is full, so that further
  // SYNs are dropped and a connect to it hangs. False if it never filled.
  bool FillBacklog();

 private:
  int fd_ = -1;
  int error_ = 0;
  uint16_t port_ = 0;
  sockaddr_storage address_{};
  socklen_t address_len_ = 0;
  std::vector<int> fillers_;
};

}  // namespace socketsvc::peers

#endif  // SOCKETSVC_TESTS_PEERS_BACKLOG_LISTENER_H_
