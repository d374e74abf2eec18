// The machinery every peer shares: the listening socket, the accept thread,
// one thread per connection and the stop pipe that makes all of them
// interruptible. The peers' behaviours are in peers.cc.
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ostream>
#include <utility>

#include "tests/peers/peers.h"

namespace socketsvc::peers {
namespace {

// A peer that cannot set itself up makes every assertion after it
// meaningless; failing loudly at the cause beats a confusing timeout later.
[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "peers: %s: %s\n", what, std::strerror(errno));
  std::abort();
}

sockaddr_in Loopback(uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  return addr;
}

uint16_t LocalPort(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof(addr);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    Die("getsockname");
  }
  return ntohs(addr.sin_port);
}

}  // namespace

const char* EndingName(Ending ending) {
  switch (ending) {
    case Ending::kOpen:
      return "kOpen";
    case Ending::kEof:
      return "kEof";
    case Ending::kReset:
      return "kReset";
  }
  return "?";
}

std::ostream& operator<<(std::ostream& os, Ending ending) {
  return os << EndingName(ending);
}

// ---------------------------------------------------------------------------
// PeerConnection

PeerConnection::PeerConnection(int fd, int stop_fd, int index)
    : fd_(fd), stop_fd_(stop_fd), index_(index) {}

PeerConnection::~PeerConnection() { Close(); }

bool PeerConnection::WaitFor(short events, int timeout_ms) {
  pollfd fds[2] = {{fd_, events, 0}, {stop_fd_, POLLIN, 0}};
  for (;;) {
    int r = poll(fds, 2, timeout_ms);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) Die("poll");
    // The stop pipe wins over a ready socket so that shutdown is prompt even
    // while a client keeps the peer busy.
    return fds[1].revents == 0;
  }
}

PeerConnection::ReadResult PeerConnection::Read(size_t max_bytes) {
  ReadResult result;
  if (fd_ < 0) {
    result.stopped = true;
    return result;
  }
  std::string buffer(std::max<size_t>(max_bytes, 1), '\0');
  for (;;) {
    if (!WaitFor(POLLIN, -1)) {
      result.stopped = true;
      return result;
    }
    // MSG_DONTWAIT: should readiness turn out spurious, a blocking recv()
    // would sleep where the stop signal cannot wake it.
    ssize_t n = recv(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT);
    if (n > 0) {
      buffer.resize(n);
      result.data = std::move(buffer);
      return result;
    }
    if (n == 0) {
      result.ending = Ending::kEof;
      return result;
    }
    if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
    result.ending = Ending::kReset;
    result.error = errno;
    return result;
  }
}

bool PeerConnection::SendAll(std::string_view data) {
  if (fd_ < 0) return false;
  while (!data.empty()) {
    // MSG_NOSIGNAL: a client that reset must not kill the test with SIGPIPE.
    ssize_t n =
        send(fd_, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      data.remove_prefix(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!WaitFor(POLLOUT, -1)) return false;
      continue;
    }
    return false;  // errno says why (EPIPE, ECONNRESET).
  }
  return true;
}

bool PeerConnection::ShutdownWrite() {
  return fd_ >= 0 && shutdown(fd_, SHUT_WR) == 0;
}

bool PeerConnection::WaitUntilSent(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (fd_ >= 0) {
    int pending = 0;
    // SIOCOUTQ counts bytes not yet ACKed by the client (sent or not).
    if (ioctl(fd_, SIOCOUTQ, &pending) != 0) return false;
    if (pending == 0) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    if (!SleepFor(std::chrono::milliseconds(1))) return false;
  }
  return false;
}

bool PeerConnection::SleepFor(std::chrono::milliseconds duration) {
  pollfd stop = {stop_fd_, POLLIN, 0};
  const auto deadline = std::chrono::steady_clock::now() + duration;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return true;
    int r = poll(&stop, 1, static_cast<int>(left.count()));
    if (r > 0) return false;
    if (r < 0 && errno != EINTR) Die("poll");
  }
}

void PeerConnection::Reset() {
  if (fd_ < 0) return;
  // Linger on with a zero timeout: close() discards the send queue and sends
  // RST instead of FIN, which is how a crashed or rude peer looks.
  linger abort{1, 0};
  setsockopt(fd_, SOL_SOCKET, SO_LINGER, &abort, sizeof(abort));
  Close();
}

void PeerConnection::Close() {
  if (fd_ < 0) return;
  close(fd_);
  fd_ = -1;
}

// ---------------------------------------------------------------------------
// Peer

Peer::Peer(Handler handler) : handler_(std::move(handler)) {
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
  port_ = LocalPort(listen_fd_);
  accept_thread_ = std::thread([this] { AcceptLoop(); });
}

Peer::~Peer() { Stop(); }

std::string Peer::address() const {
  return "127.0.0.1:" + std::to_string(port_);
}

int Peer::connections() const {
  return counts_.Read([](const Counts& c) { return c.accepted; });
}

int Peer::finished() const {
  return counts_.Read([](const Counts& c) { return c.finished; });
}

bool Peer::WaitForConnections(int n, std::chrono::milliseconds timeout) const {
  return counts_.WaitFor(timeout,
                         [n](const Counts& c) { return c.accepted >= n; });
}

bool Peer::WaitForFinished(int n, std::chrono::milliseconds timeout) const {
  return counts_.WaitFor(timeout,
                         [n](const Counts& c) { return c.finished >= n; });
}

void Peer::AcceptLoop() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_read_fd_, POLLIN, 0}};
    int r = poll(fds, 2, -1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) Die("poll");
    if (fds[1].revents != 0) return;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      // A client that gave up before accept (ECONNABORTED) or a spurious
      // wake-up is not the peer's problem; running out of descriptors is
      // transient in a test that is closing sockets.
      if (errno == EMFILE || errno == ENFILE) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      continue;
    }
    int index = 0;
    counts_.Update([&index](Counts& c) { index = c.accepted++; });
    connection_threads_.emplace_back([this, fd, index] {
      {
        PeerConnection conn(fd, stop_read_fd_, index);
        handler_(conn);
      }  // The socket closes here, before `finished` says so.
      counts_.Update([](Counts& c) { ++c.finished; });
    });
  }
}

void Peer::Stop() {
  if (stop_write_fd_ < 0) return;
  // One byte that nobody reads keeps the pipe readable, so every poll() in
  // every thread, now or later, sees the stop.
  char byte = 1;
  while (write(stop_write_fd_, &byte, 1) < 0 && errno == EINTR) {
  }
  accept_thread_.join();
  // The accept thread is gone, so the list no longer grows.
  for (std::thread& t : connection_threads_) t.join();
  connection_threads_.clear();
  close(listen_fd_);
  close(stop_read_fd_);
  close(stop_write_fd_);
  listen_fd_ = stop_read_fd_ = stop_write_fd_ = -1;
}

// ---------------------------------------------------------------------------

uint16_t ClosedPort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) Die("socket");
  sockaddr_in addr = Loopback(0);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    Die("bind 127.0.0.1:0");
  }
  uint16_t port = LocalPort(fd);
  // Bound but never listening or connected: close() leaves no TIME_WAIT and
  // the port refuses connections from now on.
  close(fd);
  return port;
}

}  // namespace socketsvc::peers
