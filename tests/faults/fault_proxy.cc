#include "tests/faults/fault_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace socketsvc::faults {
namespace {

// Bytes buffered per direction before the proxy stops reading that side:
// TCP backpressure passes through.
constexpr size_t kBufferCap = 256 * 1024;
constexpr size_t kReadChunk = 64 * 1024;

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "fault_proxy: %s: %s\n", what, std::strerror(errno));
  std::abort();
}

sockaddr_in Loopback(uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  return addr;
}

void ResetAndClose(int fd) {
  if (fd < 0) return;
  const linger abort{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, sizeof(abort));
  close(fd);
}

void Tune(int fd) {
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// Sends what the socket takes now; false if the connection failed.
bool Flush(int fd, std::string& pending) {
  while (!pending.empty()) {
    const ssize_t n = send(fd, pending.data(), pending.size(), MSG_NOSIGNAL);
    if (n > 0) {
      pending.erase(0, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
  return true;
}

}  // namespace

FaultProxy::FaultProxy(Options options)
    : options_(options), injecting_(options.injecting), random_(options.seed) {
  if (options_.min_gap_bytes == 0 || options_.max_gap_bytes < options_.min_gap_bytes) {
    std::fprintf(stderr, "fault_proxy: need 0 < min_gap_bytes <= max_gap_bytes\n");
    std::abort();
  }
  until_fault_ = std::uniform_int_distribution<uint64_t>(
      options_.min_gap_bytes, options_.max_gap_bytes)(random_);
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) Die("pipe2");
  stop_read_fd_ = pipe_fds[0];
  stop_write_fd_ = pipe_fds[1];
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) Die("socket");
  sockaddr_in addr = Loopback(0);
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    Die("bind 127.0.0.1:0");
  }
  if (listen(listen_fd_, SOMAXCONN) != 0) Die("listen");
  socklen_t len = sizeof(addr);
  if (getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    Die("getsockname");
  }
  port_ = ntohs(addr.sin_port);
  accept_thread_ = std::thread([this] { AcceptLoop(); });
}

FaultProxy::~FaultProxy() {
  const char stop = 's';
  if (write(stop_write_fd_, &stop, 1) != 1) Die("write stop pipe");
  accept_thread_.join();
  close(listen_fd_);
  close(stop_read_fd_);
  close(stop_write_fd_);
}

FaultProxy::Counts FaultProxy::counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_;
}

void FaultProxy::AcceptLoop() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_read_fd_, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      Die("poll");
    }
    if (fds[1].revents != 0) break;
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++counts_.connections;
    }
    connection_threads_.emplace_back([this, fd] { Serve(fd); });
  }
  for (std::thread& thread : connection_threads_) thread.join();
}

bool FaultProxy::FaultDue(uint64_t bytes, uint64_t carried) {
  if (!injecting_ || carried < kWarmupBytes) return false;
  std::lock_guard<std::mutex> lock(mu_);
  if (bytes < until_fault_) {
    until_fault_ -= bytes;
    return false;
  }
  until_fault_ = std::uniform_int_distribution<uint64_t>(
      options_.min_gap_bytes, options_.max_gap_bytes)(random_);
  return true;
}

uint64_t FaultProxy::CutPoint(uint64_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  return std::uniform_int_distribution<uint64_t>(0, bytes)(random_);
}

void FaultProxy::Count(Direction direction, uint64_t forwarded) {
  std::lock_guard<std::mutex> lock(mu_);
  (direction == Direction::kUp ? counts_.bytes_up : counts_.bytes_down) += forwarded;
}

void FaultProxy::Serve(int client_fd) {
  int server_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in upstream = Loopback(options_.upstream_port);
  if (server_fd < 0 ||
      connect(server_fd, reinterpret_cast<sockaddr*>(&upstream), sizeof(upstream)) != 0) {
    ResetAndClose(server_fd);
    ResetAndClose(client_fd);
    return;
  }
  Tune(client_fd);
  Tune(server_fd);
  std::string to_server;
  std::string to_client;
  bool client_eof = false;
  bool server_eof = false;
  bool server_shut = false;
  bool client_shut = false;
  uint64_t carried = 0;
  std::string buffer(kReadChunk, '\0');

  // Both ends see RST; what either side still had in flight is lost.
  auto fault = [&](Direction direction, uint64_t dropped) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (direction == Direction::kDown) {
        ++counts_.dropped_responses;
      } else {
        ++counts_.mid_request_resets;
      }
      counts_.bytes_dropped += dropped;
    }
    ResetAndClose(server_fd);
    ResetAndClose(client_fd);
  };

  for (;;) {
    pollfd fds[3] = {
        {client_fd,
         static_cast<short>((!client_eof && to_server.size() < kBufferCap ? POLLIN : 0) |
                            (!to_client.empty() ? POLLOUT : 0)),
         0},
        {server_fd,
         static_cast<short>((!server_eof && to_client.size() < kBufferCap ? POLLIN : 0) |
                            (!to_server.empty() ? POLLOUT : 0)),
         0},
        {stop_read_fd_, POLLIN, 0}};
    if (poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      Die("poll");
    }
    if (fds[2].revents != 0) break;
    if (((fds[0].revents | fds[1].revents) & (POLLERR | POLLNVAL)) != 0 ||
        ((fds[0].revents & POLLHUP) != 0 && client_eof) ||
        ((fds[1].revents & POLLHUP) != 0 && server_eof)) {
      // A side failed, or is gone both ways: nothing more can pass.
      ResetAndClose(server_fd);
      ResetAndClose(client_fd);
      return;
    }

    // Reads: one chunk per side per round.
    for (Direction direction : {Direction::kUp, Direction::kDown}) {
      const bool up = direction == Direction::kUp;
      const pollfd& from = up ? fds[0] : fds[1];
      bool& eof = up ? client_eof : server_eof;
      std::string& pending = up ? to_server : to_client;
      if (eof || (from.revents & (POLLIN | POLLHUP | POLLERR)) == 0 ||
          pending.size() >= kBufferCap) {
        continue;
      }
      const ssize_t n = recv(from.fd, buffer.data(), buffer.size(), 0);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
      if (n < 0) {
        // One side reset: pass the reset on.
        ResetAndClose(server_fd);
        ResetAndClose(client_fd);
        return;
      }
      if (n == 0) {
        eof = true;
        continue;
      }
      const uint64_t bytes = static_cast<uint64_t>(n);
      if (FaultDue(bytes, carried)) {
        if (up) {
          const uint64_t cut = CutPoint(bytes);
          pending.append(buffer.data(), cut);
          Flush(server_fd, pending);  // Best effort: whatever the kernel takes.
          fault(direction, bytes - cut + pending.size());
        } else {
          fault(direction, bytes + pending.size());
        }
        return;
      }
      carried += bytes;
      pending.append(buffer.data(), bytes);
      Count(direction, bytes);
    }

    // Writes, and half-closes once a side's bytes are all through.
    if (!Flush(server_fd, to_server) || !Flush(client_fd, to_client)) {
      ResetAndClose(server_fd);
      ResetAndClose(client_fd);
      return;
    }
    if (client_eof && to_server.empty() && !server_shut) {
      shutdown(server_fd, SHUT_WR);
      server_shut = true;
    }
    if (server_eof && to_client.empty() && !client_shut) {
      shutdown(client_fd, SHUT_WR);
      client_shut = true;
    }
    if (server_shut && client_shut) break;
  }
  close(server_fd);
  close(client_fd);
}

}  // namespace socketsvc::faults
