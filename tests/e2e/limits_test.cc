// Every cap socketd enforces: the call that passes it fails
// RESOURCE_EXHAUSTED naming the flag, and socketd keeps serving everything
// else. Without authentication every caller is "anonymous", so the
// per-principal cap is tested below the global one, and with two
// principals (bearer tokens) to show that one at its cap does not affect
// the other.
#include <cstdlib>
#include <fstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/e2e/socket_probe.h"
#include "tests/peers/peers.h"

namespace socketsvc::e2e {
namespace {

using peers::EchoPeer;

::testing::AssertionResult Exhausted(const absl::Status& status, v1::SocketError error,
                                     absl::string_view flag) {
  ::testing::AssertionResult has =
      HasError(status, absl::StatusCode::kResourceExhausted, error);
  if (!has) return has;
  if (!absl::StrContains(status.message(), flag)) {
    return ::testing::AssertionFailure() << status << " does not name " << flag;
  }
  return ::testing::AssertionSuccess();
}

template <typename T>
::testing::AssertionResult Exhausted(const absl::StatusOr<T>& result,
                                     v1::SocketError error, absl::string_view flag) {
  return Exhausted(result.status(), error, flag);
}

class LimitsTest : public SocketdTest {
 protected:
  ServerOptions Options() override {
    ServerOptions options;
    options.session.max_sessions = 10;
    options.session.max_sessions_per_principal = 2;
    options.session.max_queued_calls = 1;
    options.service.max_send_bytes = 1000;
    options.listener.max_listeners = 1;
    options.listener.max_queued_accepts = 1;
    options.http.max_servers = 1;
    return options;
  }

  // Echo through `handle`: the session and socketd still work.
  void ExpectEcho(const std::string& handle, const std::string& text) {
    ASSERT_TRUE(client_->Send(handle, text, 2000).ok());
    absl::StatusOr<v1::ReceiveResponse> back =
        client_->Receive(handle, 1024, static_cast<uint32_t>(text.size()), 5000);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->data(), text);
  }
};

TEST_F(LimitsTest, PerPrincipalCapRefusesConnectAndCountsOnlyLiveSessions) {
  EchoPeer peer;
  const std::string a = ConnectTo(peer.port());
  const std::string b = ConnectTo(peer.port());
  EXPECT_TRUE(Exhausted(client_->Connect("127.0.0.1", peer.port(), 2000),
                        v1::SOCKET_ERROR_LIMIT_EXCEEDED, "--max_sessions_per_principal"));
  // Refused before connecting: the peer saw two connections only.
  EXPECT_EQ(peer.connections(), 2);
  ExpectEcho(a, "still served");
  // Each way of releasing gives the slot back.
  ASSERT_TRUE(client_->Close(a, v1::CLOSE_MODE_COMPLETE, 2000).ok());
  const std::string c = ConnectTo(peer.port());
  ASSERT_FALSE(c.empty());
  ASSERT_TRUE(client_->Close(b, v1::CLOSE_MODE_ABORT, 2000).ok());
  const std::string d = ConnectTo(peer.port());
  ASSERT_FALSE(d.empty());
  ASSERT_TRUE(client_->Close(c, v1::CLOSE_MODE_DISCARD, 2000).ok());
  ASSERT_FALSE(ConnectTo(peer.port()).empty());
  EXPECT_EQ(server_->session_count(), 2u);
}

TEST_F(LimitsTest, PerPrincipalCapAlsoCountsAcceptedSockets) {
  EchoPeer peer;
  const std::string connected = ConnectTo(peer.port());
  absl::StatusOr<v1::ListenResponse> listening = client_->Listen("127.0.0.1", 0);
  ASSERT_TRUE(listening.ok()) << listening.status();
  const int first = ConnectLoopback(static_cast<uint16_t>(listening->port()));
  absl::StatusOr<v1::AcceptResponse> accepted =
      client_->Accept(listening->listener(), 5000);
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  ASSERT_FALSE(accepted->handle().empty());
  // Two sessions: an Accept is refused before it takes a connection.
  const int second = ConnectLoopback(static_cast<uint16_t>(listening->port()));
  EXPECT_TRUE(Exhausted(client_->Accept(listening->listener(), 1000),
                        v1::SOCKET_ERROR_LIMIT_EXCEEDED, "--max_sessions_per_principal"));
  ASSERT_TRUE(client_->Close(connected, v1::CLOSE_MODE_ABORT, 2000).ok());
  // The waiting connection was not lost.
  absl::StatusOr<v1::AcceptResponse> later = client_->Accept(listening->listener(), 5000);
  ASSERT_TRUE(later.ok()) << later.status();
  EXPECT_FALSE(later->handle().empty());
  close(first);
  close(second);
}

TEST(PerPrincipalCapTest, OnePrincipalAtItsCapLeavesTheOthersAlone) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string tokens = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/limits_tokens");
  {
    std::ofstream out(tokens);
    out << "alice-0123456789abcdef alice\nbob-0123456789abcdef bob\n";
  }
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.auth.tokens_file = tokens;
  options.session.max_sessions = 10;
  options.session.max_sessions_per_principal = 2;
  absl::StatusOr<std::unique_ptr<SocketServer>> server = SocketServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  const Client anonymous = Client::Create(absl::StrCat("127.0.0.1:", (*server)->port()));
  const Client alice = anonymous.WithBearerToken("alice-0123456789abcdef");
  const Client bob = anonymous.WithBearerToken("bob-0123456789abcdef");
  EchoPeer peer;
  std::vector<std::string> alices;
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<v1::ConnectResponse> c = alice.Connect("127.0.0.1", peer.port(), 2000);
    ASSERT_TRUE(c.ok()) << c.status();
    alices.push_back(c->handle());
  }
  absl::StatusOr<v1::ConnectResponse> refused =
      alice.Connect("127.0.0.1", peer.port(), 2000);
  EXPECT_TRUE(
      Exhausted(refused, v1::SOCKET_ERROR_LIMIT_EXCEEDED, "--max_sessions_per_principal"));
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "'alice'")) << refused.status();
  // Bob has his own two.
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<v1::ConnectResponse> c = bob.Connect("127.0.0.1", peer.port(), 2000);
    ASSERT_TRUE(c.ok()) << c.status();
  }
  EXPECT_TRUE(Exhausted(bob.Connect("127.0.0.1", peer.port(), 2000),
                        v1::SOCKET_ERROR_LIMIT_EXCEEDED, "'bob'"));
  // Alice's sockets still work, and closing one gives her a slot back.
  ASSERT_TRUE(alice.Send(alices[0], "ping", 1000).ok());
  EXPECT_EQ(alice.Receive(alices[0], 10, 4, 5000)->data(), "ping");
  ASSERT_TRUE(alice.Close(alices[1], v1::CLOSE_MODE_ABORT, 1000).ok());
  EXPECT_TRUE(alice.Connect("127.0.0.1", peer.port(), 2000).ok());
  (*server)->Shutdown(absl::Seconds(1));
}

