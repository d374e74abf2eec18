// Who a forwarded call acts for: the caller's principal reaches the owner
// unchanged, a client cannot claim another principal with the forwarding
// header, and only replicas (certificates of the peer CA) reach the peer
// listener. Also: handles of replicas that are no peer, and Poll routing.
#include <google/protobuf/descriptor.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>

#include <future>
#include <memory>
#include <string>

#include "common/grpc_status.h"
#include "tests/peers/peers.h"
#include "tests/routing/routing_cluster.h"

namespace socketsvc::routing_test {
namespace {

constexpr char kPrincipalHeader[] = "x-socketsvc-principal-bin";
constexpr char kHex[] = "0123456789abcdef0123456789abcdef";

class RoutingAuthTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(cluster_.started()); }
  void TearDown() override {
    if (HasFailure()) ADD_FAILURE() << cluster_.StderrOfAll();
  }

  std::string AliceConnectsOn(int owner, uint16_t port) {
    absl::StatusOr<v1::ConnectResponse> connected =
        cluster_.ClientOf(owner, kAliceToken).Connect("127.0.0.1", port, 5000);
    EXPECT_TRUE(connected.ok()) << connected.status();
    return connected.ok() ? connected->handle() : "";
  }

  // GetInfo(handle) on `stub` with `metadata`, as absl::Status.
  static absl::Status RawGetInfo(
      v1::SocketService::Stub& stub, const std::string& handle,
      std::vector<std::pair<std::string, std::string>> metadata) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    for (const auto& [key, value] : metadata) context.AddMetadata(key, value);
    v1::GetInfoRequest request;
    request.set_handle(handle);
    v1::SocketInfo info;
    return FromGrpcStatus(stub.GetInfo(&context, request, &info));
  }

  // A stub on the peer listener of replica `id` with `credentials`.
  std::unique_ptr<v1::SocketService::Stub> PeerStub(
      int id, const grpc::SslCredentialsOptions& ssl) {
    return v1::SocketService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", cluster_.peer_port(id)), grpc::SslCredentials(ssl)));
  }

  RoutingCluster cluster_;
  peers::EchoPeer echo_;
};

TEST_F(RoutingAuthTest, TheCallersPrincipalReachesTheOwner) {
  const std::string alices = AliceConnectsOn(1, echo_.port());
  Client bob = cluster_.ClientOf(0, kBobToken);
  // bob through replica 0 meets the owner's ownership check like anyone.
  EXPECT_TRUE(HasError(bob.GetInfo(alices).status(), absl::StatusCode::kNotFound,
                       v1::SOCKET_ERROR_INVALID_HANDLE));
  EXPECT_TRUE(HasError(bob.Send(alices, "x", 1000).status(), absl::StatusCode::kNotFound,
                       v1::SOCKET_ERROR_INVALID_HANDLE));
  EXPECT_TRUE(HasError(bob.Close(alices, v1::CLOSE_MODE_ABORT).status(),
                       absl::StatusCode::kNotFound, v1::SOCKET_ERROR_INVALID_HANDLE));
  // alice through replica 0 is alice on replica 1.
  Client alice = cluster_.ClientOf(0, kAliceToken);
  ASSERT_TRUE(alice.Send(alices, "still mine", 5000).ok());
  EXPECT_EQ(alice.Receive(alices, 100, 10, 5000)->data(), "still mine");
  // bob's own handle on replica 2 is his through replica 0.
  absl::StatusOr<v1::ConnectResponse> bobs =
      cluster_.ClientOf(2, kBobToken).Connect("127.0.0.1", echo_.port(), 5000);
  ASSERT_TRUE(bobs.ok()) << bobs.status();
  EXPECT_TRUE(bob.GetInfo(bobs->handle()).ok());
  EXPECT_TRUE(HasError(alice.GetInfo(bobs->handle()).status(),
                       absl::StatusCode::kNotFound, v1::SOCKET_ERROR_INVALID_HANDLE));
}

