#include "bench/scale.h"

#include <grpcpp/client_context.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/async_calls.h"
#include "common/status_macros.h"

namespace socketsvc::bench {
namespace {

constexpr int kWindow = 64;  // Connects/Closes/Sends in flight at a time.

// Pending Receives on `handle` as socketd reports them (-1 on failure).
int PendingReceivesOn(v1::SocketService::Stub& stub, const std::string& handle) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::GetInfoRequest request;
  request.set_handle(handle);
  v1::SocketInfo info;
  if (!stub.GetInfo(&context, request, &info).ok()) return -1;
  return static_cast<int>(info.pending_receives());
}

// Waits (up to 10 s) until socketd's descriptors are back to `fds` or fewer:
// closes finish on socketd's strands after the Close answers.
ProcStats SettledAfterClose(pid_t pid, int fds) {
  const absl::Time limit = absl::Now() + absl::Seconds(10);
  ProcStats stats = ReadProcStats(pid);
  while (stats.fds > fds && absl::Now() < limit) {
    absl::SleepFor(absl::Milliseconds(50));
    stats = ReadProcStats(pid);
  }
  return stats;
}

absl::Status MeasurePending(v1::SocketService::Stub& stub, pid_t pid,
                            const std::vector<std::string>& targets,
                            ScaleResult& result) {
  PendingReceives pending(stub, targets, 64);
  // Receives are started in order on one channel: once the last one is
  // pending in socketd, all are.
  const absl::Time limit = absl::Now() + absl::Seconds(30);
  while (PendingReceivesOn(stub, targets.back()) != 1) {
    if (absl::Now() > limit || pending.finished() > 0) {
      return absl::InternalError(absl::StrCat(
          "the pending Receives did not all start waiting (", pending.finished(),
          " finished early: ", pending.first_error().ToString(), ")"));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  absl::SleepFor(absl::Milliseconds(300));
  result.pending = ReadProcStats(pid);
  result.pending_receives = static_cast<int>(targets.size());
  if (pending.finished() != 0) {
    return absl::InternalError("a pending Receive finished without data");
  }
  // One byte to each session: the echo completes every Receive.
  RETURN_IF_ERROR(SendMany(stub, targets, "x", kWindow));
  if (!pending.WaitAll(absl::Seconds(60))) {
    return absl::DeadlineExceededError(absl::StrCat(
        "only ", pending.finished(), " of ", targets.size(),
        " pending Receives completed after their byte was echoed"));
  }
  RETURN_IF_ERROR(pending.first_error());
  if (pending.bytes() != static_cast<int64_t>(targets.size())) {
    return absl::DataLossError(absl::StrCat("the pending Receives returned ",
                                            pending.bytes(), " bytes, expected ",
                                            targets.size()));
  }
  return absl::OkStatus();
}

absl::Status MeasureLoaded(v1::SocketService::Stub& stub, pid_t pid,
                           const std::string& measured,
                           std::vector<std::string> busy_handles,
                           const ScaleOptions& options, ScaleResult& result) {
  result.busy_sessions = static_cast<int>(busy_handles.size());
  BusySessions busy(stub, std::move(busy_handles), Payload(options.latency_bytes));
  busy.Start();
  absl::SleepFor(absl::Milliseconds(500));  // Every loop is running.
  std::atomic<bool> sampling{true};
  std::atomic<int> max_threads{0};
  std::thread sampler([&] {
    while (sampling) {
      max_threads = std::max(max_threads.load(), ReadProcStats(pid).threads);
      absl::SleepFor(absl::Milliseconds(50));
    }
  });
  const int64_t round_trips_before = busy.round_trips();
  const Clock::time_point start = Clock::now();
  absl::StatusOr<Latency> loaded =
      SendReceiveLoop(stub, measured, options.latency_bytes, options.latency_duration);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  result.busy_round_trips_per_second =
      static_cast<double>(busy.round_trips() - round_trips_before) / seconds;
  sampling = false;
  sampler.join();
  result.max_threads_busy = max_threads.load();
  const bool stopped = busy.Stop(absl::Seconds(60));
  result.after_busy = ReadProcStats(pid);
  RETURN_IF_ERROR(loaded.status());
  result.loaded = *loaded;
  RETURN_IF_ERROR(busy.first_error());
  if (!stopped) return absl::DeadlineExceededError("the busy sessions did not stop");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ScaleResult> RunScale(v1::SocketService::Stub& stub,
                                     pid_t socketd_pid, uint16_t peer_port,
                                     const ScaleOptions& options) {
  ScaleResult result;
  const int n = options.idle_sessions;
  if (options.pending_receives > n || options.busy_sessions > n) {
    return absl::InvalidArgumentError(
        "pending and busy sessions are taken from the idle ones");
  }
  // Warm-up: gRPC's and the allocator's first-use costs are not per session.
  {
    ASSIGN_OR_RETURN(std::vector<std::string> warm,
                     ConnectMany(stub, peer_port, std::min(n, 200), kWindow));
    RETURN_IF_ERROR(DiscardMany(stub, warm, kWindow));
    absl::SleepFor(absl::Milliseconds(300));
  }
  result.before = ReadProcStats(socketd_pid);

  const Clock::time_point start = Clock::now();
  ASSIGN_OR_RETURN(std::vector<std::string> handles,
                   ConnectMany(stub, peer_port, n + 1, kWindow));
  result.connect_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const std::string measured = handles.back();  // Session n+1 measures latency.
  handles.pop_back();
  result.idle_sessions = n;
  absl::SleepFor(absl::Milliseconds(500));
  result.idle = ReadProcStats(socketd_pid);

  absl::Status status = MeasurePending(
      stub, socketd_pid,
      std::vector<std::string>(handles.begin(),
                               handles.begin() + options.pending_receives),
      result);
  if (status.ok()) {
    absl::StatusOr<Latency> alone = SendReceiveLoop(
        stub, measured, options.latency_bytes, options.latency_duration);
    status = alone.status();
    if (alone.ok()) result.alone = *alone;
  }
  if (status.ok()) {
    status = MeasureLoaded(
        stub, socketd_pid, measured,
        std::vector<std::string>(handles.begin(),
                                 handles.begin() + options.busy_sessions),
        options, result);
  }
  handles.push_back(measured);
  const absl::Status closed = DiscardMany(stub, handles, kWindow);
  result.closed = SettledAfterClose(socketd_pid, result.before.fds);
  RETURN_IF_ERROR(status);
  RETURN_IF_ERROR(closed);
  return result;
}

}  // namespace socketsvc::bench
