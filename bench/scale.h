// The scale part of the benchmark, on a socketd of its own (a fresh process,
// so that memory left over from the throughput rows does not hide what
// sessions cost):
//   1. `idle_sessions` idle sessions: socketd's RSS, fds and threads before
//      and after;
//   2. a pending Receive on `pending_receives` of them: threads before and
//      while they wait; then a byte each completes them;
//   3. Send+Receive round trips on one more session, alone and while
//      `busy_sessions` others loop Send+Receive as fast as they can;
//   4. every session closed: fds and RSS after.
#ifndef SOCKETSVC_BENCH_SCALE_H_
#define SOCKETSVC_BENCH_SCALE_H_

#include <sys/types.h>

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bench/child_process.h"
#include "bench/measure.h"
#include "socketsvc/v1/sockets.grpc.pb.h"

namespace socketsvc::bench {

struct ScaleOptions {
  int idle_sessions = 10000;
  int pending_receives = 1000;
  int busy_sessions = 1000;
  absl::Duration latency_duration = absl::Seconds(5);
  size_t latency_bytes = 64;
};

struct ScaleResult {
  int idle_sessions = 0;
  double connect_seconds = 0;  // To open all of them.
  ProcStats before;            // socketd warmed up, no session.
  ProcStats idle;              // With every idle session.
  int pending_receives = 0;
  ProcStats pending;           // While the Receives wait.
  int busy_sessions = 0;
  Latency alone;               // The measured session, the others idle.
  Latency loaded;              // While the busy sessions loop.
  double busy_round_trips_per_second = 0;  // All busy sessions together.
  int max_threads_busy = 0;    // Highest thread count seen under load.
  ProcStats after_busy;        // Once the busy sessions stopped.
  ProcStats closed;            // After closing every session.
};

absl::StatusOr<ScaleResult> RunScale(v1::SocketService::Stub& stub,
                                     pid_t socketd_pid, uint16_t peer_port,
                                     const ScaleOptions& options);

}  // namespace socketsvc::bench

#endif  // SOCKETSVC_BENCH_SCALE_H_
