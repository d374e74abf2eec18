// Policy matching: ports, principals, first match, default deny, the
// built-in policy and socketd's own port.
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

TEST(PolicyTest, FirstMatchWins) {
  auto policy = MustParse(R"pb(
    egress { name: "no-internal" action: DENY cidrs: "10.0.0.0/8" }
    egress { name: "all" action: ALLOW }
    egress { name: "never-reached" action: DENY cidrs: "192.0.2.0/24" }
  )pb");
  ASSERT_NE(policy, nullptr);
  EXPECT_TRUE(DeniedWith(
      policy->CheckEgress("anonymous", "10.1.2.3", Ep("10.1.2.3", 80)),
      "policy rule \"no-internal\" denies 10.1.2.3:80"));
  EXPECT_TRUE(
      policy->CheckEgress("anonymous", "192.0.2.1", Ep("192.0.2.1", 80)).ok());
}

TEST(PolicyTest, DefaultDenyWithAFile) {
  auto policy = MustParse(R"pb(
    egress {
      name: "web"
      action: ALLOW
      ports { first: 443 }
    }
  )pb");
  ASSERT_NE(policy, nullptr);
  EXPECT_TRUE(policy->CheckEgress("anonymous", "x", Ep("192.0.2.1", 443)).ok());
  EXPECT_TRUE(
      DeniedWith(policy->CheckEgress("anonymous", "x", Ep("192.0.2.1", 80)),
                 "no policy rule allows 192.0.2.1:80 for principal "
                 "\"anonymous\" (default deny)"));
  EXPECT_TRUE(
      DeniedWith(policy->CheckListen("anonymous", Ep("127.0.0.1", 8080)),
                 "no policy rule allows listening on 127.0.0.1:8080"));
}

TEST(PolicyTest, EmptyFileDeniesEverything) {
  auto policy = MustParse("# nothing allowed\n");
  ASSERT_NE(policy, nullptr);
  EXPECT_TRUE(DeniedWith(policy->CheckEgress("a", "x", Ep("192.0.2.1", 80)),
                         "default deny"));
  EXPECT_TRUE(
      DeniedWith(policy->CheckListen("a", Ep("127.0.0.1", 0)), "default deny"));
}

TEST(PolicyTest, PortRanges) {
  auto policy = MustParse(R"pb(
    egress {
      name: "ports"
      action: ALLOW
      ports { first: 8000 last: 8099 }
      ports { first: 443 }
    }
  )pb");
  ASSERT_NE(policy, nullptr);
  for (uint16_t port : {443, 8000, 8050, 8099}) {
    EXPECT_TRUE(policy->CheckEgress("a", "h", Ep("192.0.2.1", port)).ok())
        << port;
  }
  for (uint16_t port : {442, 444, 7999, 8100, 80}) {
    EXPECT_FALSE(policy->CheckEgress("a", "h", Ep("192.0.2.1", port)).ok())
        << port;
  }
}

TEST(PolicyTest, EveryConditionMustHold) {
  auto policy = MustParse(R"pb(
    egress {
      name: "partner"
      action: ALLOW
      host_suffixes: [ "partner.example", "other.example" ]
      cidrs: [ "192.0.2.0/24", "2001:db8::/32" ]
      ports { first: 443 }
    }
  )pb");
  ASSERT_NE(policy, nullptr);
  EXPECT_TRUE(
      policy->CheckEgress("a", "api.partner.example", Ep("192.0.2.5", 443))
          .ok());
  EXPECT_TRUE(
      policy->CheckEgress("a", "OTHER.example", Ep("2001:db8::5", 443)).ok());
  // Wrong port, wrong address, wrong name, a literal instead of the name.
  EXPECT_FALSE(
      policy->CheckEgress("a", "api.partner.example", Ep("192.0.2.5", 80))
          .ok());
  EXPECT_FALSE(
      policy->CheckEgress("a", "api.partner.example", Ep("198.51.100.1", 443))
          .ok());
  EXPECT_FALSE(
      policy->CheckEgress("a", "evil-partner.example", Ep("192.0.2.5", 443))
          .ok());
  EXPECT_FALSE(
      policy->CheckEgress("a", "192.0.2.5", Ep("192.0.2.5", 443)).ok());
}