class GlobalCapTest : public SocketdTest {
 protected:
  ServerOptions Options() override {
    ServerOptions options;
    options.session.max_sessions = 1;
    return options;
  }
};

TEST_F(GlobalCapTest, MaxSessionsNamesItsFlag) {
  EchoPeer peer;
  const std::string only = ConnectTo(peer.port());
  absl::StatusOr<v1::ConnectResponse> refused =
      client_->Connect("127.0.0.1", peer.port(), 2000);
  EXPECT_TRUE(Exhausted(refused, v1::SOCKET_ERROR_LIMIT_EXCEEDED, "(--max_sessions)"));
  ASSERT_TRUE(client_->Close(only, v1::CLOSE_MODE_ABORT, 2000).ok());
  EXPECT_FALSE(ConnectTo(peer.port()).empty());
}

TEST_F(LimitsTest, MaxSendBytes) {
  EchoPeer peer;
  const std::string handle = ConnectTo(peer.port());
  EXPECT_TRUE(Exhausted(client_->Send(handle, std::string(1001, 'x'), 1000),
                        v1::SOCKET_ERROR_LIMIT_EXCEEDED, "--max_send_bytes"));
  ExpectEcho(handle, std::string(1000, 'y'));
}

TEST_F(LimitsTest, MaxQueuedCallsPerHandle) {
  EchoPeer peer;
  const std::string busy = ConnectTo(peer.port());
  const std::string other = ConnectTo(peer.port());
  // One Receive runs, one waits behind it; a third is refused.
  std::thread a([&] { client_->Receive(busy, 1, 1, 1500).IgnoreError(); });
  std::thread b([&] { client_->Receive(busy, 1, 1, 1500).IgnoreError(); });
  const absl::Time limit = absl::Now() + absl::Seconds(5);
  while (Info(busy).pending_receives() < 2 && absl::Now() < limit) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_TRUE(Exhausted(client_->Receive(busy, 1, 1, 100), v1::SOCKET_ERROR_HANDLE_BUSY,
                        "--max_queued_calls"));
  // Sends are another direction, other handles another queue.
  ExpectEcho(other, "unaffected");
  a.join();
  b.join();
}

TEST_F(LimitsTest, MaxQueuedAcceptsPerListener) {
  absl::StatusOr<v1::ListenResponse> listening = client_->Listen("127.0.0.1", 0);
  ASSERT_TRUE(listening.ok()) << listening.status();
  std::thread a([&] { client_->Accept(listening->listener(), 1500).IgnoreError(); });
  std::thread b([&] { client_->Accept(listening->listener(), 1500).IgnoreError(); });
  const absl::Time limit = absl::Now() + absl::Seconds(5);
  while (Info(listening->listener()).pending_accepts() < 2 && absl::Now() < limit) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_TRUE(Exhausted(client_->Accept(listening->listener(), 100),
                        v1::SOCKET_ERROR_HANDLE_BUSY, "--max_queued_accepts"));
  a.join();
  b.join();
  // The listener still takes connections.
  const int fd = ConnectLoopback(static_cast<uint16_t>(listening->port()));
  absl::StatusOr<v1::AcceptResponse> accepted =
      client_->Accept(listening->listener(), 5000);
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  EXPECT_FALSE(accepted->handle().empty());
  close(fd);
}

TEST_F(LimitsTest, MaxListeners) {
  absl::StatusOr<v1::ListenResponse> first = client_->Listen("127.0.0.1", 0);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(Exhausted(client_->Listen("127.0.0.1", 0), v1::SOCKET_ERROR_LIMIT_EXCEEDED,
                        "--max_listeners"));
  ASSERT_TRUE(client_->Close(first->listener()).ok());
  EXPECT_TRUE(client_->Listen("127.0.0.1", 0).ok());
}

TEST_F(LimitsTest, MaxHttpServers) {
  v1::ServerCreateRequest create;
  absl::StatusOr<v1::ServerCreateResponse> first = client_->ServerCreate(create);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(Exhausted(client_->ServerCreate(create), v1::SOCKET_ERROR_LIMIT_EXCEEDED,
                        "--max_http_servers"));
  // Sockets are another table.
  EchoPeer peer;
  ExpectEcho(ConnectTo(peer.port()), "sockets still work");
  ASSERT_TRUE(client_->ServerDelete(first->server_id()).ok());
  EXPECT_TRUE(client_->ServerCreate(create).ok());
}

}  // namespace
}  // namespace socketsvc::e2e
