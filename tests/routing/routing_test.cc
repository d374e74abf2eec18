// Multi-replica routing against three real socketd processes on loopback:
// a client that talks only to replica 0 drives handles owned by replicas 1
// and 2 through every handle RPC, with deadlines, cancellation and the
// caller's principal carried to the owner. Real peers throughout: TCP echo
// and STARTTLS servers (tests/peers, tests/tls) and raw HTTP clients.
#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include "absl/time/clock.h"
#include "tests/e2e/http_test_util.h"
#include "tests/peers/peers.h"
#include "tests/routing/routing_cluster.h"
#include "tests/tls/tls_peers.h"

namespace socketsvc::routing_test {
namespace {

using ::socketsvc::e2e::RawHttpClient;

class RoutingTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(cluster_.started()); }
  void TearDown() override {
    if (HasFailure()) ADD_FAILURE() << cluster_.StderrOfAll();
  }

  // Connects alice's socket on replica `owner` directly.
  std::string ConnectOn(int owner, uint16_t port) {
    absl::StatusOr<v1::ConnectResponse> connected =
        cluster_.ClientOf(owner, kAliceToken).Connect("127.0.0.1", port, 5000);
    EXPECT_TRUE(connected.ok()) << connected.status();
    return connected.ok() ? connected->handle() : "";
  }

  RoutingCluster cluster_;
  // alice, talking to replica 0 only.
  Client alice_ = cluster_.ClientOf(0, kAliceToken);
};

TEST_F(RoutingTest, SocketCallsOnPeerHandlesGoThroughReplicaZero) {
  peers::EchoPeer echo;
  for (const int owner : {1, 2}) {
    SCOPED_TRACE(owner);
    const std::string handle = ConnectOn(owner, echo.port());
    ASSERT_EQ(handle.substr(0, 3), absl::StrCat("s", owner, "."));

    absl::StatusOr<v1::SendResponse> sent = alice_.Send(handle, "hello, owner", 5000);
    ASSERT_TRUE(sent.ok()) << sent.status();
    EXPECT_EQ(sent->bytes_sent(), 12u);
    absl::StatusOr<v1::ReceiveResponse> received = alice_.Receive(handle, 100, 12, 5000);
    ASSERT_TRUE(received.ok()) << received.status();
    EXPECT_EQ(received->data(), "hello, owner");

    absl::StatusOr<v1::SocketInfo> info = alice_.GetInfo(handle);
    ASSERT_TRUE(info.ok()) << info.status();
    EXPECT_EQ(info->handle(), handle);
    EXPECT_EQ(info->state(), v1::SOCKET_STATE_OPEN);
    EXPECT_EQ(info->remote_port(), echo.port());
    EXPECT_EQ(info->bytes_sent(), 12u);
    EXPECT_EQ(info->bytes_received(), 12u);

    v1::SocketOptions options;
    options.set_keepalive(true);
    options.set_keepalive_idle_s(77);
    absl::StatusOr<v1::SocketOptions> set = alice_.SetOptions(handle, options);
    ASSERT_TRUE(set.ok()) << set.status();
    EXPECT_TRUE(set->keepalive());
    absl::StatusOr<v1::SocketOptions> got = alice_.GetOptions(handle);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->keepalive_idle_s(), 77);
    // The owner holds the socket: its own client sees the same.
    EXPECT_EQ(
        cluster_.ClientOf(owner, kAliceToken).GetOptions(handle)->keepalive_idle_s(), 77);

    // PARTIAL keeps the handle (the echo peer answers our FIN with its
    // own), COMPLETE releases it.
    absl::StatusOr<v1::CloseResponse> partial =
        alice_.Close(handle, v1::CLOSE_MODE_PARTIAL, 5000);
    ASSERT_TRUE(partial.ok()) << partial.status();
    EXPECT_FALSE(partial->released());
    absl::StatusOr<v1::ReceiveResponse> eof = alice_.Receive(handle, 100, 1, 5000);
    ASSERT_TRUE(eof.ok()) << eof.status();
    EXPECT_TRUE(eof->eof());
    absl::StatusOr<v1::CloseResponse> closed =
        alice_.Close(handle, v1::CLOSE_MODE_COMPLETE, 5000);
    ASSERT_TRUE(closed.ok()) << closed.status();
    EXPECT_TRUE(closed->released());
    // Errors come back from the owner with their details.
    EXPECT_TRUE(HasError(alice_.GetInfo(handle).status(), absl::StatusCode::kNotFound,
                         v1::SOCKET_ERROR_INVALID_HANDLE));
    EXPECT_TRUE(HasError(alice_.Send(handle, "x", 1000).status(),
                         absl::StatusCode::kNotFound, v1::SOCKET_ERROR_INVALID_HANDLE));
  }
}