TEST(PolicyTest, NameRuleCannotReachDeniedAddresses) {
  // DNS rebinding: the allowed name resolves to the metadata address; the
  // CIDR rule before it still decides.
  auto policy = MustParse(R"pb(
    egress { name: "no-metadata" action: DENY cidrs: "169.254.0.0/16" }
    egress { name: "partner" action: ALLOW host_suffixes: "partner.example" }
  )pb");
  ASSERT_NE(policy, nullptr);
  EXPECT_TRUE(
      DeniedWith(policy->CheckEgress("a", "api.partner.example",
                                     Ep("169.254.169.254", 80)),
                 "policy rule \"no-metadata\" denies 169.254.169.254:80"));
  EXPECT_TRUE(DeniedWith(
      policy->CheckEgress("a", "api.partner.example",
                          Ep("::ffff:169.254.169.254", 80)),
      "policy rule \"no-metadata\" denies [::ffff:169.254.169.254]:80"));
  EXPECT_TRUE(
      policy->CheckEgress("a", "api.partner.example", Ep("192.0.2.1", 80))
          .ok());
}

TEST(PolicyTest, PerPrincipalRules) {
  auto policy = MustParse(R"pb(
    egress {
      name: "batch-smtp"
      action: ALLOW
      principals: [ "batch", "ops" ]
      ports { first: 25 }
    }
    egress {
      name: "web"
      action: ALLOW
      ports { first: 443 }
    }
    listen { name: "ops-listen" action: ALLOW principals: "ops" }
  )pb");
  ASSERT_NE(policy, nullptr);
  EXPECT_TRUE(policy->CheckEgress("batch", "mx", Ep("192.0.2.1", 25)).ok());
  EXPECT_TRUE(policy->CheckEgress("ops", "mx", Ep("192.0.2.1", 25)).ok());
  EXPECT_TRUE(
      DeniedWith(policy->CheckEgress("web-app", "mx", Ep("192.0.2.1", 25)),
                 "for principal \"web-app\" (default deny)"));
  EXPECT_TRUE(policy->CheckEgress("web-app", "www", Ep("192.0.2.1", 443)).ok());
  // Principals compare exactly.
  EXPECT_FALSE(policy->CheckEgress("Batch", "mx", Ep("192.0.2.1", 25)).ok());
  EXPECT_TRUE(policy->CheckListen("ops", Ep("0.0.0.0", 80)).ok());
  EXPECT_FALSE(policy->CheckListen("batch", Ep("0.0.0.0", 80)).ok());
}

TEST(PolicyTest, ListenRules) {
  auto policy = MustParse(R"pb(
    listen {
      name: "no-low-ports"
      action: DENY
      ports { first: 1 last: 1023 }
    }
    listen {
      name: "loopback"
      action: ALLOW
      cidrs: [ "127.0.0.0/8", "::1" ]
      ports { first: 0 }
      ports { first: 8000 last: 8999 }
    }
  )pb");
  ASSERT_NE(policy, nullptr);
  EXPECT_TRUE(policy->CheckListen("a", Ep("127.0.0.1", 8080)).ok());
  EXPECT_TRUE(policy->CheckListen("a", Ep("::1", 8999)).ok());
  EXPECT_TRUE(policy->CheckListen("a", Ep("127.0.0.1", 0)).ok());
  EXPECT_TRUE(DeniedWith(policy->CheckListen("a", Ep("127.0.0.1", 80)),
                         "policy rule \"no-low-ports\" denies listening on "
                         "127.0.0.1:80"));
  EXPECT_TRUE(DeniedWith(policy->CheckListen("a", Ep("127.0.0.1", 9000)),
                         "default deny"));
  // The wildcard address is not loopback.
  EXPECT_TRUE(DeniedWith(policy->CheckListen("a", Ep("0.0.0.0", 8080)),
                         "default deny"));
  EXPECT_TRUE(
      DeniedWith(policy->CheckListen("a", Ep("::", 8080)), "default deny"));
}

