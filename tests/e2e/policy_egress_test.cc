// Egress policy end to end: the built-in policy (metadata, socketd's own
// port) and policy files (CIDRs, names that resolve into denied addresses).
//
// No test sends a packet to 169.254.169.254: those Connects must be refused by
// the policy before any socket exists, which is what they assert.
#include "tests/e2e/policy_test_util.h"

#include <signal.h>

#include <memory>
#include <string>

namespace socketsvc::e2e {
namespace {


// --- Built-in policy
// ------------------------------------------------------------

TEST_F(PolicyTest, BuiltInPolicyRefusesMetadataAddressesBeforeConnecting) {
  ASSERT_NO_FATAL_FAILURE(Start(""));
  EXPECT_TRUE(DeniedBy(client_->Connect("169.254.169.254", 80, 5000),
                       "connect 169.254.169.254:80: policy rule "
                       "\"builtin-no-link-local\" denies 169.254.169.254:80"));
  EXPECT_TRUE(DeniedBy(client_->Connect("::ffff:169.254.169.254", 80, 5000),
                       "\"builtin-no-link-local\" denies "
                       "[::ffff:169.254.169.254]:80"));
  EXPECT_TRUE(DeniedBy(client_->Connect("fe80::1", 22, 5000),
                       "\"builtin-no-link-local\" denies [fe80::1]:22"));
  EXPECT_EQ(server_->session_count(), 0u);
}

TEST_F(PolicyTest, BuiltInPolicyAllowsOrdinaryAddresses) {
  ASSERT_NO_FATAL_FAILURE(Start(""));
  EchoPeer peer;
  absl::StatusOr<v1::ConnectResponse> connected =
      client_->Connect("127.0.0.1", peer.port(), 5000);
  ASSERT_TRUE(connected.ok()) << connected.status();
  absl::StatusOr<v1::ListenResponse> listening = client_->Listen("0.0.0.0", 0);
  ASSERT_TRUE(listening.ok()) << listening.status();
}

TEST_F(PolicyTest, SocketdsOwnPortIsRefusedByDefault) {
  ASSERT_NO_FATAL_FAILURE(Start(""));
  const uint16_t own = server_->port();
  for (const char* host : {"127.0.0.1", "localhost", "::1", "127.0.0.2",
                           "0.0.0.0", "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(DeniedBy(client_->Connect(host, own, 5000),
                         "policy rule \"builtin-self\" denies"))
        << host;
  }
  EXPECT_TRUE(DeniedBy(client_->Listen("127.0.0.2", own),
                       "policy rule \"builtin-self\" denies listening on "
                       "127.0.0.2:"));
  v1::ServerCreateRequest create;
  create.set_bind_address("127.0.0.3");
  create.set_port(own);
  EXPECT_TRUE(DeniedBy(client_->ServerCreate(create), "\"builtin-self\""));
}

TEST_F(PolicyTest, SocketdsOwnPortIsRefusedWhateverTheFileAllows) {
  ASSERT_NO_FATAL_FAILURE(Start(R"pb(
    egress { name: "everything" action: ALLOW }
    listen { name: "everything" action: ALLOW }
  )pb"));
  EXPECT_TRUE(DeniedBy(client_->Connect("127.0.0.1", server_->port(), 5000),
                       "\"builtin-self\""));
  EXPECT_TRUE(DeniedBy(client_->Listen("127.0.0.2", server_->port()),
                       "\"builtin-self\""));
}

// --- Egress rules from a file
// -------------------------------------------------

TEST_F(PolicyTest, RuleDeniesMetadataAndIsNamed) {
  ASSERT_NO_FATAL_FAILURE(Start(R"pb(
    egress { name: "no-metadata" action: DENY cidrs: "169.254.169.254/32" }
    egress { name: "rest" action: ALLOW }
  )pb"));
  EXPECT_TRUE(
      DeniedBy(client_->Connect("169.254.169.254", 80, 5000),
               "policy rule \"no-metadata\" denies 169.254.169.254:80"));
}

TEST_F(PolicyTest, DeniedCidrIsRefusedWithoutAConnection) {
  BareListener target("127.0.0.2");
  ASSERT_TRUE(target.ok());
  EchoPeer allowed_peer;
  ASSERT_NO_FATAL_FAILURE(Start(R"pb(
    egress { name: "no-127-0-0-2" action: DENY cidrs: "127.0.0.2/32" }
    egress {
      name: "loopback"
      action: ALLOW
      cidrs: [ "127.0.0.0/8", "::1" ]
    }
  )pb"));

  EXPECT_TRUE(DeniedBy(client_->Connect("127.0.0.2", target.port(), 5000),
                       absl::StrCat("policy rule \"no-127-0-0-2\" denies "
                                    "127.0.0.2:",
                                    target.port())));
  EXPECT_FALSE(target.Pending()) << "a connection reached the denied address";
  EXPECT_TRUE(client_->Connect("127.0.0.1", allowed_peer.port(), 5000).ok());

  // The same address is reachable once the policy allows it: the refusal
  // above came from the policy, not from the network.
  ASSERT_NO_FATAL_FAILURE(Reload(R"pb(
    egress {
      name: "loopback"
      action: ALLOW
      cidrs: [ "127.0.0.0/8", "::1" ]
    }
  )pb"));
  absl::StatusOr<v1::ConnectResponse> connected =
      client_->Connect("127.0.0.2", target.port(), 5000);
  ASSERT_TRUE(connected.ok()) << connected.status();
  EXPECT_TRUE(target.Pending(2000));
}

TEST_F(PolicyTest, DefaultDenyWhenNoRuleMatches) {
  EchoPeer peer;
  ASSERT_NO_FATAL_FAILURE(Start(R"pb(
    egress {
      name: "web"
      action: ALLOW
      ports { first: 443 }
    }
  )pb"));
  EXPECT_TRUE(
      DeniedBy(client_->Connect("127.0.0.1", peer.port(), 5000),
               absl::StrCat("no policy rule allows 127.0.0.1:", peer.port(),
                            " for principal \"anonymous\" "
                            "(default deny)")));
  EXPECT_EQ(peer.connections(), 0);
}

TEST_F(PolicyTest, NameResolvingOnlyToDeniedAddressesIsRefused) {
  EchoPeer peer;
  ASSERT_NO_FATAL_FAILURE(Start(R"pb(
    egress {
      name: "no-loopback"
      action: DENY
      cidrs: [ "127.0.0.1/32", "::1/128" ]
    }
    egress { name: "rest" action: ALLOW }
  )pb"));
  absl::StatusOr<v1::ConnectResponse> refused =
      client_->Connect("localhost", peer.port(), 5000);
  EXPECT_TRUE(DeniedBy(refused, "policy rule \"no-loopback\" denies"));
  EXPECT_TRUE(DeniedBy(refused, "(2 addresses, all denied)"));
  EXPECT_TRUE(
      DeniedBy(refused, absl::StrCat("connect localhost:", peer.port())));
  EXPECT_EQ(peer.connections(), 0);
}

TEST_F(PolicyTest, OnlyTheAllowedAddressesOfANameAreTried) {
  EchoPeer peer;  // 127.0.0.1
  // Happy Eyeballs would try ::1 first; this listener would take it.
  BareListener v6("::1", peer.port());
  if (!v6.ok()) GTEST_SKIP() << "no IPv6 loopback here";
  ASSERT_NO_FATAL_FAILURE(Start(R"pb(
    egress { name: "no-v6-loopback" action: DENY cidrs: "::1/128" }
    egress { name: "rest" action: ALLOW }
  )pb"));
  absl::StatusOr<v1::ConnectResponse> connected =
      client_->Connect("localhost", peer.port(), 5000);
  ASSERT_TRUE(connected.ok()) << connected.status();
  EXPECT_EQ(connected->remote_address(), "127.0.0.1");
  EXPECT_FALSE(v6.Pending());
}

// A resolver that answers names the test controls: a name allowed by
// suffix that resolves to the metadata address (DNS rebinding).
class RebindingPolicyTest : public PolicyTest {
 protected:
  void Start(const std::string& policy) {
    ServerOptions options;
    options.resolver.functions.lookup =
        [](const std::string& host,
           const std::string& service) -> absl::StatusOr<Endpoints> {
      uint32_t port = 0;
      if (!absl::SimpleAtoi(service, &port)) port = 80;
      const char* address = host == "rebound.partner.test" ? "169.254.169.254"
                            : host == "mapped.partner.test"
                                ? "::ffff:169.254.169.254"
                                : "127.0.0.1";
      return Endpoints{boost::asio::ip::tcp::endpoint(
          boost::asio::ip::make_address(address), static_cast<uint16_t>(port))};
    };
    PolicyTest::Start(policy, options);
  }
};

TEST_F(RebindingPolicyTest, AllowedNameCannotResolveIntoADeniedAddress) {
  EchoPeer peer;
  ASSERT_NO_FATAL_FAILURE(Start(R"pb(
    egress { name: "no-metadata" action: DENY cidrs: "169.254.0.0/16" }
    egress { name: "partner" action: ALLOW host_suffixes: "partner.test" }
  )pb"));
  EXPECT_TRUE(DeniedBy(client_->Connect("rebound.partner.test", 80, 5000),
                       "connect rebound.partner.test:80: policy rule "
                       "\"no-metadata\" denies 169.254.169.254:80"));
  EXPECT_TRUE(DeniedBy(client_->Connect("mapped.partner.test", 80, 5000),
                       "\"no-metadata\" denies [::ffff:169.254.169.254]:80"));
  absl::StatusOr<v1::ConnectResponse> connected =
      client_->Connect("api.PARTNER.test", peer.port(), 5000);
  ASSERT_TRUE(connected.ok()) << connected.status();
  // Same address, a name outside the suffix (not at a dot boundary).
  EXPECT_TRUE(DeniedBy(client_->Connect("evil-partner.test", peer.port(), 5000),
                       "(default deny)"));
}

}  // namespace
}  // namespace socketsvc::e2e
