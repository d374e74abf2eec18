#include "service/api/timeouts.h"

#include "common/socket_error.h"
#include "gtest/gtest.h"

namespace socketsvc {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1000);

TEST(TimeoutsTest, Conventions) {
  EXPECT_EQ(*DeadlineFromTimeout(std::nullopt, absl::Seconds(5), kNow),
            kNow + absl::Seconds(5));
  EXPECT_EQ(*DeadlineFromTimeout(std::nullopt, absl::InfiniteDuration(), kNow),
            absl::InfiniteFuture());
  EXPECT_EQ(*DeadlineFromTimeout(0, absl::Seconds(5), kNow),
            absl::InfinitePast());
  EXPECT_EQ(*DeadlineFromTimeout(-1, absl::Seconds(5), kNow),
            absl::InfiniteFuture());
  EXPECT_EQ(*DeadlineFromTimeout(250, absl::Seconds(5), kNow),
            kNow + absl::Milliseconds(250));
}

TEST(TimeoutsTest, OtherNegativesAreInvalid) {
  absl::StatusOr<absl::Time> deadline =
      DeadlineFromTimeout(-2, absl::Seconds(5), kNow);
  ASSERT_FALSE(deadline.ok());
  EXPECT_EQ(deadline.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GetSocketError(deadline.status()),
            v1::SOCKET_ERROR_INVALID_REQUEST);
}

TEST(TimeoutsTest, RpcDeadlineComesFirstWithAMargin) {
  // No gRPC deadline: unchanged.
  EXPECT_EQ(ClampToRpcDeadline(kNow + absl::Seconds(5), absl::InfiniteFuture(), kNow),
            kNow + absl::Seconds(5));
  // gRPC deadline in 10 s: answer 500 ms (5%) before it.
  EXPECT_EQ(ClampToRpcDeadline(absl::InfiniteFuture(), kNow + absl::Seconds(10), kNow),
            kNow + absl::Milliseconds(9500));
  // Short gRPC deadlines keep at least 20 ms.
  EXPECT_EQ(ClampToRpcDeadline(absl::InfiniteFuture(), kNow + absl::Milliseconds(100), kNow),
            kNow + absl::Milliseconds(80));
  // An earlier own deadline, and "do not block", stay.
  EXPECT_EQ(ClampToRpcDeadline(kNow + absl::Seconds(1), kNow + absl::Seconds(10), kNow),
            kNow + absl::Seconds(1));
  EXPECT_EQ(ClampToRpcDeadline(absl::InfinitePast(), kNow + absl::Seconds(10), kNow),
            absl::InfinitePast());
}

}  // namespace
}  // namespace socketsvc
