// A TCP proxy on 127.0.0.1 that breaks the connections it carries, for tests
// of RPC retries: it sits between a gRPC client and socketd and forwards
// bytes both ways unchanged, except that from time to time it injects one
// of two faults into the connection that is moving bytes:
//
//   * kDropResponse: bytes from the server (upstream) are thrown away, not
//     forwarded, and both connections are reset. The server finished a call
//     whose answer the client never gets.
//   * kResetMidRequest: a random prefix of the client's bytes is forwarded,
//     the rest dropped, and both connections are reset. The server sees a
//     request cut off, or a complete one whose call then loses its client.
//
// When: a seeded schedule over the bytes forwarded in both directions, all
// connections together; each gap is drawn uniformly from
// [min_gap_bytes, max_gap_bytes]. The fault lands on the connection whose
// read crosses the mark and takes its kind from the direction of that read
// (downstream: kDropResponse, upstream: kResetMidRequest). Connections that
// carried fewer than kWarmupBytes are spared, so that a fault never hits the
// HTTP/2 handshake (gRPC backs off reconnects that fail there).
//
// Reset: SO_LINGER {1, 0} and close(), so both ends see RST at once.
//
// Like tests/peers, plain POSIX sockets and one thread per connection, no
// code shared with what is under test. Thread-safe; the destructor stops and
// joins everything.
#ifndef SOCKETSVC_TESTS_FAULTS_FAULT_PROXY_H_
#define SOCKETSVC_TESTS_FAULTS_FAULT_PROXY_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

namespace socketsvc::faults {

class FaultProxy {
 public:
  // A connection must have carried this many bytes before a fault may hit it.
  static constexpr uint64_t kWarmupBytes = 16 * 1024;

  struct Options {
    uint16_t upstream_port = 0;  // On 127.0.0.1: where socketd listens.
    uint64_t seed = 1;
    uint64_t min_gap_bytes = 2 << 20;
    uint64_t max_gap_bytes = 8 << 20;
    // Faults are injected only while this is on (see SetInjecting).
    bool injecting = true;
  };

  struct Counts {
    int connections = 0;       // Accepted from clients.
    int dropped_responses = 0;  // kDropResponse faults.
    int mid_request_resets = 0; // kResetMidRequest faults.
    uint64_t bytes_up = 0;      // Forwarded client → server.
    uint64_t bytes_down = 0;    // Forwarded server → client.
    uint64_t bytes_dropped = 0; // Read and thrown away by faults.
    int faults() const { return dropped_responses + mid_request_resets; }
  };

  // Listens on 127.0.0.1:<ephemeral>; aborts the test binary if it cannot.
  explicit FaultProxy(Options options);
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;
  ~FaultProxy();

  uint16_t port() const { return port_; }
  void SetInjecting(bool on) { injecting_ = on; }
  Counts counts() const;

 private:
  enum class Direction { kUp, kDown };

  void AcceptLoop();
  void Serve(int client_fd);
  // Called for every read of `bytes` on a connection that carried `carried`:
  // true if a fault must hit this read now. Also draws the next gap.
  bool FaultDue(uint64_t bytes, uint64_t carried);
  // How many of `bytes` a kResetMidRequest forwards before the reset.
  uint64_t CutPoint(uint64_t bytes);
  void Count(Direction direction, uint64_t forwarded);

  const Options options_;
  int listen_fd_ = -1;
  int stop_read_fd_ = -1;
  int stop_write_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> injecting_;

  mutable std::mutex mu_;
  std::mt19937_64 random_;       // Guarded by mu_.
  uint64_t until_fault_ = 0;     // Guarded by mu_: bytes left before the next.
  Counts counts_;                // Guarded by mu_.

  std::thread accept_thread_;
  std::vector<std::thread> connection_threads_;  // Owned by accept_thread_.
};

}  // namespace socketsvc::faults

#endif  // SOCKETSVC_TESTS_FAULTS_FAULT_PROXY_H_
