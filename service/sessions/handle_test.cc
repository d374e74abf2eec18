#include "service/sessions/handle.h"

#include "absl/container/flat_hash_set.h"
#include "gtest/gtest.h"

namespace socketsvc {
namespace {

TEST(HandleTest, HasKindReplicaAnd128RandomBits) {
  const std::string handle = NewHandle(HandleKind::kSocket, "1");
  ASSERT_EQ(handle.size(), 3 + 32u);
  EXPECT_EQ(handle.substr(0, 3), "s1.");
  EXPECT_TRUE(IsWellFormedHandle(handle));
  EXPECT_EQ(NewHandle(HandleKind::kListener, "r7").substr(0, 4), "lr7.");
  EXPECT_TRUE(IsWellFormedHandle(NewHandle(HandleKind::kHttpServer, "1")));
  EXPECT_EQ(NewHandle(HandleKind::kHttpRequest, "1").substr(0, 3), "r1.");
  EXPECT_TRUE(IsWellFormedHandle(NewHandle(HandleKind::kHttpRequest, "1")));
}

TEST(HandleTest, HandlesAreNotRepeatedOrSequential) {
  absl::flat_hash_set<std::string> seen;
  for (int i = 0; i < 10000; ++i) {
    ASSERT_TRUE(seen.insert(NewHandle(HandleKind::kSocket, "1")).second);
  }
  // Consecutive handles share no long common prefix after the replica part.
  const std::string a = NewHandle(HandleKind::kSocket, "1");
  const std::string b = NewHandle(HandleKind::kSocket, "1");
  EXPECT_NE(a.substr(3, 8), b.substr(3, 8));
}

TEST(HandleTest, RejectsMalformedHandles) {
  EXPECT_FALSE(IsWellFormedHandle(""));
  EXPECT_FALSE(IsWellFormedHandle("s1"));
  EXPECT_FALSE(IsWellFormedHandle("s1."));
  EXPECT_FALSE(IsWellFormedHandle("x1.00000000000000000000000000000000"));
  EXPECT_FALSE(IsWellFormedHandle("s.00000000000000000000000000000000"));
  EXPECT_FALSE(IsWellFormedHandle("s1.0000000000000000000000000000000"));
  EXPECT_FALSE(IsWellFormedHandle("s1.0000000000000000000000000000000G"));
  EXPECT_FALSE(IsWellFormedHandle("s1.0000000000000000000000000000000A"));
  EXPECT_FALSE(IsWellFormedHandle(std::string("s1.\0", 4)));
  EXPECT_TRUE(IsWellFormedHandle("s1.0123456789abcdef0123456789abcdef"));
}

TEST(HandleTest, ReplicaIds) {
  EXPECT_TRUE(IsValidReplicaId("1"));
  EXPECT_TRUE(IsValidReplicaId("socketd0"));
  EXPECT_FALSE(IsValidReplicaId(""));
  EXPECT_FALSE(IsValidReplicaId("A"));
  EXPECT_FALSE(IsValidReplicaId("a.b"));
  EXPECT_FALSE(IsValidReplicaId("12345678901234567"));
}

}  // namespace
}  // namespace socketsvc
