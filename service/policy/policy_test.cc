// Policy: CIDRs (IPv4, IPv6, IPv4-mapped), host suffixes, ports,
// principals, first match, default deny, the built-in policy, socketd's own
// port, parse errors with their place, and PolicyStore reloads.
#include "service/policy/policy.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/socket_error.h"
#include "gtest/gtest.h"
#include "service/policy/policy_store.h"

namespace socketsvc {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

tcp::endpoint Ep(const std::string& address, uint16_t port) {
  return tcp::endpoint(asio::ip::make_address(address), port);
}

bool InCidr(const std::string& cidr, const std::string& address) {
  absl::StatusOr<Cidr> parsed = Cidr::Parse(cidr);
  EXPECT_TRUE(parsed.ok()) << cidr << ": " << parsed.status();
  return parsed.ok() && parsed->Contains(asio::ip::make_address(address));
}

std::shared_ptr<const Policy> MustParse(const std::string& text) {
  absl::StatusOr<std::shared_ptr<const Policy>> policy =
      Policy::Parse(text, "test.txtpb");
  EXPECT_TRUE(policy.ok()) << policy.status();
  return policy.ok() ? *policy : nullptr;
}

std::string ParseError(const std::string& text) {
  absl::StatusOr<std::shared_ptr<const Policy>> policy =
      Policy::Parse(text, "test.txtpb");
  EXPECT_FALSE(policy.ok()) << "parsed:\n" << text;
  if (policy.ok()) return "";
  EXPECT_EQ(policy.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(policy.status().message());
}

// Asserts `status` is a policy refusal whose message contains `text`.
::testing::AssertionResult DeniedWith(const absl::Status& status,
                                      const std::string& text) {
  if (status.ok()) return ::testing::AssertionFailure() << "allowed";
  if (status.code() != absl::StatusCode::kPermissionDenied ||
      GetSocketError(status) != v1::SOCKET_ERROR_POLICY_DENIED) {
    return ::testing::AssertionFailure() << "not a policy refusal: " << status;
  }
  if (!absl::StrContains(status.message(), text)) {
    return ::testing::AssertionFailure()
           << "\"" << status.message() << "\" lacks \"" << text << "\"";
  }
  return ::testing::AssertionSuccess();
}

// --- CIDRs ------------------------------------------------------------------

TEST(CidrTest, Ipv4) {
  EXPECT_TRUE(InCidr("10.0.0.0/8", "10.255.1.2"));
  EXPECT_FALSE(InCidr("10.0.0.0/8", "11.0.0.1"));
  EXPECT_TRUE(InCidr("172.16.0.0/12", "172.31.255.255"));
  EXPECT_FALSE(InCidr("172.16.0.0/12", "172.32.0.0"));
  EXPECT_TRUE(InCidr("192.0.2.7", "192.0.2.7"));  // A bare address is /32.
  EXPECT_FALSE(InCidr("192.0.2.7", "192.0.2.8"));
  EXPECT_TRUE(InCidr("0.0.0.0/0", "203.0.113.9"));
  EXPECT_TRUE(InCidr("127.0.0.2/32", "127.0.0.2"));
  EXPECT_FALSE(InCidr("127.0.0.2/32", "127.0.0.1"));
  EXPECT_TRUE(InCidr("192.168.1.128/25", "192.168.1.200"));
  EXPECT_FALSE(InCidr("192.168.1.128/25", "192.168.1.127"));
}

TEST(CidrTest, Ipv6) {
  EXPECT_TRUE(InCidr("fe80::/10", "fe80::1"));
  EXPECT_TRUE(InCidr("fe80::/10", "febf::1"));
  EXPECT_FALSE(InCidr("fe80::/10", "fec0::1"));
  EXPECT_TRUE(InCidr("::1/128", "::1"));
  EXPECT_TRUE(InCidr("::1", "::1"));
  EXPECT_FALSE(InCidr("::1", "::2"));
  EXPECT_TRUE(InCidr("2001:db8::/32", "2001:db8:ffff::1"));
  EXPECT_TRUE(InCidr("::/0", "2001:db8::1"));
}

TEST(CidrTest, FamiliesDoNotMix) {
  EXPECT_FALSE(InCidr("0.0.0.0/0", "::1"));
  EXPECT_FALSE(InCidr("::/0", "127.0.0.1"));
}

TEST(CidrTest, MappedAddressesCountAsIpv4) {
  // A resolved ::ffff:169.254.169.254 goes out as IPv4 to 169.254.169.254.
  EXPECT_TRUE(InCidr("169.254.0.0/16", "::ffff:169.254.169.254"));
  EXPECT_FALSE(InCidr("169.254.0.0/16", "::ffff:10.0.0.1"));
  // A mapped prefix in a rule is the IPv4 prefix it covers.
  EXPECT_TRUE(InCidr("::ffff:169.254.0.0/112", "169.254.169.254"));
  EXPECT_TRUE(InCidr("::ffff:169.254.0.0/112", "::ffff:169.254.1.1"));
  EXPECT_FALSE(InCidr("::ffff:169.254.0.0/112", "169.253.0.1"));
  EXPECT_EQ(Cidr::Parse("::ffff:169.254.0.0/112")->ToString(),
            "169.254.0.0/16");
  EXPECT_TRUE(InCidr("::ffff:127.0.0.1", "127.0.0.1"));
  // ...so "all of IPv6" does not reach IPv4 through the mapped form.
  EXPECT_FALSE(InCidr("::/0", "::ffff:169.254.169.254"));
  EXPECT_TRUE(InCidr("0.0.0.0/0", "::ffff:169.254.169.254"));
}

TEST(CidrTest, ParseErrors) {
  EXPECT_FALSE(Cidr::Parse("").ok());
  EXPECT_FALSE(Cidr::Parse("10.0.0.0/").ok());
  EXPECT_FALSE(Cidr::Parse("10.0.0.0/33").ok());
  EXPECT_FALSE(Cidr::Parse("10.0.0.0/-1").ok());
  EXPECT_FALSE(Cidr::Parse("10.0.0.0/8x").ok());
  EXPECT_FALSE(Cidr::Parse("::/129").ok());
  EXPECT_FALSE(Cidr::Parse("example.com/8").ok());
  EXPECT_FALSE(Cidr::Parse("10.0.0/8").ok());
  EXPECT_FALSE(Cidr::Parse("fe80::1%1/128").ok());
  absl::StatusOr<Cidr> host_bits = Cidr::Parse("10.1.0.0/8");
  ASSERT_FALSE(host_bits.ok());
  EXPECT_TRUE(absl::StrContains(host_bits.status().message(), "10.0.0.0/8"))
      << host_bits.status();
  EXPECT_FALSE(Cidr::Parse("fe80::1/10").ok());
}

// --- Host suffixes
// ------------------------------------------------------------

TEST(HostSuffixTest, DotBoundary) {
  EXPECT_TRUE(HostMatchesSuffix("example.com", "example.com"));
  EXPECT_TRUE(HostMatchesSuffix("api.example.com", "example.com"));
  EXPECT_TRUE(HostMatchesSuffix("a.b.example.com", "example.com"));
  EXPECT_FALSE(HostMatchesSuffix("evil-example.com", "example.com"));
  EXPECT_FALSE(HostMatchesSuffix("evilexample.com", "example.com"));
  EXPECT_FALSE(HostMatchesSuffix("example.com.evil.net", "example.com"));
  EXPECT_FALSE(HostMatchesSuffix("example.co", "example.com"));
  EXPECT_FALSE(HostMatchesSuffix("com", "example.com"));
  EXPECT_FALSE(HostMatchesSuffix("", "example.com"));
}

TEST(HostSuffixTest, CaseAndTrailingDot) {
  EXPECT_TRUE(HostMatchesSuffix("API.Example.COM", "example.com"));
  EXPECT_TRUE(HostMatchesSuffix("example.com.", "example.com"));
  EXPECT_TRUE(HostMatchesSuffix("Api.Example.Com.", "example.com"));
}

TEST(HostSuffixTest, LeadingDotMeansSubdomainsOnly) {
  EXPECT_TRUE(HostMatchesSuffix("api.example.com", ".example.com"));
  EXPECT_FALSE(HostMatchesSuffix("example.com", ".example.com"));
  EXPECT_FALSE(HostMatchesSuffix("evil-example.com", ".example.com"));
}

TEST(HostSuffixTest, AddressLiteralsAreNoNames) {
  EXPECT_FALSE(HostMatchesSuffix("10.0.0.1", "0.1"));
  EXPECT_FALSE(HostMatchesSuffix("[::1]", "1"));
  EXPECT_FALSE(HostMatchesSuffix("::1", "1"));
  // getaddrinfo reads "127.1" as 127.0.0.1.
  EXPECT_FALSE(HostMatchesSuffix("127.1", "1"));
}

// --- Rules ------------------------------------------------------------------

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
