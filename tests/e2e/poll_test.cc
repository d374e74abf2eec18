// Poll against real peers, socketd in-process: readiness of sockets
// (readable, writable, FIN and RST as HUP), listeners and HTTP servers, and
// that a Poll takes no byte, no connection and no request.
#include "tests/e2e/poll_fixture.h"

namespace socketsvc::e2e {
namespace {

TEST_F(PollTest, ReadableWhenThePeerSendsAndThePollTakesNoByte) {
  TriggeredPeer peer("hello");
  const std::string handle = ConnectTo(peer.port());
  absl::StatusOr<v1::PollResponse> idle = PollNow({PollFor(handle, kReadable)});
  ASSERT_TRUE(idle.ok()) << idle.status();
  EXPECT_TRUE(idle->timed_out());
  EXPECT_EQ(Ready(*idle), "");

  PollFuture pending = PollAsync({PollFor(handle, kReadable)}, 10000);
  EXPECT_EQ(pending.wait_for(300ms), std::future_status::timeout);
  const absl::Time sent = absl::Now();
  peer.Go();
  absl::StatusOr<v1::PollResponse> woke = pending.get();
  ASSERT_TRUE(woke.ok()) << woke.status();
  EXPECT_LT(absl::Now() - sent, absl::Seconds(5));
  EXPECT_FALSE(woke->timed_out());
  EXPECT_EQ(Ready(*woke), ReadyEntry(handle, kReadable));
  // Level-triggered: still readable, since nothing was read.
  EXPECT_EQ(Ready(*PollNow({PollFor(handle, kReadable | kWritable)})),
            ReadyEntry(handle, kReadable | kWritable));
  absl::StatusOr<v1::ReceiveResponse> got = client_->Receive(handle, 100, 5, 5000);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->data(), "hello");
  EXPECT_TRUE(PollNow({PollFor(handle, kReadable)})->timed_out());
}

TEST_F(PollTest, WritableAtOnce) {
  peers::EchoPeer peer;
  const std::string handle = ConnectTo(peer.port());
  const absl::Time start = absl::Now();
  absl::StatusOr<v1::PollResponse> polled =
      client_->Poll({PollFor(handle, kReadable | kWritable)}, 10000);
  ASSERT_TRUE(polled.ok()) << polled.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  EXPECT_FALSE(polled->timed_out());
  EXPECT_EQ(Ready(*polled), ReadyEntry(handle, kWritable));
}

TEST_F(PollTest, PeerFinIsHupEvenWhenNotAskedFor) {
  ScriptedPeer peer([](PeerConnection& conn) { conn.Close(); });
  const std::string handle = ConnectTo(peer.port());
  ASSERT_TRUE(peer.WaitForFinished(1));
  absl::StatusOr<v1::PollResponse> polled =
      client_->Poll({PollFor(handle, kReadable)}, 10000);
  ASSERT_TRUE(polled.ok()) << polled.status();
  EXPECT_EQ(Ready(*polled), ReadyEntry(handle, kReadable | kHup));
  // Asked for nothing: HUP alone.
  EXPECT_EQ(Ready(*PollNow({PollFor(handle, 0)})), ReadyEntry(handle, kHup));
  absl::StatusOr<v1::ReceiveResponse> got = client_->Receive(handle, 100, 1, 5000);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(got->eof());
}

TEST_F(PollTest, PeerResetIsHupAndTheReceiveStillSeesTheReset) {
  // Resets once it got a byte: the connect itself always succeeds.
  peers::ResetPeer::Options options;
  options.read_before_reset = 1;
  peers::ResetPeer peer(options);
  const std::string handle = ConnectTo(peer.port());
  // Pending before the reset: woken by it.
  PollFuture pending = PollAsync({PollFor(handle, kReadable)}, 10000);
  EXPECT_EQ(pending.wait_for(300ms), std::future_status::timeout);
  ASSERT_TRUE(client_->Send(handle, "x", 5000).ok());
  ASSERT_TRUE(peer.WaitForResets(1));
  absl::StatusOr<v1::PollResponse> polled = pending.get();
  ASSERT_TRUE(polled.ok()) << polled.status();
  EXPECT_EQ(Ready(*polled), ReadyEntry(handle, kReadable | kHup));
  // The Poll did not swallow the error: Receive reports the reset.
  EXPECT_TRUE(HasError(client_->Receive(handle, 100, 1, 5000),
                       absl::StatusCode::kUnavailable,
                       v1::SOCKET_ERROR_CONNECTION_RESET));
  EXPECT_EQ(Ready(*PollNow({PollFor(handle, kWritable)})),
            ReadyEntry(handle, kWritable | kHup));
}

TEST_F(PollTest, ListenerAcceptableAndAcceptStillGetsTheConnection) {
  absl::StatusOr<v1::ListenResponse> listening = client_->Listen("127.0.0.1", 0);
  ASSERT_TRUE(listening.ok()) << listening.status();
  const std::string listener = listening->listener();
  EXPECT_TRUE(PollNow({PollFor(listener, kAcceptable)})->timed_out());

  PollFuture pending = PollAsync({PollFor(listener, kAcceptable)}, 10000);
  EXPECT_EQ(pending.wait_for(300ms), std::future_status::timeout);
  const int fd = ConnectLoopback(static_cast<uint16_t>(listening->port()));
  ASSERT_GE(fd, 0);
  absl::StatusOr<v1::PollResponse> polled = pending.get();
  ASSERT_TRUE(polled.ok()) << polled.status();
  EXPECT_EQ(Ready(*polled), ReadyEntry(listener, kAcceptable));
  // Level-triggered, and nothing was accepted: the connection is still there.
  EXPECT_EQ(Ready(*PollNow({PollFor(listener, kAcceptable)})),
            ReadyEntry(listener, kAcceptable));
  absl::StatusOr<v1::AcceptResponse> accepted = client_->Accept(listener, 0);
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  EXPECT_FALSE(accepted->timed_out());
  sockaddr_in local{};
  socklen_t len = sizeof(local);
  getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len);
  EXPECT_EQ(accepted->peer_port(), ntohs(local.sin_port));
  EXPECT_TRUE(PollNow({PollFor(listener, kAcceptable)})->timed_out());
  // The accepted socket works.
  ASSERT_EQ(write(fd, "abc", 3), 3);
  EXPECT_EQ(client_->Receive(accepted->handle(), 10, 3, 5000)->data(), "abc");
  close(fd);
}

