// PollQuota: per-principal and total caps, places given back by tickets.
#include "service/sessions/poll_quota.h"

#include <memory>
#include <vector>

#include "common/socket_error.h"
#include "gtest/gtest.h"

namespace socketsvc {
namespace {

TEST(PollQuotaTest, PerPrincipalCapLeavesOthersTheirPlaces) {
  PollQuota quota(/*per_principal=*/2, /*total=*/10);
  auto a1 = quota.Acquire("alice");
  auto a2 = quota.Acquire("alice");
  ASSERT_TRUE(a1.ok() && a2.ok());
  absl::StatusOr<std::unique_ptr<PollQuota::Ticket>> a3 = quota.Acquire("alice");
  ASSERT_FALSE(a3.ok());
  EXPECT_EQ(a3.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(GetSocketError(a3.status()), v1::SOCKET_ERROR_LIMIT_EXCEEDED);
  EXPECT_TRUE(quota.Acquire("bob").ok());
  a1->reset();  // Alice's first Poll ends: her place comes back.
  EXPECT_TRUE(quota.Acquire("alice").ok());
}

TEST(PollQuotaTest, TotalCapAndRelease) {
  PollQuota quota(/*per_principal=*/10, /*total=*/3);
  std::vector<std::unique_ptr<PollQuota::Ticket>> held;
  for (const char* who : {"a", "b", "c"}) {
    auto ticket = quota.Acquire(who);
    ASSERT_TRUE(ticket.ok());
    held.push_back(*std::move(ticket));
  }
  EXPECT_EQ(quota.pending(), 3u);
  EXPECT_FALSE(quota.Acquire("d").ok());
  held.clear();
  EXPECT_EQ(quota.pending(), 0u);
  EXPECT_TRUE(quota.Acquire("d").ok());
}

}  // namespace
}  // namespace socketsvc
