// Every close mode, observed from the peer's side.
#include "tests/e2e/e2e_fixture.h"
#include "tests/peers/peers.h"

namespace socketsvc::e2e {
namespace {

using peers::Ending;
using peers::RecordingPeer;
using peers::SendThenHalfClosePeer;

void ExpectReleased(Client& client, const std::string& handle) {
  EXPECT_TRUE(HasError(client.GetInfo(handle), absl::StatusCode::kNotFound,
                       v1::SOCKET_ERROR_INVALID_HANDLE));
}

TEST_F(SocketdTest, CompleteCloseSendsFinDrainsAndReleases) {
  // The peer greets, then closes its side once it sees our FIN.
  RecordingPeer peer(RecordingPeer::Options{"unread greeting", false});
  const std::string handle = ConnectTo(peer.port());
  ASSERT_TRUE(client_->Send(handle, "bye", 1000).ok());
  absl::StatusOr<v1::CloseResponse> closed =
      client_->Close(handle, v1::CLOSE_MODE_COMPLETE, 5000);
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_TRUE(closed->released());
  EXPECT_FALSE(closed->drain_timed_out());
  EXPECT_EQ(closed->drained_bytes(), std::string("unread greeting").size());
  ASSERT_TRUE(peer.WaitForEnding());
  EXPECT_EQ(peer.ending(), Ending::kEof);
  EXPECT_EQ(peer.received(), "bye");
  ExpectReleased(*client_, handle);
  EXPECT_EQ(server_->session_count(), 0u);
}

TEST_F(SocketdTest, CompleteCloseDrainEndsAtItsTimeout) {
  // This peer never closes its side: it waits for the next connection's end.
  peers::ScriptedPeer peer([](peers::PeerConnection& c) {
    while (!c.Read().stopped && c.SleepFor(std::chrono::milliseconds(10))) {
    }
  });
  const std::string handle = ConnectTo(peer.port());
  const absl::Time start = absl::Now();
  absl::StatusOr<v1::CloseResponse> closed =
      client_->Close(handle, v1::CLOSE_MODE_COMPLETE, 300);
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_TRUE(closed->released());
  EXPECT_TRUE(closed->drain_timed_out());
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(250));
  ExpectReleased(*client_, handle);
}

TEST_F(SocketdTest, PartialCloseKeepsReceivingAndRefusesSend) {
  RecordingPeer peer;  // Records our FIN, then closes its side.
  const std::string handle = ConnectTo(peer.port());
  ASSERT_TRUE(client_->Send(handle, "request", 1000).ok());
  absl::StatusOr<v1::CloseResponse> partial =
      client_->Close(handle, v1::CLOSE_MODE_PARTIAL, 1000);
  ASSERT_TRUE(partial.ok()) << partial.status();
  EXPECT_FALSE(partial->released());
  ASSERT_TRUE(peer.WaitForEnding());
  EXPECT_EQ(peer.ending(), Ending::kEof);
  EXPECT_EQ(peer.received(), "request");

  absl::StatusOr<v1::SendResponse> refused = client_->Send(handle, "more", 1000);
  EXPECT_TRUE(HasError(refused, absl::StatusCode::kFailedPrecondition,
                       v1::SOCKET_ERROR_BROKEN_PIPE));
  EXPECT_EQ(GetErrorDetail(refused.status())->os_errno(), EPIPE);

  // The peer closed after our FIN: Receive reports EOF; the handle stays.
  EXPECT_EQ(ReceiveAll(handle), "");
  EXPECT_EQ(Info(handle).state(), v1::SOCKET_STATE_BOTH_CLOSED);

  absl::StatusOr<v1::CloseResponse> second =
      client_->Close(handle, v1::CLOSE_MODE_COMPLETE, 1000);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_TRUE(second->released());
  ExpectReleased(*client_, handle);
}

TEST_F(SocketdTest, PartialCloseThenPeerDataStillArrives) {
  // The peer answers after seeing our FIN, then closes: HTTP/1.0 style.
  peers::ScriptedPeer peer([](peers::PeerConnection& c) {
    std::string request;
    for (;;) {
      peers::PeerConnection::ReadResult r = c.Read();
      request += r.data;
      if (r.ending != Ending::kOpen || r.stopped) break;
    }
    c.SendAll("answer to " + request);
    c.ShutdownWrite();
  });
  const std::string handle = ConnectTo(peer.port());
  ASSERT_TRUE(client_->Send(handle, "question", 1000).ok());
  ASSERT_TRUE(client_->Close(handle, v1::CLOSE_MODE_PARTIAL, 1000).ok());
  EXPECT_EQ(Info(handle).state(), v1::SOCKET_STATE_HALF_CLOSED);
  EXPECT_EQ(ReceiveAll(handle), "answer to question");
  // A second Close releases whatever its mode.
  absl::StatusOr<v1::CloseResponse> second =
      client_->Close(handle, v1::CLOSE_MODE_PARTIAL, 1000);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->released());
  ExpectReleased(*client_, handle);
}

TEST_F(SocketdTest, AbortCloseResetsThePeer) {
  RecordingPeer peer;
  const std::string handle = ConnectTo(peer.port());
  ASSERT_TRUE(client_->Send(handle, "x", 1000).ok());
  ASSERT_TRUE(peer.WaitForReceived(1));
  absl::StatusOr<v1::CloseResponse> closed =
      client_->Close(handle, v1::CLOSE_MODE_ABORT, 1000);
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_TRUE(closed->released());
  ASSERT_TRUE(peer.WaitForEnding());
  EXPECT_EQ(peer.ending(), Ending::kReset);
  EXPECT_EQ(peer.recording().error, ECONNRESET);
  ExpectReleased(*client_, handle);
}

TEST_F(SocketdTest, DiscardReleasesAtOnceWithoutDraining) {
  RecordingPeer peer;
  const std::string handle = ConnectTo(peer.port());
  const absl::Time start = absl::Now();
  absl::StatusOr<v1::CloseResponse> closed =
      client_->Close(handle, v1::CLOSE_MODE_DISCARD, 10000);
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_TRUE(closed->released());
  EXPECT_EQ(closed->drained_bytes(), 0u);
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  ExpectReleased(*client_, handle);
  // Nothing was unread, so the peer sees a plain FIN.
  ASSERT_TRUE(peer.WaitForEnding());
  EXPECT_EQ(peer.ending(), Ending::kEof);
}

TEST_F(SocketdTest, CloseFailsPendingCallsAndValidatesMode) {
  RecordingPeer peer;
  const std::string handle = ConnectTo(peer.port());
  v1::CloseRequest bad;
  bad.set_handle(handle);
  bad.set_mode(static_cast<v1::CloseMode>(9));
  v1::CloseResponse response;
  grpc::ClientContext context;
  EXPECT_EQ(client_->stub()->Close(&context, bad, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  absl::StatusOr<v1::ReceiveResponse> pending;
  std::thread receiver([&] { pending = client_->Receive(handle, 10, 1, 10000); });
  absl::SleepFor(absl::Milliseconds(100));
  ASSERT_TRUE(client_->Close(handle, v1::CLOSE_MODE_ABORT, 1000).ok());
  receiver.join();
  EXPECT_TRUE(HasError(pending, absl::StatusCode::kAborted,
                       v1::SOCKET_ERROR_NOT_CONNECTED));
}

}  // namespace
}  // namespace socketsvc::e2e
