// Policy files: parse errors with their place, the README example,
// unreadable files, and PolicyStore reloads.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/socket_error.h"
#include "gtest/gtest.h"
#include "service/policy/policy.h"
#include "service/policy/policy_store.h"
#include "service/policy/policy_test_util.h"

namespace socketsvc {
namespace {

using namespace policy_test;  // NOLINT: test helpers
namespace asio = boost::asio;
using asio::ip::tcp;

TEST(PolicyParseTest, SyntaxErrorGivesLineAndColumn) {
  const std::string message = ParseError(
      "egress {\n"
      "  name: \"a\"\n"
      "  action: ALLOW\n"
      "  cidr: \"10.0.0.0/8\"\n"
      "}\n");
  EXPECT_TRUE(absl::StartsWith(message, "policy test.txtpb: line 4, column "))
      << message;
  EXPECT_TRUE(absl::StrContains(message, "cidr")) << message;
}

TEST(PolicyParseTest, BadEnumAndBrokenText) {
  EXPECT_TRUE(absl::StrContains(
      ParseError("egress { name: \"a\" action: PERMIT }"), "line 1, column"));
  EXPECT_TRUE(absl::StrContains(ParseError("egress { name: \"a\"\n"),
                                "line 2, column"));
  EXPECT_TRUE(absl::StrContains(ParseError("}"), "line 1, column 1"));
}

TEST(PolicyParseTest, RuleErrorsNameTheRuleAndPlace) {
  std::string message = ParseError(
      "egress { name: \"a\" action: ALLOW }\n"
      "egress {\n"
      "  name: \"b\"\n"
      "  action: DENY\n"
      "  cidrs: [\"10.0.0.0/8\", \"10.1.0.0/8\"]\n"
      "}\n");
  EXPECT_TRUE(absl::StrContains(message, "line 5, column 3:")) << message;
  EXPECT_TRUE(
      absl::StrContains(message, "egress rule \"b\": cidr \"10.1.0.0/8\""))
      << message;

  message = ParseError(
      "egress {\n"
      "  name: \"c\"\n"
      "  action: ALLOW\n"
      "  cidrs: \"10.0.0.0/8\"\n"
      "  cidrs: \"::1/64\"\n"
      "}\n");
  EXPECT_TRUE(absl::StrContains(message,
                                "line 5, column 3: egress rule \"c\": "
                                "cidr \"::1/64\""))
      << message;

  message = ParseError("egress { action: ALLOW }");
  EXPECT_TRUE(absl::StrContains(message, "egress rule 1 has no name"))
      << message;

  message = ParseError("egress { name: \"a b\" action: ALLOW }");
  EXPECT_TRUE(absl::StrContains(message, "rule name \"a b\"")) << message;

  message = ParseError(
      "listen { name: \"x\" action: ALLOW }\n"
      "listen { name: \"x\" action: DENY }\n");
  EXPECT_TRUE(absl::StrContains(message, "line 2, column")) << message;
  EXPECT_TRUE(absl::StrContains(message, "already used on line 1")) << message;

  message = ParseError("egress { name: \"a\" }");
  EXPECT_TRUE(absl::StrContains(message, "action must be ALLOW or DENY"))
      << message;

  message = ParseError(
      "egress { name: \"a\" action: ALLOW ports { first: 90 last: 80 } }");
  EXPECT_TRUE(absl::StrContains(message, "first <= last")) << message;
  message =
      ParseError("egress { name: \"a\" action: ALLOW ports { first: 70000 } }");
  EXPECT_TRUE(absl::StrContains(message, "first <= last <= 65535")) << message;

  message = ParseError(
      "egress { name: \"a\" action: ALLOW host_suffixes: \"ex..com\" }");
  EXPECT_TRUE(absl::StrContains(message, "host suffix \"ex..com\"")) << message;
  message = ParseError(
      "egress { name: \"a\" action: ALLOW host_suffixes: \"10.0.0.1\" }");
  EXPECT_TRUE(absl::StrContains(message, "addresses go in cidrs")) << message;
  message = ParseError(
      "egress { name: \"a\" action: ALLOW host_suffixes: \"*.example.com\" }");
  EXPECT_TRUE(absl::StrContains(message, "'*'")) << message;

  message = ParseError("egress { name: \"a\" action: ALLOW principals: \"\" }");
  EXPECT_TRUE(absl::StrContains(message, "a principal is empty")) << message;
}

TEST(PolicyParseTest, SameNameInEgressAndListenIsFine) {
  EXPECT_NE(MustParse("egress { name: \"x\" action: ALLOW }\n"
                      "listen { name: \"x\" action: ALLOW }\n"),
            nullptr);
}

TEST(PolicyParseTest, TheReadmeExample) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  ASSERT_NE(srcdir, nullptr);
  absl::StatusOr<std::shared_ptr<const Policy>> policy = Policy::LoadFile(
      absl::StrCat(srcdir, "/", workspace ? workspace : "socketsvc",
                   "/service/policy/example.txtpb"));
  ASSERT_TRUE(policy.ok()) << policy.status();
  const Policy& p = **policy;
  EXPECT_EQ(p.egress_rule_count(), 4u);
  EXPECT_EQ(p.listen_rule_count(), 1u);
  EXPECT_TRUE(DeniedWith(
      p.CheckEgress("batch", "api.partner.example", Ep("169.254.169.254", 443)),
      "\"no-metadata\""));
  EXPECT_TRUE(DeniedWith(p.CheckEgress("batch", "db", Ep("10.1.1.1", 25)),
                         "\"no-internal\""));
  EXPECT_TRUE(
      p.CheckEgress("web", "eu.API.partner.example", Ep("192.0.2.1", 443))
          .ok());
  EXPECT_TRUE(
      DeniedWith(p.CheckEgress("web", "partner.example", Ep("192.0.2.1", 443)),
                 "default deny"));
  EXPECT_TRUE(p.CheckEgress("batch", "mx.example", Ep("192.0.2.25", 587)).ok());
  EXPECT_TRUE(
      DeniedWith(p.CheckEgress("web", "mx.example", Ep("192.0.2.25", 587)),
                 "default deny"));
  EXPECT_TRUE(p.CheckListen("web", Ep("::1", 8080)).ok());
  EXPECT_TRUE(p.CheckListen("web", Ep("127.0.0.1", 0)).ok());
  EXPECT_TRUE(
      DeniedWith(p.CheckListen("web", Ep("0.0.0.0", 8080)), "default deny"));
}

TEST(PolicyParseTest, UnreadableFile) {
  absl::StatusOr<std::shared_ptr<const Policy>> policy =
      Policy::LoadFile("/nonexistent/policy.txtpb");
  ASSERT_FALSE(policy.ok());
  EXPECT_TRUE(
      absl::StrContains(policy.status().message(),
                        "policy /nonexistent/policy.txtpb: cannot read"))
      << policy.status();
}

// --- PolicyStore ------------------------------------------------------------

class PolicyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* dir = std::getenv("TEST_TMPDIR");
    path_ = absl::StrCat(dir ? dir : "/tmp", "/policy_store_test.", getpid(),
                         ".txtpb");
  }
  void TearDown() override { std::remove(path_.c_str()); }

  void Write(const std::string& text) {
    std::ofstream(path_, std::ios::trunc) << text;
  }

  std::string path_;
};