TEST_F(RoutingAuthTest, ASpoofedPrincipalHeaderIsIgnored) {
  const std::string alices = AliceConnectsOn(1, echo_.port());
  for (const int entry : {0, 1}) {
    SCOPED_TRACE(entry);
    auto stub = v1::SocketService::NewStub(grpc::CreateChannel(
        cluster_.replica(entry).target(), grpc::InsecureChannelCredentials()));
    // bob says he is alice: the client listener never reads the header.
    EXPECT_TRUE(
        HasError(RawGetInfo(*stub, alices,
                            {{"authorization", absl::StrCat("Bearer ", kBobToken)},
                             {kPrincipalHeader, "alice"}}),
                 absl::StatusCode::kNotFound, v1::SOCKET_ERROR_INVALID_HANDLE));
    // Without a token the header does not authenticate anybody.
    EXPECT_TRUE(HasError(RawGetInfo(*stub, alices, {{kPrincipalHeader, "alice"}}),
                         absl::StatusCode::kUnauthenticated,
                         v1::SOCKET_ERROR_UNAUTHENTICATED));
    EXPECT_TRUE(RawGetInfo(*stub, alices,
                           {{"authorization", absl::StrCat("Bearer ", kAliceToken)}})
                    .ok());
  }
}

TEST_F(RoutingAuthTest, OnlyReplicaCertificatesReachThePeerListener) {
  const std::string alices = AliceConnectsOn(1, echo_.port());
  grpc::SslCredentialsOptions server_only;
  server_only.pem_root_certs = cluster_.peer_ca().cert_pem();
  // No client certificate: the handshake fails, no call is made.
  absl::Status no_cert =
      RawGetInfo(*PeerStub(1, server_only), alices, {{kPrincipalHeader, "alice"}});
  EXPECT_EQ(no_cert.code(), absl::StatusCode::kUnavailable) << no_cert;

  // A client certificate of another CA: refused the same way.
  absl::StatusOr<std::unique_ptr<tls::CertificateAuthority>> other =
      tls::CertificateAuthority::Create("not the peer CA");
  ASSERT_TRUE(other.ok()) << other.status();
  absl::StatusOr<tls::IssuedCertificate> stranger =
      (*other)->IssuePeerCert({"localhost"}, {"127.0.0.1"});
  ASSERT_TRUE(stranger.ok()) << stranger.status();
  grpc::SslCredentialsOptions foreign = server_only;
  foreign.pem_cert_chain = stranger->cert_pem;
  foreign.pem_private_key = stranger->key_pem;
  absl::Status foreign_cert =
      RawGetInfo(*PeerStub(1, foreign), alices, {{kPrincipalHeader, "alice"}});
  EXPECT_EQ(foreign_cert.code(), absl::StatusCode::kUnavailable) << foreign_cert;

  // A replica's certificate is the whole trust: it must name a principal,
  // and then acts for it. (That is why --peer_ca must be a CA of its own.)
  grpc::SslCredentialsOptions replica = server_only;
  replica.pem_cert_chain = cluster_.peer_cert().cert_pem;
  replica.pem_private_key = cluster_.peer_cert().key_pem;
  auto peer = PeerStub(1, replica);
  EXPECT_TRUE(HasError(RawGetInfo(*peer, alices, {}), absl::StatusCode::kUnauthenticated,
                       v1::SOCKET_ERROR_UNAUTHENTICATED));
  EXPECT_TRUE(HasError(RawGetInfo(*peer, alices, {{kPrincipalHeader, "bob"}}),
                       absl::StatusCode::kNotFound, v1::SOCKET_ERROR_INVALID_HANDLE));
  EXPECT_TRUE(RawGetInfo(*peer, alices, {{kPrincipalHeader, "alice"}}).ok());
  // A bearer token means nothing there: the header decides.
  EXPECT_TRUE(
      HasError(RawGetInfo(*peer, alices,
                          {{"authorization", absl::StrCat("Bearer ", kAliceToken)},
                           {kPrincipalHeader, "bob"}}),
               absl::StatusCode::kNotFound, v1::SOCKET_ERROR_INVALID_HANDLE));
}

