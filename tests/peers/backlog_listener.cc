#include "tests/peers/backlog_listener.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>

namespace socketsvc::peers {

BacklogListener::BacklogListener(const std::string& address, uint16_t port,
                                 int backlog) {
  const bool v6 = address.find(':') != std::string::npos;
  fd_ = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    error_ = errno;
    return;
  }
  if (v6) {
    int one = 1;
    setsockopt(fd_, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    auto* addr = reinterpret_cast<sockaddr_in6*>(&address_);
    addr->sin6_family = AF_INET6;
    addr->sin6_port = htons(port);
    inet_pton(AF_INET6, address.c_str(), &addr->sin6_addr);
    address_len_ = sizeof(*addr);
  } else {
    auto* addr = reinterpret_cast<sockaddr_in*>(&address_);
    addr->sin_family = AF_INET;
    addr->sin_port = htons(port);
    inet_pton(AF_INET, address.c_str(), &addr->sin_addr);
    address_len_ = sizeof(*addr);
  }
  if (bind(fd_, reinterpret_cast<sockaddr*>(&address_), address_len_) != 0 ||
      listen(fd_, backlog) != 0 ||
      getsockname(fd_, reinterpret_cast<sockaddr*>(&address_), &address_len_) !=
          0) {
    error_ = errno;
    return;
  }
  port_ = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&address_)->sin6_port
                   : reinterpret_cast<sockaddr_in*>(&address_)->sin_port);
}

BacklogListener::~BacklogListener() {
  for (int fd : fillers_) close(fd);
  if (fd_ >= 0) close(fd_);
}

bool BacklogListener::Pending(int wait_ms) const {
  pollfd p{fd_, POLLIN, 0};
  return poll(&p, 1, wait_ms) == 1;
}

bool BacklogListener::FillBacklog() {
  for (int i = 0; i < 64; ++i) {
    const int fd = socket(address_.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return false;
    fillers_.push_back(fd);
    if (connect(fd, reinterpret_cast<const sockaddr*>(&address_), address_len_) == 0) {
      continue;
    }
    if (errno != EINPROGRESS) return false;
    pollfd p{fd, POLLOUT, 0};
    if (poll(&p, 1, 300) == 0) return true;  // Still waiting: full.
  }
  return false;
}

}  // namespace socketsvc::peers
