#include "client/retry_policy.h"

#include <cstdint>

#include "common/socket_error.h"
#include "gtest/gtest.h"

namespace socketsvc {
namespace {

TEST(RetryPolicyTest, OnlyTransportFailuresAreRetried) {
  // gRPC's own: no detail.
  EXPECT_TRUE(IsTransportFailure(absl::UnavailableError("Socket closed")));
  EXPECT_TRUE(IsTransportFailure(absl::DeadlineExceededError("Deadline Exceeded")));
  // socketd's answers carry a SocketError: the socket's fate, not the wire's.
  EXPECT_FALSE(IsTransportFailure(SocketErrorStatus(
      absl::StatusCode::kUnavailable, v1::SOCKET_ERROR_CONNECTION_REFUSED, "refused")));
  EXPECT_FALSE(IsTransportFailure(SocketErrorStatus(
      absl::StatusCode::kUnavailable, v1::SOCKET_ERROR_SHUTTING_DOWN, "draining")));
  EXPECT_FALSE(IsTransportFailure(SocketErrorStatus(
      absl::StatusCode::kDeadlineExceeded, v1::SOCKET_ERROR_TIMED_OUT, "timed out")));
  EXPECT_FALSE(IsTransportFailure(absl::CancelledError("cancelled")));
  EXPECT_FALSE(IsTransportFailure(absl::InternalError("x")));
  EXPECT_FALSE(IsTransportFailure(absl::OkStatus()));
}

TEST(RetryPolicyTest, BackoffGrowsIsCappedAndJittered) {
  RetryPolicy policy;
  policy.initial_backoff = absl::Milliseconds(100);
  policy.max_backoff = absl::Seconds(1);
  policy.multiplier = 2;
  // random 0: half; random max: (almost) all.
  EXPECT_EQ(BackoffBefore(policy, 1, 0), absl::Milliseconds(50));
  EXPECT_NEAR(absl::ToDoubleMilliseconds(BackoffBefore(policy, 1, UINT64_MAX)), 100, 0.01);
  EXPECT_EQ(BackoffBefore(policy, 2, 0), absl::Milliseconds(100));
  EXPECT_EQ(BackoffBefore(policy, 3, 0), absl::Milliseconds(200));
  EXPECT_EQ(BackoffBefore(policy, 5, 0), absl::Milliseconds(500));  // Capped at 1 s.
  EXPECT_EQ(BackoffBefore(policy, 1000, 0), absl::Milliseconds(500));
  for (uint64_t r : {uint64_t{1}, uint64_t{1} << 40, uint64_t{12345678901234567}}) {
    const absl::Duration d = BackoffBefore(policy, 2, r);
    EXPECT_GE(d, absl::Milliseconds(100));
    EXPECT_LE(d, absl::Milliseconds(200));
  }
}

TEST(RetryPolicyTest, Validation) {
  EXPECT_TRUE(ValidateRetryPolicy(RetryPolicy{}).ok());
  RetryPolicy bad;
  bad.max_attempts = 0;
  EXPECT_FALSE(ValidateRetryPolicy(bad).ok());
  bad = RetryPolicy{};
  bad.initial_backoff = absl::Seconds(2);  // Above max_backoff.
  EXPECT_FALSE(ValidateRetryPolicy(bad).ok());
  bad = RetryPolicy{};
  bad.multiplier = 0.5;
  EXPECT_FALSE(ValidateRetryPolicy(bad).ok());
  bad = RetryPolicy{};
  bad.attempt_timeout = absl::ZeroDuration();
  EXPECT_FALSE(ValidateRetryPolicy(bad).ok());
}

}  // namespace
}  // namespace socketsvc
