#include "bench/echo_peer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

namespace socketsvc::bench {
namespace {

constexpr size_t kBufferBytes = 256 * 1024;

}  // namespace

EchoPeer::EchoPeer(int backlog) : buffer_(new char[kBufferBytes]) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  const int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(listen_fd_, backlog) != 0 ||
      getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return;
  }
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = listen_fd_;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev);
  ev.data.fd = stop_fd_;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, stop_fd_, &ev);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Run(); });
}

EchoPeer::~EchoPeer() {
  if (thread_.joinable()) {
    const uint64_t one = 1;
    (void)!write(stop_fd_, &one, sizeof(one));
    thread_.join();
  }
  for (auto& [fd, connection] : connections_) close(fd);
  for (int fd : {listen_fd_, epoll_fd_, stop_fd_}) {
    if (fd >= 0) close(fd);
  }
}

bool EchoPeer::WaitForOpen(int n, int timeout_ms) const {
  const auto limit = std::chrono::steady_clock::now() +
                     std::chrono::milliseconds(timeout_ms);
  while (open_.load() != n) {
    if (std::chrono::steady_clock::now() > limit) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

void EchoPeer::Run() {
  epoll_event events[256];
  for (;;) {
    const int n = epoll_wait(epoll_fd_, events, 256, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return;
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == stop_fd_) return;
      if (fd == listen_fd_) {
        Accept();
      } else {
        OnEvent(fd, events[i].events);
      }
    }
  }
}

void EchoPeer::Accept() {
  for (;;) {
    const int fd = accept4(listen_fd_, nullptr, nullptr,
                           SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN, or EMFILE: the next wake-up retries.
    // Round trips of small messages are what the latency rows measure.
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
    connections_.emplace(fd, Connection{});
    open_.fetch_add(1);
  }
}

void EchoPeer::OnEvent(int fd, uint32_t events) {
  auto it = connections_.find(fd);
  if (it == connections_.end()) return;
  Connection& c = it->second;
  epoll_event ev{};
  ev.data.fd = fd;
  if (c.pending_at < c.pending.size()) {
    // Waiting for room to write the rest of an echo.
    const ssize_t n = send(fd, c.pending.data() + c.pending_at,
                           c.pending.size() - c.pending_at, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN) return Drop(fd);
    if (n > 0) c.pending_at += static_cast<size_t>(n);
    if (c.pending_at < c.pending.size()) return;
    c.pending.clear();
    c.pending_at = 0;
    ev.events = EPOLLIN;
    epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev);
    return;
  }
  if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) == 0) return;
  // One read per wake-up, so that 1,000 busy connections share the thread
  // fairly (level-triggered epoll comes back for the rest).
  const ssize_t n = recv(fd, buffer_.get(), kBufferBytes, 0);
  if (n == 0) return Drop(fd);  // EOF and nothing pending: done.
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return;
    return Drop(fd);
  }
  ssize_t sent = send(fd, buffer_.get(), static_cast<size_t>(n), MSG_NOSIGNAL);
  if (sent < 0) {
    if (errno != EAGAIN) return Drop(fd);
    sent = 0;
  }
  if (sent == n) return;
  // The client is not taking the echo: keep the rest and stop reading until
  // it is out.
  c.pending.assign(buffer_.get() + sent, static_cast<size_t>(n - sent));
  c.pending_at = 0;
  ev.events = EPOLLOUT;
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev);
}

void EchoPeer::Drop(int fd) {
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  close(fd);
  connections_.erase(fd);
  open_.fetch_sub(1);
}

}  // namespace socketsvc::bench
