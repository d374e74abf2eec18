// The retrying half of Client (Client::WithRetryPolicy): the retry loop, and
// per-handle stream offsets that make Send, Receive and Close safe to retry
// (exactly-once bytes; docs/semantics.md "Exactly-once offsets").
//
// Internal to //client: Client's public methods call into it. Thread-safe:
// calls on different handles run in parallel; on one handle, Sends run one
// at a time and so do Receives (the offset of each follows the answer to
// the one before), while a Send and a Receive run at once.
#ifndef SOCKETSVC_CLIENT_RETRYING_STREAM_H_
#define SOCKETSVC_CLIENT_RETRYING_STREAM_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "client/retry_policy.h"
#include "socketsvc/v1/sockets.pb.h"

namespace socketsvc {

// One call's attempts: each attempt's CallOptions (its deadline within the
// call's, wait_for_ready on retries), and whether a failure is retried
// (after the backoff, which Retry sleeps).
class RetryLoop {
 public:
  // Both must outlive the loop.
  RetryLoop(const RetryPolicy& policy, const CallOptions& options);

  // Options of the next attempt.
  CallOptions NextAttempt();
  // After a failed attempt: sleeps the backoff and returns true if another
  // attempt should run. `force` retries a status that is no transport
  // failure (Close's "still being closed" on a retry).
  bool Retry(const absl::Status& status, bool force = false);
  // A socket-level timeout_ms given at the start of the call, for the next
  // attempt: positive ones shrink by the time spent (at least 0).
  std::optional<int64_t> Remaining(std::optional<int64_t> timeout_ms) const;
  // `status` of the last attempt, its message saying how many ran.
  absl::Status Final(const absl::Status& status) const;
  int attempts() const { return attempts_; }

 private:
  const RetryPolicy& policy_;
  const CallOptions& options_;
  const absl::Time start_;
  // The call's own deadline (rpc_timeout), InfiniteFuture if none.
  const absl::Time deadline_;
  int attempts_ = 0;
};

// Retries an idempotent call: `attempt(const CallOptions&)` returns
// absl::StatusOr<Response>.
template <typename Response, typename Attempt>
absl::StatusOr<Response> RetryIdempotent(const RetryPolicy& policy,
                                         const CallOptions& options, Attempt attempt) {
  RetryLoop loop(policy, options);
  for (;;) {
    absl::StatusOr<Response> result = attempt(loop.NextAttempt());
    if (result.ok()) return result;
    if (!loop.Retry(result.status())) return loop.Final(result.status());
  }
}

class RetryingStreams {
 public:
  explicit RetryingStreams(RetryPolicy policy) : policy_(policy) {}

  const RetryPolicy& policy() const { return policy_; }

  // `raw` makes one attempt per call (a Client without retries). See
  // client.h for what each does on the caller's side.
  absl::StatusOr<v1::SendResponse> Send(const Client& raw, absl::string_view handle,
                                        absl::string_view data,
                                        std::optional<int64_t> timeout_ms,
                                        const CallOptions& options);
  absl::StatusOr<v1::ReceiveResponse> Receive(const Client& raw,
                                              absl::string_view handle,
                                              uint32_t max_bytes, uint32_t min_bytes,
                                              std::optional<int64_t> timeout_ms,
                                              const CallOptions& options);
  absl::StatusOr<v1::CloseResponse> Close(const Client& raw, absl::string_view handle,
                                          v1::CloseMode mode,
                                          std::optional<int64_t> timeout_ms,
                                          const CallOptions& options);

  // A socket this client just made (Connect, Accept): both offsets are 0.
  void Register(absl::string_view handle) ABSL_LOCKS_EXCLUDED(mu_);
  // Offsets of `handle` are unknown again: the next Send and Receive learn
  // them from socketd first (after a Pipe moved bytes past them).
  void Forget(absl::string_view handle) ABSL_LOCKS_EXCLUDED(mu_);
  TrackedOffsets Offsets(absl::string_view handle) const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Handle;
  std::shared_ptr<Handle> Find(absl::string_view handle, bool create)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Forgets `handle` if `handle_state` is still the one tracked for it.
  void ForgetIfCurrent(absl::string_view handle, const Handle* handle_state)
      ABSL_LOCKS_EXCLUDED(mu_);

  const RetryPolicy policy_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<Handle>> handles_ ABSL_GUARDED_BY(mu_);
};

}  // namespace socketsvc

#endif  // SOCKETSVC_CLIENT_RETRYING_STREAM_H_
