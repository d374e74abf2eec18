// Many socketd calls at once from one thread, through the generated stub's
// callback API (stub->async()), so that the benchmark needs no thread per
// session to hold 10,000 sessions or keep 1,000 of them busy.
#ifndef SOCKETSVC_BENCH_ASYNC_CALLS_H_
#define SOCKETSVC_BENCH_ASYNC_CALLS_H_

#include <grpcpp/client_context.h>

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "socketsvc/v1/sockets.grpc.pb.h"

namespace socketsvc::bench {

// Counts calls that finished and keeps the first failure. Thread-safe.
class Completions {
 public:
  void Done(absl::Status status) ABSL_LOCKS_EXCLUDED(mu_);
  // Waits until `n` calls are done; false after `timeout`.
  bool WaitFor(int64_t n, absl::Duration timeout) ABSL_LOCKS_EXCLUDED(mu_);
  // Waits until fewer than `n` are in flight, `started` being how many began.
  bool WaitInFlightBelow(int64_t started, int64_t n, absl::Duration timeout)
      ABSL_LOCKS_EXCLUDED(mu_);
  int64_t done() const ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status first_error() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  int64_t done_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status first_error_ ABSL_GUARDED_BY(mu_);
};

// Connects `n` sessions to the echo peer on `peer_port`, `window` Connects
// in flight at a time. Fails if any Connect fails.
absl::StatusOr<std::vector<std::string>> ConnectMany(
    v1::SocketService::Stub& stub, uint16_t peer_port, int n, int window);

// Closes every handle (DISCARD), `window` at a time.
absl::Status DiscardMany(v1::SocketService::Stub& stub,
                         const std::vector<std::string>& handles, int window);

// Sends `data` on each of `handles`, `window` at a time.
absl::Status SendMany(v1::SocketService::Stub& stub,
                      const std::vector<std::string>& handles,
                      const std::string& data, int window);

// A Receive (timeout -1, at most `max_bytes`) on each handle, all started at
// once and left pending until data comes. Thread-safe.
class PendingReceives {
 public:
  PendingReceives(v1::SocketService::Stub& stub,
                  const std::vector<std::string>& handles, uint32_t max_bytes);
  // Cancels the calls still pending and waits for every callback.
  ~PendingReceives();

  // Waits until every Receive finished; false after `timeout`.
  bool WaitAll(absl::Duration timeout);
  int64_t finished() const { return completions_.done(); }
  int64_t bytes() const { return bytes_.load(); }
  absl::Status first_error() const { return completions_.first_error(); }

 private:
  struct Call {
    grpc::ClientContext context;
    v1::ReceiveRequest request;
    v1::ReceiveResponse response;
  };
  std::deque<Call> calls_;  // A deque: calls never move.
  std::atomic<int64_t> bytes_{0};
  Completions completions_;
};

// Keeps sessions busy: each loops Send(payload) then Receive(min = max =
// payload size) until Stop(). Round trips are counted; the first failure
// stops that session's loop and is kept.
class BusySessions {
 public:
  BusySessions(v1::SocketService::Stub& stub, std::vector<std::string> handles,
               std::string payload);
  ~BusySessions();  // Stop() and wait.

  void Start();
  // Asks every loop to stop after its round trip and waits up to `timeout`
  // for them; false if some did not finish.
  bool Stop(absl::Duration timeout);
  int64_t round_trips() const { return round_trips_.load(); }
  absl::Status first_error() const { return completions_.first_error(); }

 private:
  struct Loop;
  void StartSend(Loop& loop);
  void StartReceive(Loop& loop);

  v1::SocketService::Stub& stub_;
  const std::string payload_;
  std::vector<std::unique_ptr<Loop>> loops_;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> round_trips_{0};
  Completions completions_;  // One per loop that ended.
  bool started_ = false;
};

}  // namespace socketsvc::bench

#endif  // SOCKETSVC_BENCH_ASYNC_CALLS_H_
