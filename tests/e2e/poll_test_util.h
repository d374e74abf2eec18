// Helpers of the Poll tests: building requests and reading answers, and a
// loopback peer that holds many connections without a thread each.
#ifndef SOCKETSVC_TESTS_E2E_POLL_TEST_UTIL_H_
#define SOCKETSVC_TESTS_E2E_POLL_TEST_UTIL_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "socketsvc/v1/sockets.pb.h"

namespace socketsvc::e2e {

inline v1::PollItem PollFor(const std::string& handle, uint32_t events) {
  v1::PollItem item;
  item.set_handle(handle);
  item.set_events(events);
  return item;
}

// "handle=events" for every ready entry, in answer order: one string to
// compare, which shows the whole answer when it differs.
inline std::string Ready(const v1::PollResponse& response) {
  std::string out;
  for (const v1::PollReady& ready : response.ready()) {
    if (!out.empty()) out += " ";
    out += ready.handle() + "=" + std::to_string(ready.events());
  }
  return out;
}

inline std::string ReadyEntry(const std::string& handle, uint32_t events) {
  return handle + "=" + std::to_string(events);
}

// Raises this process's open-file limit to its hard limit (tests that hold
// a thousand connections).
inline void RaiseFdLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// A listener on 127.0.0.1 whose connections the test accepts itself, all on
// the test thread: a thousand peers without a thousand threads. Each
// accepted connection is found by the client's (socketd's) local port.
class AcceptingListener {
 public:
  explicit AcceptingListener(int backlog) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    listen(fd_, backlog);
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~AcceptingListener() {
    for (const auto& [port, fd] : accepted_) close(fd);
    close(fd_);
  }
  AcceptingListener(const AcceptingListener&) = delete;
  AcceptingListener& operator=(const AcceptingListener&) = delete;

  uint16_t port() const { return port_; }

  // Accepts `n` connections, waiting at most 10 s for each.
  bool AcceptAll(int n) {
    for (int i = 0; i < n; ++i) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 10000) != 1) return false;
      sockaddr_in peer{};
      socklen_t len = sizeof(peer);
      const int fd = accept(fd_, reinterpret_cast<sockaddr*>(&peer), &len);
      if (fd < 0) return false;
      accepted_[ntohs(peer.sin_port)] = fd;
    }
    return true;
  }

  // The accepted end of the connection whose client port is `client_port`.
  int FdFor(uint32_t client_port) const {
    auto it = accepted_.find(static_cast<uint16_t>(client_port));
    return it == accepted_.end() ? -1 : it->second;
  }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
  absl::flat_hash_map<uint16_t, int> accepted_;
};

}  // namespace socketsvc::e2e

#endif  // SOCKETSVC_TESTS_E2E_POLL_TEST_UTIL_H_