TEST_F(RoutingTest, AbortAndDiscardThroughReplicaZero) {
  peers::RecordingPeer peer;
  const std::string aborted = ConnectOn(1, peer.port());
  ASSERT_TRUE(alice_.Send(aborted, "bye", 5000).ok());
  ASSERT_TRUE(peer.WaitForReceived(3));
  ASSERT_TRUE(alice_.Close(aborted, v1::CLOSE_MODE_ABORT)->released());
  ASSERT_TRUE(peer.WaitForEnding());
  EXPECT_EQ(peer.ending(0), peers::Ending::kReset);

  const std::string discarded = ConnectOn(2, peer.port());
  ASSERT_TRUE(alice_.Close(discarded, v1::CLOSE_MODE_DISCARD)->released());
  ASSERT_TRUE(peer.WaitForEnding(peers::kDefaultWait, 1));
  EXPECT_EQ(peer.ending(1), peers::Ending::kEof);
}

TEST_F(RoutingTest, StartTlsThroughReplicaZero) {
  absl::StatusOr<std::unique_ptr<tls::CertificateAuthority>> ca =
      tls::CertificateAuthority::Create();
  ASSERT_TRUE(ca.ok()) << ca.status();
  absl::StatusOr<tls::IssuedCertificate> cert = (*ca)->IssueLocalhostServerCert();
  ASSERT_TRUE(cert.ok()) << cert.status();
  tls::TlsServerOptions options;
  options.cert_path = cert->cert_path;
  options.key_path = cert->key_path;
  tls::StartTlsPeer peer(options);
  absl::StatusOr<v1::ConnectResponse> connected =
      cluster_.ClientOf(2, kAliceToken).Connect("localhost", peer.port(), 5000);
  ASSERT_TRUE(connected.ok()) << connected.status();
  const std::string handle = connected->handle();
  EXPECT_EQ(alice_.Receive(handle, 100, 11, 5000)->data(), "220 ready\r\n");
  ASSERT_TRUE(alice_.Send(handle, "STARTTLS\r\n", 5000).ok());
  EXPECT_EQ(alice_.Receive(handle, 100, 14, 5000)->data(), "220 go ahead\r\n");
  v1::TlsOptions tls;
  tls.set_ca_pem((*ca)->cert_pem());
  absl::StatusOr<v1::StartTlsResponse> upgraded = alice_.StartTls(handle, tls, 5000);
  ASSERT_TRUE(upgraded.ok()) << upgraded.status();
  EXPECT_TRUE(upgraded->tls().verified());
  ASSERT_TRUE(alice_.Send(handle, "hello\r\n", 5000).ok());
  EXPECT_EQ(alice_.Receive(handle, 100, 11, 5000)->data(), "tls:hello\r\n");
  EXPECT_TRUE(alice_.GetInfo(handle)->tls().verified());
  ASSERT_TRUE(alice_.Close(handle, v1::CLOSE_MODE_COMPLETE, 5000).ok());
}

TEST_F(RoutingTest, ListenerOnAPeerAcceptsThroughReplicaZero) {
  absl::StatusOr<v1::ListenResponse> listening =
      cluster_.ClientOf(1, kAliceToken).Listen("127.0.0.1", 0);
  ASSERT_TRUE(listening.ok()) << listening.status();
  const std::string listener = listening->listener();
  ASSERT_EQ(listener.substr(0, 3), "l1.");
  absl::StatusOr<v1::SocketInfo> info = alice_.GetInfo(listener);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->state(), v1::SOCKET_STATE_LISTENING);

  // Nothing to accept yet: the owner's timeout answers.
  absl::StatusOr<v1::AcceptResponse> none = alice_.Accept(listener, 100);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->timed_out());

  RawHttpClient raw(static_cast<uint16_t>(listening->port()));
  ASSERT_TRUE(raw.connected());
  absl::StatusOr<v1::AcceptResponse> accepted = alice_.Accept(listener, 5000);
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  const std::string handle = accepted->handle();
  EXPECT_EQ(handle.substr(0, 3), "s1.");
  EXPECT_EQ(accepted->peer_port(), raw.local_port());
  ASSERT_TRUE(raw.Write("from the client"));
  EXPECT_EQ(alice_.Receive(handle, 100, 15, 5000)->data(), "from the client");
  ASSERT_TRUE(alice_.Send(handle, "from socketd\n", 5000).ok());
  EXPECT_EQ(raw.ReadUntil("\n").value_or(""), "from socketd\n");
  ASSERT_TRUE(alice_.Close(handle, v1::CLOSE_MODE_ABORT).ok());
  EXPECT_TRUE(raw.WaitClosed());
  absl::StatusOr<v1::CloseResponse> closed = alice_.Close(listener);
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_TRUE(closed->released());
  EXPECT_TRUE(HasError(alice_.GetInfo(listener).status(), absl::StatusCode::kNotFound,
                       v1::SOCKET_ERROR_INVALID_HANDLE));
}

