// OwnedTable's caps: in total and per owner, counted until Remove, with the
// flag's name in the refusal.
#include "service/sessions/owned_table.h"

#include <memory>

#include "absl/strings/match.h"
#include "common/socket_error.h"
#include "gtest/gtest.h"

namespace socketsvc {
namespace {

bool RefusedNaming(const absl::Status& status, absl::string_view flag) {
  return status.code() == absl::StatusCode::kResourceExhausted &&
         GetSocketError(status) == v1::SOCKET_ERROR_LIMIT_EXCEEDED &&
         absl::StrContains(status.message(), flag);
}

TEST(OwnedTableTest, PerOwnerCapCountsUntilRemove) {
  OwnedTable<int> table("sockets", "--max_sessions", 10, "--max_sessions_per_principal",
                        2);
  ASSERT_TRUE(table.Insert("a1", "alice", std::make_shared<int>(1)).ok());
  ASSERT_TRUE(table.Insert("a2", "alice", std::make_shared<int>(2)).ok());
  EXPECT_TRUE(RefusedNaming(table.Insert("a3", "alice", std::make_shared<int>(3)),
                            "--max_sessions_per_principal"));
  EXPECT_TRUE(RefusedNaming(table.CheckCapacity("alice"), "'alice'"));
  // Another owner is not affected.
  EXPECT_TRUE(table.CheckCapacity("bob").ok());
  ASSERT_TRUE(table.Insert("b1", "bob", std::make_shared<int>(4)).ok());
  EXPECT_EQ(table.CountOf("alice"), 2u);
  EXPECT_EQ(table.CountOf("bob"), 1u);
  table.Remove("a1");
  table.Remove("a1");  // Twice: counted once.
  table.Remove("unknown");
  EXPECT_EQ(table.CountOf("alice"), 1u);
  EXPECT_TRUE(table.Insert("a3", "alice", std::make_shared<int>(3)).ok());
  EXPECT_EQ(table.size(), 3u);
}

TEST(OwnedTableTest, TotalCapStillApplies) {
  OwnedTable<int> table("listeners", "--max_listeners", 2);
  ASSERT_TRUE(table.Insert("l1", "alice", std::make_shared<int>(1)).ok());
  ASSERT_TRUE(table.Insert("l2", "bob", std::make_shared<int>(2)).ok());
  EXPECT_TRUE(RefusedNaming(table.Insert("l3", "carol", std::make_shared<int>(3)),
                            "(--max_listeners)"));
  EXPECT_TRUE(RefusedNaming(table.CheckCapacity(), "--max_listeners"));
  EXPECT_TRUE(RefusedNaming(table.CheckCapacity("carol"), "--max_listeners"));
  // Without a per-owner cap one owner may take all.
  table.Remove("l2");
  EXPECT_TRUE(table.Insert("l3", "alice", std::make_shared<int>(3)).ok());
  EXPECT_EQ(table.CountOf("alice"), 2u);
}

}  // namespace
}  // namespace socketsvc
