#include "service/routing/routing_options.h"

#include "gtest/gtest.h"

namespace socketsvc {
namespace {

constexpr char kHex[] = "0123456789abcdef0123456789abcdef";

RoutingOptions WithTls() {
  RoutingOptions options;
  options.peer_tls_cert_file = "cert.pem";
  options.peer_tls_key_file = "key.pem";
  options.peer_ca_file = "ca.pem";
  return options;
}

TEST(ParsePeersTest, ParsesEntries) {
  absl::StatusOr<std::map<std::string, std::string>> peers =
      ParsePeers(" 1=127.0.0.1:7001, 2=[::1]:7002,b=peer-b.example:443 ");
  ASSERT_TRUE(peers.ok()) << peers.status();
  EXPECT_EQ(*peers, (std::map<std::string, std::string>{{"1", "127.0.0.1:7001"},
                                                        {"2", "[::1]:7002"},
                                                        {"b", "peer-b.example:443"}}));
  EXPECT_TRUE(ParsePeers("")->empty());
}

TEST(ParsePeersTest, RefusesMalformedEntries) {
  for (const char* text :
       {"1", "1=", "=h:1", "X=h:1", "1=host", "1=host:", "1=host:0", "1=host:65536",
        "1=host:x", "1=h:1,1=h:2", "12345678901234567=h:1"}) {
    EXPECT_EQ(ParsePeers(text).status().code(), absl::StatusCode::kInvalidArgument)
        << text;
  }
}

TEST(HandleReplicaTest, TakesTheReplicaOfWellFormedHandles) {
  EXPECT_EQ(HandleReplica(std::string("s2.") + kHex), "2");
  EXPECT_EQ(HandleReplica(std::string("l17.") + kHex), "17");
  EXPECT_EQ(HandleReplica(std::string("habc.") + kHex), "abc");
  EXPECT_EQ(HandleReplica(std::string("r0.") + kHex), "0");
  EXPECT_FALSE(HandleReplica("s2.1234"));
  EXPECT_FALSE(HandleReplica(std::string("x2.") + kHex));
  EXPECT_FALSE(HandleReplica(std::string("sX.") + kHex));
  EXPECT_FALSE(HandleReplica(""));
}

TEST(PeerAddressTest, ListedPeersFirstThenThePattern) {
  RoutingOptions options = WithTls();
  options.peers = {{"1", "10.0.0.1:7001"}};
  options.peer_dns_pattern = "socketd-{id}.peers.ns.svc:50052";
  options.max_replicas = 100;
  EXPECT_EQ(PeerAddress(options, "1"), "10.0.0.1:7001");
  EXPECT_EQ(PeerAddress(options, "0"), "socketd-0.peers.ns.svc:50052");
  EXPECT_EQ(PeerAddress(options, "99"), "socketd-99.peers.ns.svc:50052");
  // Not a pod ordinal the pattern covers: the handle exists nowhere.
  EXPECT_FALSE(PeerAddress(options, "100"));
  EXPECT_FALSE(PeerAddress(options, "07"));
  EXPECT_FALSE(PeerAddress(options, "abc"));
  options.peer_dns_pattern.clear();
  EXPECT_FALSE(PeerAddress(options, "0"));
}

TEST(ValidateRoutingOptionsTest, NeedsMutualTlsWheneverRouting) {
  RoutingOptions options;
  EXPECT_TRUE(ValidateRoutingOptions(options).ok());  // Nothing routed.
  options.peers = {{"1", "h:1"}};
  EXPECT_EQ(ValidateRoutingOptions(options).code(), absl::StatusCode::kInvalidArgument);
  RoutingOptions listen_only;
  listen_only.peer_listen = "0.0.0.0:50052";
  EXPECT_EQ(ValidateRoutingOptions(listen_only).code(),
            absl::StatusCode::kInvalidArgument);
  RoutingOptions with_tls = WithTls();
  with_tls.peers = {{"1", "h:1"}};
  with_tls.peer_listen = "0.0.0.0:50052";
  EXPECT_TRUE(ValidateRoutingOptions(with_tls).ok());
}

TEST(ValidateRoutingOptionsTest, ChecksThePattern) {
  RoutingOptions options = WithTls();
  options.peer_dns_pattern = "socketd-{id}.peers:50052";
  EXPECT_TRUE(ValidateRoutingOptions(options).ok());
  for (const char* bad :
       {"socketd.peers:50052", "s-{id}-{id}:1", "s-{id}.peers", "s-{id}.peers:"}) {
    options.peer_dns_pattern = bad;
    EXPECT_EQ(ValidateRoutingOptions(options).code(), absl::StatusCode::kInvalidArgument)
        << bad;
  }
  options.peer_dns_pattern = "socketd-{id}.peers:50052";
  options.max_replicas = 0;
  EXPECT_EQ(ValidateRoutingOptions(options).code(), absl::StatusCode::kInvalidArgument);
}

TEST(OwnerUnavailableMessageTest, IsExact) {
  EXPECT_EQ(OwnerUnavailableMessage("2"), "owner replica 2 unavailable: session lost");
}

}  // namespace
}  // namespace socketsvc
