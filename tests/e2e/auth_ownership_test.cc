// Ownership: handles that only their creator can see, use or close.
#include "tests/e2e/auth_test_util.h"

#include <future>
#include <memory>
#include <string>

namespace socketsvc::e2e {
namespace {

using tls::CertificateAuthority;
using tls::IssuedCertificate;

// --- Ownership
// -----------------------------------------------------------------

// bob against alice's socket, listener, accepted socket, HTTP server and
// request: every call is answered exactly as for a handle that never
// existed, and none of them changes anything for alice.
TEST_F(AuthTest, AnotherPrincipalCannotSeeUseOrCloseHandles) {
  Start(TokensOnly(
      WriteTokens(absl::StrCat(kAliceToken, " alice\n", kBobToken, " bob\n"))));
  const Client alice = Plain(kAliceToken);
  const Client bob = Plain(kBobToken);

  // alice's handles: a connected socket, a listener and a socket it
  // accepted, an HTTP server and one request it took.
  peers::EchoPeer echo;
  absl::StatusOr<v1::ConnectResponse> connected =
      alice.Connect("127.0.0.1", echo.port(), 5000);
  ASSERT_TRUE(connected.ok()) << connected.status();
  const std::string socket = connected->handle();
  absl::StatusOr<v1::ListenResponse> listening = alice.Listen("", 0);
  ASSERT_TRUE(listening.ok()) << listening.status();
  const std::string listener = listening->listener();
  RawHttpClient dialer(static_cast<uint16_t>(listening->port()));
  ASSERT_TRUE(dialer.connected());
  // bob's Accept must not take alice's waiting connection.
  EXPECT_TRUE(HasError(bob.Accept(listener, 1000), absl::StatusCode::kNotFound,
                       v1::SOCKET_ERROR_INVALID_HANDLE));
  absl::StatusOr<v1::AcceptResponse> accepted = alice.Accept(listener, 5000);
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  ASSERT_FALSE(accepted->timed_out());
  const std::string accepted_socket = accepted->handle();
  absl::StatusOr<v1::ServerCreateResponse> created = alice.ServerCreate({});
  ASSERT_TRUE(created.ok()) << created.status();
  const std::string server = created->server_id();
  RawHttpClient http(static_cast<uint16_t>(created->port()));
  ASSERT_TRUE(http.Write("GET /mine HTTP/1.1\r\nHost: t\r\n\r\n"));
  absl::StatusOr<v1::ServerReceiveResponse> request =
      alice.ServerReceive(server, 5000);
  ASSERT_TRUE(request.ok()) << request.status();
  ASSERT_FALSE(request->timed_out());
  const std::string request_handle = request->request_handle();

  // Runs `op` as bob on `handle` and on an unknown handle of the same kind:
  // both NOT_FOUND/INVALID_HANDLE with the same message.
  auto expect_invisible =
      [&](const std::string& what, const std::string& handle,
          const std::function<absl::Status(const std::string&)>& op) {
        const absl::Status foreign = op(handle);
        const absl::Status unknown = op(UnknownLike(handle));
        EXPECT_TRUE(HasError(foreign, absl::StatusCode::kNotFound,
                             v1::SOCKET_ERROR_INVALID_HANDLE))
            << what;
        EXPECT_EQ(foreign.code(), unknown.code()) << what;
        EXPECT_EQ(foreign.message(), unknown.message()) << what;
        EXPECT_EQ(GetSocketError(foreign), GetSocketError(unknown)) << what;
      };
  for (const std::string& s : {socket, accepted_socket}) {
    expect_invisible("GetInfo", s, [&](const std::string& h) {
      return bob.GetInfo(h).status();
    });
    expect_invisible("Send", s, [&](const std::string& h) {
      return bob.Send(h, "x", 1000).status();
    });
    expect_invisible("Receive", s, [&](const std::string& h) {
      return bob.Receive(h, 0, 0, 0).status();
    });
    expect_invisible("StartTls", s, [&](const std::string& h) {
      return bob.StartTls(h, v1::TlsOptions(), 1000).status();
    });
    expect_invisible("GetOptions", s, [&](const std::string& h) {
      grpc::ClientContext context;
      context.AddMetadata("authorization", absl::StrCat("Bearer ", kBobToken));
      v1::GetOptionsRequest get;
      get.set_handle(h);
      v1::SocketOptions answer;
      return FromGrpcStatus(bob.stub()->GetOptions(&context, get, &answer));
    });
    expect_invisible("SetOptions", s, [&](const std::string& h) {
      grpc::ClientContext context;
      context.AddMetadata("authorization", absl::StrCat("Bearer ", kBobToken));
      v1::SetOptionsRequest set;
      set.set_handle(h);
      v1::SocketOptions answer;
      return FromGrpcStatus(bob.stub()->SetOptions(&context, set, &answer));
    });
    for (v1::CloseMode mode :
         {v1::CLOSE_MODE_ABORT, v1::CLOSE_MODE_DISCARD, v1::CLOSE_MODE_PARTIAL,
          v1::CLOSE_MODE_COMPLETE}) {
      expect_invisible("Close", s, [&](const std::string& h) {
        return bob.Close(h, mode, 100).status();
      });
    }
  }
  expect_invisible("GetInfo(listener)", listener, [&](const std::string& h) {
    return bob.GetInfo(h).status();
  });
  expect_invisible("Accept", listener, [&](const std::string& h) {
    return bob.Accept(h, 0).status();
  });
  expect_invisible("Close(listener)", listener, [&](const std::string& h) {
    return bob.Close(h, v1::CLOSE_MODE_ABORT).status();
  });
  expect_invisible("ServerReceive", server, [&](const std::string& h) {
    return bob.ServerReceive(h, 0).status();
  });
  expect_invisible("GetServerInfo", server, [&](const std::string& h) {
    return bob.GetServerInfo(h).status();
  });
  expect_invisible("ServerDelete", server, [&](const std::string& h) {
    return bob.ServerDelete(h).status();
  });
  expect_invisible("ServerSend", request_handle, [&](const std::string& h) {
    v1::ServerSendRequest answer;
    answer.set_request_handle(h);
    answer.set_status(200);
    answer.set_body("from bob");
    return bob.ServerSend(answer).status();
  });

  // Everything still works for alice, untouched by bob's attempts.
  ASSERT_TRUE(alice.Send(socket, "ping").ok());
  absl::StatusOr<v1::ReceiveResponse> echoed =
      alice.Receive(socket, 0, 4, 5000);
  ASSERT_TRUE(echoed.ok()) << echoed.status();
  EXPECT_EQ(echoed->data(), "ping");
  EXPECT_TRUE(alice.GetInfo(accepted_socket).ok());
  ASSERT_TRUE(alice.Send(accepted_socket, "hi").ok());
  EXPECT_EQ(dialer.ReadUntil("hi").value_or(""), "hi");
  EXPECT_TRUE(alice.GetInfo(listener).ok());
  EXPECT_TRUE(alice.GetServerInfo(server).ok());
  v1::ServerSendRequest answer;
  answer.set_request_handle(request_handle);
  answer.set_status(200);
  answer.set_body("from alice");
  ASSERT_TRUE(alice.ServerSend(answer).ok());
  std::optional<RawResponse> response = http.ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->body, "from alice");
  EXPECT_TRUE(alice.Close(socket, v1::CLOSE_MODE_ABORT).ok());
  EXPECT_TRUE(alice.Close(accepted_socket, v1::CLOSE_MODE_ABORT).ok());
  EXPECT_TRUE(alice.Close(listener).ok());
  EXPECT_TRUE(alice.ServerDelete(server).ok());
}

}  // namespace
}  // namespace socketsvc::e2e
