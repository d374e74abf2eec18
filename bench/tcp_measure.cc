// Raw TCP baselines: what a client gets from the echo peer (or socat in front
// of it) with plain blocking sockets and no socketd in between.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "bench/measure.h"
#include "common/status_macros.h"

namespace socketsvc::bench {
namespace {

absl::StatusOr<int> ConnectTcp(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::ErrnoToStatus(errno, "socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int err = errno;
    close(fd);
    return absl::ErrnoToStatus(err, absl::StrCat("connect to port ", port));
  }
  // A stuck peer fails the run instead of hanging the benchmark.
  timeval limit{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof(limit));
  return fd;
}

bool WriteAll(int fd, const std::string& data) {
  size_t at = 0;
  while (at < data.size()) {
    const ssize_t n = send(fd, data.data() + at, data.size() - at, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    at += static_cast<size_t>(n);
  }
  return true;
}

bool ReadExactly(int fd, char* out, size_t size) {
  size_t at = 0;
  while (at < size) {
    const ssize_t n = recv(fd, out + at, size - at, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    at += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

absl::StatusOr<double> TcpEchoThroughput(uint16_t port, size_t chunk,
                                         absl::Duration duration) {
  ASSIGN_OR_RETURN(const int fd, ConnectTcp(port));
  absl::Cleanup close_fd = [fd] { close(fd); };
  const std::string data = Payload(chunk);
  std::atomic<uint64_t> sent{0};
  std::atomic<bool> write_failed{false};
  const Clock::time_point start = Clock::now();
  const Clock::time_point end = start + absl::ToChronoNanoseconds(duration);
  std::thread writer([&] {
    while (Clock::now() < end) {
      if (!WriteAll(fd, data)) {
        write_failed = true;
        break;
      }
      sent += chunk;
    }
    // The peer echoes the rest, sees EOF and closes: the reader's EOF.
    shutdown(fd, SHUT_WR);
  });
  std::string buffer(256 * 1024, '\0');
  uint64_t received = 0;
  Clock::time_point last = start;
  for (;;) {
    const ssize_t n = recv(fd, buffer.data(), buffer.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    received += static_cast<uint64_t>(n);
    last = Clock::now();
  }
  writer.join();
  if (write_failed || received != sent || received == 0) {
    return absl::DataLossError(absl::StrCat("TCP echo on port ", port, ": sent ",
                                            sent.load(), ", got back ", received));
  }
  return MibPerSecond(received, last - start);
}

absl::StatusOr<Latency> TcpRoundTrip(uint16_t port, size_t size,
                                     absl::Duration duration) {
  ASSIGN_OR_RETURN(const int fd, ConnectTcp(port));
  absl::Cleanup close_fd = [fd] { close(fd); };
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  const std::string data = Payload(size);
  std::string echo(size, '\0');
  std::vector<int64_t> samples;
  const Clock::time_point end = Clock::now() + absl::ToChronoNanoseconds(duration);
  for (Clock::time_point t0 = Clock::now(); t0 < end; t0 = Clock::now()) {
    if (!WriteAll(fd, data) || !ReadExactly(fd, echo.data(), size)) {
      return absl::UnavailableError(absl::StrCat("TCP round trip on port ", port,
                                                 ": ", std::strerror(errno)));
    }
    samples.push_back(
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0)
            .count());
    if (echo != data) return absl::DataLossError("TCP echo returned other bytes");
  }
  return Summarize(samples);
}

absl::StatusOr<double> TcpConnectRate(uint16_t port, absl::Duration duration) {
  int64_t count = 0;
  const Clock::time_point start = Clock::now();
  const Clock::time_point end = start + absl::ToChronoNanoseconds(duration);
  while (Clock::now() < end) {
    ASSIGN_OR_RETURN(const int fd, ConnectTcp(port));
    close(fd);
    ++count;
  }
  return static_cast<double>(count) /
         std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace socketsvc::bench