TEST_F(PollTest, HttpServerReadableWhileARequestIsQueued) {
  absl::StatusOr<v1::ServerCreateResponse> server =
      client_->ServerCreate(v1::ServerCreateRequest());
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string id = server->server_id();
  EXPECT_TRUE(PollNow({PollFor(id, kReadable)})->timed_out());

  // A raw client.
  PollFuture pending = PollAsync({PollFor(id, kReadable)}, 10000);
  EXPECT_EQ(pending.wait_for(300ms), std::future_status::timeout);
  RawHttpClient raw(static_cast<uint16_t>(server->port()));
  ASSERT_TRUE(raw.Write("GET /raw HTTP/1.1\r\nHost: x\r\n\r\n"));
  absl::StatusOr<v1::PollResponse> polled = pending.get();
  ASSERT_TRUE(polled.ok()) << polled.status();
  EXPECT_EQ(Ready(*polled), ReadyEntry(id, kReadable));
  absl::StatusOr<v1::ServerReceiveResponse> request = client_->ServerReceive(id, 0);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->path(), "/raw");
  EXPECT_TRUE(PollNow({PollFor(id, kReadable)})->timed_out());
  v1::ServerSendRequest answer;
  answer.set_request_handle(request->request_handle());
  answer.set_status(200);
  answer.set_body("raw ok");
  ASSERT_TRUE(client_->ServerSend(answer).ok());
  std::optional<RawResponse> response = raw.ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->body, "raw ok");

  // curl, the Poll answered first and then the request taken.
  pending = PollAsync({PollFor(id, kReadable)}, 10000);
  auto curl = std::async(std::launch::async, [port = server->port()] {
    return tls::RunCommand({"curl", "-sS", "--max-time", "20",
                            absl::StrCat("http://127.0.0.1:", port, "/curl")});
  });
  polled = pending.get();
  ASSERT_TRUE(polled.ok()) << polled.status();
  EXPECT_EQ(Ready(*polled), ReadyEntry(id, kReadable));
  request = client_->ServerReceive(id, 0);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->path(), "/curl");
  answer.set_request_handle(request->request_handle());
  answer.set_body("curl ok");
  ASSERT_TRUE(client_->ServerSend(answer).ok());
  tls::CommandResult result = curl.get();
  EXPECT_TRUE(result.ok()) << result.output;
  EXPECT_EQ(result.output, "curl ok");
}

}  // namespace
}  // namespace socketsvc::e2e
