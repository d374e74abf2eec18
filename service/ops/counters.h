// Process-wide event counters that the core bumps on its hot paths (every
// socket read and write) and the metrics endpoint reads when scraped.
//
// A leaf library with no dependencies, so that net/, tls/ and sessions/ can
// count without knowing about Prometheus. Each counter is sharded over
// cache-line-sized slots picked per thread: an increment is one relaxed
// atomic add on a line no other I/O thread writes. Thread-safe.
#ifndef SOCKETSVC_SERVICE_OPS_COUNTERS_H_
#define SOCKETSVC_SERVICE_OPS_COUNTERS_H_

#include <cstddef>
#include <cstdint>

namespace socketsvc {

enum class OpsCounter : int {
  // Payload bytes read from / written to the sockets socketd holds for
  // callers (Connect, Accept), after TLS decryption / before encryption.
  kSocketBytesIn = 0,
  kSocketBytesOut,
  // Sessions reset and released by their idle timeout.
  kIdleReaps,
  kCount,  // Not a counter.
};

// Adds `n` to `counter`.
void CountOps(OpsCounter counter, uint64_t n = 1);

// The sum so far (since the process started).
uint64_t OpsCounterValue(OpsCounter counter);

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_OPS_COUNTERS_H_
