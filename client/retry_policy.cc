#include "client/retry_policy.h"

#include <algorithm>
#include <cmath>

#include "common/socket_error.h"

namespace socketsvc {

absl::Status ValidateRetryPolicy(const RetryPolicy& policy) {
  if (policy.max_attempts < 1) {
    return absl::InvalidArgumentError("RetryPolicy.max_attempts must be >= 1");
  }
  if (policy.initial_backoff < absl::ZeroDuration() ||
      policy.max_backoff < policy.initial_backoff) {
    return absl::InvalidArgumentError(
        "RetryPolicy backoffs must satisfy 0 <= initial_backoff <= max_backoff");
  }
  if (!(policy.multiplier >= 1.0)) {
    return absl::InvalidArgumentError("RetryPolicy.multiplier must be >= 1");
  }
  if (policy.budget <= absl::ZeroDuration() ||
      policy.attempt_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "RetryPolicy.budget and attempt_timeout must be > 0");
  }
  return absl::OkStatus();
}

bool IsTransportFailure(const absl::Status& status) {
  if (status.code() != absl::StatusCode::kUnavailable &&
      status.code() != absl::StatusCode::kDeadlineExceeded) {
    return false;
  }
  // socketd's own answers carry a detail; gRPC's transport failures do not.
  return !GetErrorDetail(status).has_value();
}

absl::Duration BackoffBefore(const RetryPolicy& policy, int retry, uint64_t random) {
  const double growth =
      std::pow(policy.multiplier, static_cast<double>(std::max(retry, 1) - 1));
  // Past max_backoff the product may overflow a Duration: compare first.
  const double max_seconds = absl::ToDoubleSeconds(policy.max_backoff);
  const double seconds =
      std::min(absl::ToDoubleSeconds(policy.initial_backoff) * growth, max_seconds);
  // 53 random bits give a uniform fraction in [0, 1).
  const double fraction = static_cast<double>(random >> 11) * 0x1.0p-53;
  return absl::Seconds(seconds * (0.5 + 0.5 * fraction));
}

}  // namespace socketsvc