TEST(PolicyTest, WildcardBindNeedsAWildcardRule) {
  auto policy = MustParse(R"pb(
    listen {
      name: "any"
      action: ALLOW
      cidrs: [ "0.0.0.0/32", "::/128" ]
    }
  )pb");
  ASSERT_NE(policy, nullptr);
  EXPECT_TRUE(policy->CheckListen("a", Ep("0.0.0.0", 8080)).ok());
  EXPECT_TRUE(policy->CheckListen("a", Ep("::", 8080)).ok());
  EXPECT_FALSE(policy->CheckListen("a", Ep("127.0.0.1", 8080)).ok());
}

// --- Built-in policy and socketd's own port ----------------------------------

TEST(BuiltInPolicyTest, DeniesLinkLocalAndMetadataOnly) {
  std::shared_ptr<const Policy> policy = Policy::BuiltIn();
  for (const char* address :
       {"169.254.169.254", "169.254.0.1", "::ffff:169.254.169.254", "fe80::1",
        "febf::ffff", "fd00:ec2::254"}) {
    EXPECT_TRUE(DeniedWith(policy->CheckEgress("a", address, Ep(address, 80)),
                           "policy rule \"builtin-no-link-local\" denies"))
        << address;
  }
  for (const char* address : {"127.0.0.1", "::1", "10.0.0.1", "192.0.2.1",
                              "2001:db8::1", "169.255.0.1", "fec0::1"}) {
    EXPECT_TRUE(policy->CheckEgress("a", address, Ep(address, 80)).ok())
        << address;
  }
  EXPECT_TRUE(policy->CheckListen("a", Ep("0.0.0.0", 80)).ok());
  EXPECT_TRUE(policy->CheckListen("a", Ep("127.0.0.1", 0)).ok());
}

std::shared_ptr<const SelfEndpoints> Self(uint16_t port) {
  auto self = std::make_shared<SelfEndpoints>();
  self->ports = {port};
  self->local_addresses = {asio::ip::make_address("192.0.2.10"),
                           asio::ip::make_address("2001:db8::10")};
  return self;
}

TEST(BuiltInPolicyTest, OwnPortOnLocalAddressesIsDenied) {
  std::shared_ptr<const Policy> policy =
      Policy::BuiltIn()->WithSelf(Self(50051));
  for (const char* address :
       {"127.0.0.1", "127.0.0.2", "0.0.0.0", "::1", "::", "::ffff:127.0.0.1",
        "192.0.2.10", "2001:db8::10", "::ffff:192.0.2.10"}) {
    EXPECT_TRUE(
        DeniedWith(policy->CheckEgress("a", address, Ep(address, 50051)),
                   "policy rule \"builtin-self\" denies"))
        << address;
    EXPECT_TRUE(policy->CheckEgress("a", address, Ep(address, 50052)).ok())
        << address;
  }
  // Another host's port 50051 is another service.
  EXPECT_TRUE(
      policy->CheckEgress("a", "192.0.2.11", Ep("192.0.2.11", 50051)).ok());
  // No listener on socketd's port, whatever the address.
  EXPECT_TRUE(DeniedWith(policy->CheckListen("a", Ep("127.0.0.2", 50051)),
                         "policy rule \"builtin-self\" denies listening on "
                         "127.0.0.2:50051"));
  EXPECT_TRUE(policy->CheckListen("a", Ep("127.0.0.1", 50052)).ok());
}

TEST(BuiltInPolicyTest, OwnPortStaysDeniedWhateverTheFileAllows) {
  auto policy = MustParse(R"pb(
    egress { name: "all" action: ALLOW }
    listen { name: "all" action: ALLOW }
  )pb");
  ASSERT_NE(policy, nullptr);
  policy = policy->WithSelf(Self(50051));
  EXPECT_TRUE(DeniedWith(
      policy->CheckEgress("a", "localhost", Ep("::1", 50051)), "builtin-self"));
  EXPECT_TRUE(
      DeniedWith(policy->CheckListen("a", Ep("::", 50051)), "builtin-self"));
  // A file allows what the built-in policy denies when it says so.
  EXPECT_TRUE(policy->CheckEgress("a", "x", Ep("169.254.169.254", 80)).ok());
}

// --- Parse errors
// -------------------------------------------------------------

}  // namespace
}  // namespace socketsvc
