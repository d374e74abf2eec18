// Bearer tokens, in-process over real gRPC: refused without the right token
// before any work, malformed headers, every RPC behind the gate, reloads.
#include "tests/e2e/auth_test_util.h"

#include <future>
#include <memory>
#include <string>

namespace socketsvc::e2e {
namespace {

using tls::CertificateAuthority;
using tls::IssuedCertificate;

// --- Bearer tokens
// -------------------------------------------------------------

TEST_F(AuthTest, TokensRefuseCallsWithoutTheRightTokenBeforeAnyWork) {
  Start(TokensOnly(WriteTokens(absl::StrCat("# test tokens\n", kAliceToken,
                                            " alice\n", kBobToken, " bob\n"))));
  peers::RecordingPeer peer;

  const Client anonymous = Plain();
  EXPECT_TRUE(
      IsUnauthenticated(anonymous.Connect("127.0.0.1", peer.port(), 5000)));
  EXPECT_TRUE(IsUnauthenticated(anonymous.Resolve("localhost")));
  EXPECT_TRUE(IsUnauthenticated(anonymous.Listen("", 0)));
  const Client wrong = Plain("alice-0123456789abcdeF");  // One letter differs.
  EXPECT_TRUE(IsUnauthenticated(wrong.Connect("127.0.0.1", peer.port(), 5000)));
  EXPECT_TRUE(
      IsUnauthenticated(wrong.GetInfo("s1.00000000000000000000000000000000")));
  const Client prefix = Plain(std::string(kAliceToken).substr(0, 16));
  EXPECT_TRUE(
      IsUnauthenticated(prefix.Connect("127.0.0.1", peer.port(), 5000)));
  // Nothing was done for them: no connection, no session.
  EXPECT_EQ(server_->session_count(), 0u);

  const Client alice = Plain(kAliceToken);
  absl::StatusOr<v1::ConnectResponse> connected =
      alice.Connect("127.0.0.1", peer.port(), 5000);
  ASSERT_TRUE(connected.ok()) << connected.status();
  ASSERT_TRUE(alice.Send(connected->handle(), "hello").ok());
  EXPECT_TRUE(peer.WaitForReceived(5));
  EXPECT_EQ(peer.received(), "hello");
  EXPECT_EQ(peer.connections(), 1);
  EXPECT_TRUE(alice.Close(connected->handle(), v1::CLOSE_MODE_ABORT).ok());
}

TEST_F(AuthTest, MalformedAuthorizationHeadersAreRefused) {
  Start(TokensOnly(WriteTokens(absl::StrCat(kAliceToken, " alice\n"))));
  auto resolve_with = [&](const std::vector<std::string>& headers) {
    std::unique_ptr<v1::SocketService::Stub> stub = v1::SocketService::NewStub(
        grpc::CreateChannel(target(), grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    for (const std::string& header : headers)
      context.AddMetadata("authorization", header);
    v1::ResolveRequest request;
    request.set_name("localhost");
    v1::ResolveResponse response;
    return FromGrpcStatus(stub->Resolve(&context, request, &response));
  };
  EXPECT_TRUE(resolve_with({absl::StrCat("Bearer ", kAliceToken)}).ok());
  EXPECT_TRUE(resolve_with({absl::StrCat("bearer ", kAliceToken)}).ok());
  for (const std::vector<std::string>& headers :
       std::vector<std::vector<std::string>>{
           {kAliceToken},
           {absl::StrCat("Basic ", kAliceToken)},
           {"Bearer"},
           {absl::StrCat("Bearer ", kAliceToken, "x")},
           {absl::StrCat("Bearer ", kAliceToken),
            absl::StrCat("Bearer ", kAliceToken)},
       }) {
    const absl::Status status = resolve_with(headers);
    EXPECT_TRUE(HasError(status, absl::StatusCode::kUnauthenticated,
                         v1::SOCKET_ERROR_UNAUTHENTICATED))
        << headers[0];
  }
}

// Every method of the service descriptor goes through the gate: refused
// without a token, and with one it reaches a handler (whatever that makes of
// an empty request, never UNIMPLEMENTED). A new RPC that AuthGate does not
// forward fails here.
TEST_F(AuthTest, EveryRpcIsAuthenticatedAndReachesItsHandler) {
  Start(TokensOnly(WriteTokens(absl::StrCat(kAliceToken, " alice\n"))));
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          "socketsvc.v1.SocketService");
  ASSERT_NE(service, nullptr);
  ASSERT_GE(service->method_count(), 14);
  grpc::GenericStub stub(
      grpc::CreateChannel(target(), grpc::InsecureChannelCredentials()));
  auto call = [&](const std::string& method, absl::string_view token) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(10));
    if (!token.empty())
      context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
    grpc::Slice empty("");
    grpc::ByteBuffer request(&empty, 1);
    grpc::ByteBuffer response;
    std::promise<grpc::Status> done;
    stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                   [&done](grpc::Status status) { done.set_value(status); });
    return done.get_future().get();
  };
  for (int i = 0; i < service->method_count(); ++i) {
    const std::string method = absl::StrCat("/", service->full_name(), "/",
                                            service->method(i)->name());
    const grpc::Status refused = call(method, "");
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAUTHENTICATED)
        << method << ": " << refused.error_message();
    const grpc::Status admitted = call(method, kAliceToken);
    EXPECT_NE(admitted.error_code(), grpc::StatusCode::UNIMPLEMENTED)
        << method << " is not forwarded by AuthGate";
    EXPECT_NE(admitted.error_code(), grpc::StatusCode::UNAUTHENTICATED)
        << method;
  }
}