// Like AuthGate, RoutingGate and PeerGate list every RPC: a method they do
// not know answers UNIMPLEMENTED. Every method of the service descriptor,
// through a forwarding replica and through a peer listener, must reach a
// handler (whatever it makes of an empty request).
TEST_F(RoutingAuthTest, EveryRpcPassesTheRoutingAndPeerGates) {
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          "socketsvc.v1.SocketService");
  ASSERT_NE(service, nullptr);
  grpc::SslCredentialsOptions replica;
  replica.pem_root_certs = cluster_.peer_ca().cert_pem();
  replica.pem_cert_chain = cluster_.peer_cert().cert_pem;
  replica.pem_private_key = cluster_.peer_cert().key_pem;
  struct Entry {
    const char* name;
    std::shared_ptr<grpc::Channel> channel;
    std::pair<std::string, std::string> credential;
  };
  const Entry entries[] = {
      {"client listener of replica 0",
       grpc::CreateChannel(cluster_.replica(0).target(),
                           grpc::InsecureChannelCredentials()),
       {"authorization", absl::StrCat("Bearer ", kAliceToken)}},
      {"peer listener of replica 1",
       grpc::CreateChannel(absl::StrCat("127.0.0.1:", cluster_.peer_port(1)),
                           grpc::SslCredentials(replica)),
       {kPrincipalHeader, "alice"}},
  };
  for (const Entry& entry : entries) {
    grpc::GenericStub stub(entry.channel);
    for (int i = 0; i < service->method_count(); ++i) {
      const std::string method =
          absl::StrCat("/", service->full_name(), "/", service->method(i)->name());
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      context.AddMetadata(entry.credential.first, entry.credential.second);
      grpc::Slice empty("");
      grpc::ByteBuffer request(&empty, 1);
      grpc::ByteBuffer response;
      std::promise<grpc::Status> done;
      stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                     [&done](grpc::Status status) { done.set_value(status); });
      const grpc::Status status = done.get_future().get();
      EXPECT_NE(status.error_code(), grpc::StatusCode::UNIMPLEMENTED)
          << entry.name << ": " << method;
      EXPECT_NE(status.error_code(), grpc::StatusCode::UNAUTHENTICATED)
          << entry.name << ": " << method << ": " << status.error_message();
    }
  }
}

TEST_F(RoutingAuthTest, HandlesOfNoReplicaAreNotFound) {
  Client alice = cluster_.ClientOf(0, kAliceToken);
  // Replica 7 is nobody's peer; replica 0's own unknown handle; malformed.
  for (const std::string& handle :
       {std::string("s7.") + kHex, std::string("s0.") + kHex, std::string("l1.") + kHex,
        std::string("s1.") + kHex, std::string("s1.zz")}) {
    SCOPED_TRACE(handle);
    EXPECT_TRUE(HasError(alice.GetInfo(handle).status(), absl::StatusCode::kNotFound,
                         v1::SOCKET_ERROR_INVALID_HANDLE));
  }
}

TEST_F(RoutingAuthTest, PollWaitsOnTheHandlesOfOneReplica) {
  const std::string on1 = AliceConnectsOn(1, echo_.port());
  const std::string on2 = AliceConnectsOn(2, echo_.port());
  Client alice = cluster_.ClientOf(0, kAliceToken);
  ASSERT_TRUE(alice.Send(on1, "ping", 5000).ok());
  auto stub = v1::SocketService::NewStub(grpc::CreateChannel(
      cluster_.replica(0).target(), grpc::InsecureChannelCredentials()));
  const auto poll = [&](std::vector<std::string> handles, v1::PollResponse* response) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", absl::StrCat("Bearer ", kAliceToken));
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::PollRequest request;
    for (const std::string& handle : handles) {
      v1::PollItem* item = request.add_items();
      item->set_handle(handle);
      item->set_events(v1::POLL_EVENT_READABLE);
    }
    request.set_timeout_ms(5000);
    return FromGrpcStatus(stub->Poll(&context, request, response));
  };
  // Handles of replicas 1 and 2 in one Poll: refused, naming both.
  v1::PollResponse mixed;
  const absl::Status refused = poll({on1, on2}, &mixed);
  EXPECT_TRUE(HasError(refused, absl::StatusCode::kInvalidArgument,
                       v1::SOCKET_ERROR_INVALID_REQUEST));
  EXPECT_NE(refused.message().find("replicas 1 and 2"), std::string::npos) << refused;
  // Replica 1's handles (and one that exists nowhere) go to replica 1. The
  // echo is awaited first: a handle that names nothing is ready at once
  // (INVALID), and the Poll would answer before the echo arrived.
  v1::PollResponse echoed;
  ASSERT_TRUE(poll({on1}, &echoed).ok());
  v1::PollResponse ready;
  const std::string nowhere = std::string("s7.") + kHex;
  const absl::Status polled = poll({on1, nowhere}, &ready);
  ASSERT_TRUE(polled.ok()) << polled;
  ASSERT_EQ(ready.ready_size(), 2);
  EXPECT_EQ(ready.ready(0).handle(), on1);
  EXPECT_TRUE(ready.ready(0).events() & v1::POLL_EVENT_READABLE);
  EXPECT_EQ(ready.ready(1).handle(), nowhere);
  EXPECT_TRUE(ready.ready(1).events() & v1::POLL_EVENT_INVALID);
}

}  // namespace
}  // namespace socketsvc::routing_test
