// Plain POSIX helpers for the limits, idle, options and shutdown tests: a raw
// loopback client, and the service-side descriptor of an in-process
// socketd's connection (found through /proc/self/fd), so that a test can
// check with getsockopt what socketd did to its socket.
#ifndef SOCKETSVC_TESTS_E2E_SOCKET_PROBE_H_
#define SOCKETSVC_TESTS_E2E_SOCKET_PROBE_H_

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace socketsvc::e2e {

// A blocking IPv4 client socket connected to 127.0.0.1:port; -1 on failure.
inline int ConnectLoopback(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Reads from `fd` until EOF, an error or `timeout_ms` of silence; returns
// the bytes followed by "<eof>", "<reset>" (ECONNRESET), "<error>" or
// "<timeout>".
inline std::string ReadToEnd(int fd, int timeout_ms = 5000) {
  std::string out;
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return out + "<timeout>";
    char buf[4096];
    const ssize_t got = read(fd, buf, sizeof(buf));
    if (got == 0) return out + "<eof>";
    if (got < 0) return out + (errno == ECONNRESET ? "<reset>" : "<error>");
    out.append(buf, static_cast<size_t>(got));
  }
}

inline uint16_t PortOf(const sockaddr_storage& addr) {
  if (addr.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in&>(addr).sin_port);
  }
  if (addr.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6&>(addr).sin6_port);
  }
  return 0;
}

// The descriptor of this process whose socket is bound to `local_port` and
// connected to `remote_port` (socketd's side of a loopback connection when
// socketd runs in-process); -1 if there is none.
inline int FindSocketFd(uint16_t local_port, uint16_t remote_port) {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  int found = -1;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    const int fd = std::atoi(entry->d_name);
    sockaddr_storage local{}, remote{};
    socklen_t local_len = sizeof(local), remote_len = sizeof(remote);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) != 0) continue;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&remote), &remote_len) != 0) continue;
    if (PortOf(local) == local_port && PortOf(remote) == remote_port) {
      found = fd;
      break;
    }
  }
  closedir(dir);
  return found;
}

inline int GetIntOption(int fd, int level, int name) {
  int value = -1;
  socklen_t len = sizeof(value);
  if (getsockopt(fd, level, name, &value, &len) != 0) return -1;
  return value;
}

}  // namespace socketsvc::e2e

#endif  // SOCKETSVC_TESTS_E2E_SOCKET_PROBE_H_