TEST_F(AuthTest, ReloadPutsNewTokensInForceAndKeepsHandles) {
  const std::string path = WriteTokens(absl::StrCat(kAliceToken, " alice\n"));
  Start(TokensOnly(path));
  peers::EchoPeer peer;
  absl::StatusOr<v1::ConnectResponse> connected =
      Plain(kAliceToken).Connect("127.0.0.1", peer.port(), 5000);
  ASSERT_TRUE(connected.ok()) << connected.status();

  // alice rotates to a new token; carol is added.
  const std::string kAliceNew = "alice-new-0123456789abcdef";
  const std::string kCarol = "carol-0123456789abcdef";
  tls::WriteFile(path, absl::StrCat(kAliceNew, " alice\n", kCarol, " carol\n"));
  ASSERT_TRUE(server_->Reload().ok());
  EXPECT_TRUE(
      IsUnauthenticated(Plain(kAliceToken).GetInfo(connected->handle())));
  EXPECT_TRUE(Plain(kCarol).Resolve("localhost").ok());
  // The session survived and belongs to alice, whatever her token now is.
  ASSERT_TRUE(Plain(kAliceNew).Send(connected->handle(), "ping").ok());
  absl::StatusOr<v1::ReceiveResponse> echoed =
      Plain(kAliceNew).Receive(connected->handle(), 0, 4, 5000);
  ASSERT_TRUE(echoed.ok()) << echoed.status();
  EXPECT_EQ(echoed->data(), "ping");
  EXPECT_TRUE(HasError(Plain(kCarol).GetInfo(connected->handle()),
                       absl::StatusCode::kNotFound,
                       v1::SOCKET_ERROR_INVALID_HANDLE));

  // A file that does not load changes nothing.
  tls::WriteFile(path, "this line has four fields\n");
  const absl::Status reloaded = server_->Reload();
  EXPECT_EQ(reloaded.code(), absl::StatusCode::kInvalidArgument) << reloaded;
  EXPECT_TRUE(Plain(kAliceNew).GetInfo(connected->handle()).ok());
  EXPECT_TRUE(Plain(kCarol).Resolve("localhost").ok());
}

TEST_F(AuthTest, MalformedTokensFileRefusesToStart) {
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.auth.tokens_file = WriteTokens("short alice\n");
  absl::StatusOr<std::unique_ptr<SocketServer>> server =
      SocketServer::Start(options);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(server.status().message().find("line 1"), absl::string_view::npos)
      << server.status();
}

}  // namespace
}  // namespace socketsvc::e2e