TEST_F(RoutingTest, HttpServerOnAPeerServesThroughReplicaZero) {
  v1::ServerCreateRequest create;
  absl::StatusOr<v1::ServerCreateResponse> server =
      cluster_.ClientOf(2, kAliceToken).ServerCreate(create);
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string id = server->server_id();
  ASSERT_EQ(id.substr(0, 3), "h2.");

  RawHttpClient http(static_cast<uint16_t>(server->port()));
  ASSERT_TRUE(http.Write("GET /routed?x=1 HTTP/1.1\r\nHost: test\r\n\r\n"));
  absl::StatusOr<v1::ServerReceiveResponse> request = alice_.ServerReceive(id, 5000);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->request_handle().substr(0, 3), "r2.");
  EXPECT_EQ(request->path(), "/routed");
  EXPECT_EQ(request->query(), "x=1");
  v1::ServerSendRequest answer;
  answer.set_request_handle(request->request_handle());
  answer.set_status(200);
  answer.set_body("routed body");
  absl::StatusOr<v1::ServerSendResponse> sent = alice_.ServerSend(answer);
  ASSERT_TRUE(sent.ok()) << sent.status();
  std::optional<e2e::RawResponse> response = http.ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status_line, "HTTP/1.1 200 OK");
  EXPECT_EQ(response->body, "routed body");

  absl::StatusOr<v1::ServerInfo> info = alice_.GetServerInfo(id);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->responses_sent(), 1u);
  // Nothing queued: the owner's ServerReceive timeout answers.
  EXPECT_TRUE(alice_.ServerReceive(id, 50)->timed_out());
  ASSERT_TRUE(alice_.ServerDelete(id).ok());
  EXPECT_TRUE(HasError(alice_.GetServerInfo(id).status(), absl::StatusCode::kNotFound,
                       v1::SOCKET_ERROR_INVALID_HANDLE));
}

TEST_F(RoutingTest, TimeoutsAndDeadlinesReachTheOwner) {
  peers::RecordingPeer silent;
  const std::string handle = ConnectOn(1, silent.port());
  // The request's own timeout runs on the owner.
  absl::Time start = absl::Now();
  absl::StatusOr<v1::ReceiveResponse> timed = alice_.Receive(handle, 100, 1, 300);
  ASSERT_TRUE(timed.ok()) << timed.status();
  EXPECT_TRUE(timed->timed_out());
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(280));
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));

  // No timeout_ms: the gRPC deadline, carried to the owner, bounds the wait,
  // and the owner answers just before it, so the answer arrives in time.
  CallOptions options;
  options.rpc_timeout = absl::Milliseconds(800);
  start = absl::Now();
  absl::StatusOr<v1::ReceiveResponse> bounded =
      alice_.Receive(handle, 100, 1, std::nullopt, options);
  ASSERT_TRUE(bounded.ok()) << bounded.status();
  EXPECT_TRUE(bounded->timed_out());
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(600));
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  EXPECT_EQ(alice_.GetInfo(handle)->pending_receives(), 0u);
}

TEST_F(RoutingTest, CancellingAtTheClientEndsTheOwnersReceiveAndKeepsTheBytes) {
  auto go = std::make_shared<peers::Guarded<bool>>(false);
  peers::ScriptedPeer peer([go](peers::PeerConnection& connection) {
    go->WaitFor(peers::kDefaultWait, [](bool value) { return value; });
    connection.SendAll("after the cancel");
    while (connection.Read().ending == peers::Ending::kOpen) {
    }
  });
  const std::string handle = ConnectOn(2, peer.port());
  Client owner = cluster_.ClientOf(2, kAliceToken);
  auto cancel = std::make_shared<CancelToken>();
  CallOptions options;
  options.cancel = cancel;
  std::optional<absl::StatusOr<v1::ReceiveResponse>> result;
  std::thread receiver(
      [&] { result = alice_.Receive(handle, 100, 1, /*timeout_ms=*/-1, options); });
  // The forwarded Receive waits on the owner.
  const absl::Time limit = absl::Now() + absl::Seconds(10);
  while (owner.GetInfo(handle)->pending_receives() != 1 && absl::Now() < limit) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_EQ(owner.GetInfo(handle)->pending_receives(), 1u);
  cancel->Cancel();
  receiver.join();
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->status().code(), absl::StatusCode::kCancelled) << result->status();
  // The owner's call ended with it.
  while (owner.GetInfo(handle)->pending_receives() != 0 && absl::Now() < limit) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(owner.GetInfo(handle)->pending_receives(), 0u);
  // Bytes that arrive later are all there for the next Receive.
  go->Update([](bool& value) { value = true; });
  absl::StatusOr<v1::ReceiveResponse> later = alice_.Receive(handle, 100, 16, 5000);
  ASSERT_TRUE(later.ok()) << later.status();
  EXPECT_EQ(later->data(), "after the cancel");
  ASSERT_TRUE(alice_.Close(handle, v1::CLOSE_MODE_ABORT).ok());
}

}  // namespace
}  // namespace socketsvc::routing_test
