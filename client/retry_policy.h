// How a retrying Client (Client::WithRetryPolicy) retries, and which
// failures it retries. See README "Retries and exactly-once bytes" and
// docs/semantics.md "Exactly-once offsets".
//
// Only failures that gRPC itself raised are retried: UNAVAILABLE (socketd
// unreachable, the HTTP/2 connection reset mid-call) and DEADLINE_EXCEEDED
// of an attempt that RetryPolicy::attempt_timeout cut short. A status that
// socketd answered carries a SocketError detail and is never retried: a
// refused connection or a reset by the remote peer is the socket's fate, not
// the network's between caller and socketd.
//
// Pure values and functions: thread-safe.
#ifndef SOCKETSVC_CLIENT_RETRY_POLICY_H_
#define SOCKETSVC_CLIENT_RETRY_POLICY_H_

#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace socketsvc {

struct RetryPolicy {
  // Attempts per call, the first included (1: no retry).
  int max_attempts = 10;
  // Sleep before the first retry; each further retry sleeps `multiplier`
  // times longer, at most max_backoff. The sleep is drawn between half and
  // all of that (jitter), so that many clients do not retry in step.
  absl::Duration initial_backoff = absl::Milliseconds(20);
  absl::Duration max_backoff = absl::Seconds(1);
  double multiplier = 2.0;
  // No retry starts later than this after the call began (CallOptions::
  // rpc_timeout, if shorter, ends the call earlier anyway).
  absl::Duration budget = absl::Seconds(60);
  // gRPC deadline of each attempt, within rpc_timeout. An answer that is
  // lost without the connection failing (nothing tells the client) is only
  // noticed when the attempt's deadline passes: set this to retry such calls
  // before rpc_timeout. Infinite: an attempt lasts until rpc_timeout.
  // Blocking calls must leave room for their own wait: a Receive with
  // timeout_ms 10000 and attempt_timeout 5 s is cut (and retried, at the
  // same offset) every 5 s.
  absl::Duration attempt_timeout = absl::InfiniteDuration();
};

// The stream offsets a retrying Client holds for one socket
// (Client::Offsets): bytes socketd confirmed written, and bytes received.
// Unset until known (a handle this client did not create learns them from
// socketd on its first Send / Receive).
struct TrackedOffsets {
  std::optional<uint64_t> sent;
  std::optional<uint64_t> received;
};

// OK if `policy` is usable: max_attempts >= 1, backoffs >= 0 with
// initial <= max, multiplier >= 1, budget and attempt_timeout > 0.
absl::Status ValidateRetryPolicy(const RetryPolicy& policy);

// UNAVAILABLE or DEADLINE_EXCEEDED without socketd's SocketError detail.
// Whether a DEADLINE_EXCEEDED is retried also depends on the call's own
// deadline (the retry loop checks that).
bool IsTransportFailure(const absl::Status& status);

// The sleep before retry number `retry` (1 = the first retry): exponential
// from initial_backoff, capped at max_backoff, scaled by a factor in
// [0.5, 1] taken from `random` (any 64-bit value).
absl::Duration BackoffBefore(const RetryPolicy& policy, int retry, uint64_t random);

}  // namespace socketsvc

#endif  // SOCKETSVC_CLIENT_RETRY_POLICY_H_
