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

}  // namespace
}  // namespace socketsvc
