// The TCP peer every benchmark talks to: an echo server on 127.0.0.1 driven
// by one epoll thread.
//
// tests/peers' EchoPeer runs a thread per connection, which is right for
// exact tests and wrong for a benchmark that holds 10,000 connections and
// wants the peer to cost as little as possible. This one is a single thread
// with non-blocking sockets: it reads up to 256 KiB, writes it straight back,
// and while the client does not take the echo it stops reading from that
// connection (TCP backpressure reaches the sender, nothing piles up here).
// On EOF it closes the connection once everything was echoed.
//
// Thread-safe: the counters may be read from any thread.
#ifndef SOCKETSVC_BENCH_ECHO_PEER_H_
#define SOCKETSVC_BENCH_ECHO_PEER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>

namespace socketsvc::bench {

class EchoPeer {
 public:
  // Listens on 127.0.0.1:<free port> with a backlog of `backlog`.
  explicit EchoPeer(int backlog = 4096);
  EchoPeer(const EchoPeer&) = delete;
  EchoPeer& operator=(const EchoPeer&) = delete;
  ~EchoPeer();  // Stops the thread and closes every connection.

  bool ok() const { return port_ != 0; }
  uint16_t port() const { return port_; }
  // Connections accepted and not yet closed.
  int open_connections() const { return open_.load(); }
  // Waits up to `timeout_ms` until open_connections() == n.
  bool WaitForOpen(int n, int timeout_ms) const;

 private:
  struct Connection {
    std::string pending;  // Echo bytes the client has not taken yet.
    size_t pending_at = 0;
  };

  void Run();
  void Accept();
  void OnEvent(int fd, uint32_t events);
  void Drop(int fd);

  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int stop_fd_ = -1;  // eventfd: readable once the destructor runs.
  uint16_t port_ = 0;
  std::atomic<int> open_{0};
  // Only the epoll thread touches these.
  std::unordered_map<int, Connection> connections_;
  std::unique_ptr<char[]> buffer_;
  std::thread thread_;
};

}  // namespace socketsvc::bench

#endif  // SOCKETSVC_BENCH_ECHO_PEER_H_