TEST_F(PolicyStoreTest, ReloadSwapsAndKeepsTheOldPolicyOnErrors) {
  Write("egress { name: \"deny-all\" action: DENY }\n");
  absl::StatusOr<std::shared_ptr<const Policy>> initial =
      PolicyStore::Load(path_);
  ASSERT_TRUE(initial.ok()) << initial.status();
  PolicyStore store(path_, *initial);
  store.SetOwnPorts({50051});
  const tcp::endpoint peer = Ep("192.0.2.1", 80);

  std::shared_ptr<const Policy> before = store.Snapshot();
  EXPECT_TRUE(DeniedWith(before->CheckEgress("a", "x", peer), "deny-all"));

  Write("egress { name: \"allow-all\" action: ALLOW }\n");
  ASSERT_TRUE(store.Reload().ok());
  EXPECT_TRUE(store.Snapshot()->CheckEgress("a", "x", peer).ok());
  // A snapshot taken before the reload keeps judging by the old rules.
  EXPECT_TRUE(DeniedWith(before->CheckEgress("a", "x", peer), "deny-all"));
  // socketd's own port survives reloads.
  EXPECT_TRUE(DeniedWith(
      store.Snapshot()->CheckEgress("a", "x", Ep("127.0.0.1", 50051)),
      "builtin-self"));

  Write("egress { name: \"broken\"\n  action: MAYBE }\n");
  absl::Status failed = store.Reload();
  ASSERT_FALSE(failed.ok());
  EXPECT_TRUE(absl::StrContains(
      failed.message(), absl::StrCat("policy ", path_, ": line 2, column")))
      << failed;
  EXPECT_TRUE(store.Snapshot()->CheckEgress("a", "x", peer).ok());

  std::remove(path_.c_str());
  EXPECT_FALSE(store.Reload().ok());
  EXPECT_TRUE(store.Snapshot()->CheckEgress("a", "x", peer).ok());
}

TEST_F(PolicyStoreTest, PrepareDoesNotInstall) {
  Write("egress { name: \"deny-all\" action: DENY }\n");
  PolicyStore store(path_, *PolicyStore::Load(path_));
  Write("egress { name: \"allow-all\" action: ALLOW }\n");
  absl::StatusOr<PolicyStore::Commit> commit = store.PrepareReload();
  ASSERT_TRUE(commit.ok()) << commit.status();
  EXPECT_FALSE(
      store.Snapshot()->CheckEgress("a", "x", Ep("192.0.2.1", 80)).ok());
  std::move (*commit)();
  EXPECT_TRUE(
      store.Snapshot()->CheckEgress("a", "x", Ep("192.0.2.1", 80)).ok());
}

TEST(PolicyStoreBuiltInTest, WithoutAFileTheBuiltInPolicyStays) {
  absl::StatusOr<std::shared_ptr<const Policy>> initial = PolicyStore::Load("");
  ASSERT_TRUE(initial.ok());
  PolicyStore store("", *initial);
  store.SetOwnPorts({0, 4242});
  EXPECT_TRUE(store.Reload().ok());
  std::shared_ptr<const Policy> policy = store.Snapshot();
  EXPECT_TRUE(policy->source().empty());
  EXPECT_TRUE(
      DeniedWith(policy->CheckEgress("a", "x", Ep("169.254.169.254", 80)),
                 "builtin-no-link-local"));
  EXPECT_TRUE(DeniedWith(policy->CheckEgress("a", "x", Ep("127.0.0.1", 4242)),
                         "builtin-self"));
  // Port 0 was dropped: a Listen on port 0 is not socketd's port.
  EXPECT_TRUE(policy->CheckListen("a", Ep("127.0.0.1", 0)).ok());
}

}  // namespace
}  // namespace socketsvc
