// Exactly-once offsets on the server side (sockets.proto SendRequest.offset,
// ReceiveRequest.offset, CloseRequest.send_offset; docs/semantics.md
// "Exactly-once offsets"), driven with explicit requests against real
// loopback peers: what the peer receives, what Receive answers, what
// GetInfo shows.
#include <string>

#include "tests/e2e/e2e_fixture.h"
#include "tests/peers/peers.h"

namespace socketsvc::e2e {
namespace {

using peers::Ending;
using peers::RecordingPeer;

class OffsetsTest : public SocketdTest {
 protected:
  absl::StatusOr<v1::SendResponse> SendAt(const std::string& handle,
                                          const std::string& data, uint64_t offset) {
    v1::SendRequest request;
    request.set_handle(handle);
    request.set_data(data);
    request.set_offset(offset);
    request.set_timeout_ms(5000);
    return client_->Send(request);
  }

  absl::StatusOr<v1::ReceiveResponse> ReceiveAt(const std::string& handle,
                                                std::optional<uint64_t> offset,
                                                uint32_t max_bytes, uint32_t min_bytes,
                                                int64_t timeout_ms = 5000) {
    v1::ReceiveRequest request;
    request.set_handle(handle);
    request.set_max_bytes(max_bytes);
    request.set_min_bytes(min_bytes);
    request.set_timeout_ms(timeout_ms);
    if (offset.has_value()) request.set_offset(*offset);
    return client_->Receive(request);
  }

  absl::StatusOr<v1::CloseResponse> CloseAt(const std::string& handle,
                                            v1::CloseMode mode, uint64_t send_offset) {
    v1::CloseRequest request;
    request.set_handle(handle);
    request.set_mode(mode);
    request.set_send_offset(send_offset);
    request.set_timeout_ms(5000);
    return client_->Close(request);
  }
};

bool Mentions(const absl::Status& status, absl::string_view text) {
  return status.message().find(text) != absl::string_view::npos;
}

TEST_F(OffsetsTest, RetriedSendWritesItsDuplicatePrefixOnce) {
  RecordingPeer peer;
  const std::string handle = ConnectTo(peer.port());
  absl::StatusOr<v1::SendResponse> first = SendAt(handle, "hello", 0);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->bytes_sent(), 5u);
  EXPECT_EQ(first->offset(), 5u);

  // A retry of the same bytes, extended: only " world" goes out.
  absl::StatusOr<v1::SendResponse> retry = SendAt(handle, "hello world", 0);
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_EQ(retry->bytes_sent(), 11u);  // Duplicates included.
  EXPECT_EQ(retry->offset(), 11u);

  // Entirely written already: a no-op that still answers the total.
  absl::StatusOr<v1::SendResponse> again = SendAt(handle, "lo world", 3);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->bytes_sent(), 8u);
  EXPECT_EQ(again->offset(), 11u);
  absl::StatusOr<v1::SendResponse> probe = SendAt(handle, "", 0);
  ASSERT_TRUE(probe.ok()) << probe.status();
  EXPECT_EQ(probe->offset(), 11u);

  // Sends without an offset append, and report the total too.
  absl::StatusOr<v1::SendResponse> plain = client_->Send(handle, "!", 5000);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(plain->offset(), 12u);

  ASSERT_TRUE(client_->Close(handle, v1::CLOSE_MODE_COMPLETE, 5000).ok());
  ASSERT_TRUE(peer.WaitForEnding());
  EXPECT_EQ(peer.received(), "hello world!");
  EXPECT_EQ(peer.ending(), Ending::kEof);
}

TEST_F(OffsetsTest, SendGapIsInvalidArgumentNamingTheExpectedOffset) {
  RecordingPeer peer;
  const std::string handle = ConnectTo(peer.port());
  ASSERT_TRUE(SendAt(handle, "abc", 0).ok());
  absl::StatusOr<v1::SendResponse> gap = SendAt(handle, "xyz", 4);
  ASSERT_TRUE(HasError(gap, absl::StatusCode::kInvalidArgument,
                       v1::SOCKET_ERROR_INVALID_REQUEST));
  EXPECT_TRUE(Mentions(gap.status(), "expected offset 3")) << gap.status();
  // Nothing of it was written; the right offset still works.
  ASSERT_TRUE(SendAt(handle, "def", 3).ok());
  EXPECT_EQ(Info(handle).bytes_sent(), 6u);
  ASSERT_TRUE(peer.WaitForReceived(6));
  EXPECT_EQ(peer.received(), "abcdef");
}

TEST_F(OffsetsTest, ReceiveRetryGetsTheSameBytesUntilTheOffsetShowsTheyArrived) {
  RecordingPeer peer(RecordingPeer::Options{"abcdefgh"});
  const std::string handle = ConnectTo(peer.port());
  absl::StatusOr<v1::ReceiveResponse> first = ReceiveAt(handle, 0, 4, 4);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->data(), "abcd");
  EXPECT_EQ(first->offset(), 0u);
  v1::SocketInfo info = Info(handle);
  EXPECT_EQ(info.retained_receive_bytes(), 4u);
  EXPECT_EQ(info.retained_receive_offset(), 0u);

  // The answer was "lost": the same offset gets the same bytes.
  absl::StatusOr<v1::ReceiveResponse> again = ReceiveAt(handle, 0, 4, 4);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->data(), "abcd");
  EXPECT_EQ(again->offset(), 0u);

  // Offsets outside 0..4 are refused, naming the range; nothing changes.
  for (uint64_t bad : {5u, 100u}) {
    absl::StatusOr<v1::ReceiveResponse> refused = ReceiveAt(handle, bad, 4, 1);
    ASSERT_TRUE(HasError(refused, absl::StatusCode::kInvalidArgument,
                         v1::SOCKET_ERROR_INVALID_REQUEST));
    EXPECT_TRUE(Mentions(refused.status(), "0..4")) << refused.status();
  }
  EXPECT_EQ(Info(handle).retained_receive_bytes(), 4u);

  // Inside the chunk: its tail, then what follows (as max_bytes allows).
  absl::StatusOr<v1::ReceiveResponse> tail = ReceiveAt(handle, 2, 100, 6);
  ASSERT_TRUE(tail.ok()) << tail.status();
  EXPECT_EQ(tail->data(), "cdefgh");
  EXPECT_EQ(tail->offset(), 2u);
  info = Info(handle);
  EXPECT_EQ(info.retained_receive_bytes(), 6u);
  EXPECT_EQ(info.retained_receive_offset(), 2u);

  // At its end: it arrived. Retention is dropped, nothing new yet.
  absl::StatusOr<v1::ReceiveResponse> next = ReceiveAt(handle, 8, 100, 1, 0);
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->data(), "");
  EXPECT_TRUE(next->timed_out());
  EXPECT_EQ(next->offset(), 8u);
  EXPECT_EQ(Info(handle).retained_receive_bytes(), 0u);
  absl::StatusOr<v1::ReceiveResponse> old = ReceiveAt(handle, 2, 100, 1, 0);
  ASSERT_TRUE(HasError(old, absl::StatusCode::kInvalidArgument,
                       v1::SOCKET_ERROR_INVALID_REQUEST));
  EXPECT_TRUE(Mentions(old.status(), "valid offset 8")) << old.status();
  EXPECT_EQ(Info(handle).bytes_received(), 8u);
}

TEST_F(OffsetsTest, ReceiveWithoutOffsetKeepsNothingAndStillReportsTheOffset) {
  RecordingPeer peer(RecordingPeer::Options{"0123456789"});
  const std::string handle = ConnectTo(peer.port());
  absl::StatusOr<v1::ReceiveResponse> first = ReceiveAt(handle, 0, 3, 3);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(Info(handle).retained_receive_bytes(), 3u);
  // A Receive without an offset drops the retention and is not retained.
  absl::StatusOr<v1::ReceiveResponse> plain = ReceiveAt(handle, std::nullopt, 3, 3);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(plain->data(), "345");
  EXPECT_EQ(plain->offset(), 3u);
  EXPECT_EQ(Info(handle).retained_receive_bytes(), 0u);
  EXPECT_TRUE(HasError(ReceiveAt(handle, 0, 3, 3), absl::StatusCode::kInvalidArgument,
                       v1::SOCKET_ERROR_INVALID_REQUEST));
  absl::StatusOr<v1::ReceiveResponse> rest = ReceiveAt(handle, 6, 100, 4);
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ(rest->data(), "6789");
  EXPECT_EQ(rest->offset(), 6u);
}

TEST_F(OffsetsTest, CancelledReceiveKeepsItsBytesForTheSameOffset) {
  RecordingPeer peer(RecordingPeer::Options{"abc"});
  const std::string handle = ConnectTo(peer.port());
  // Waits for 10 bytes, has read 3 when its gRPC deadline cancels it.
  v1::ReceiveRequest request;
  request.set_handle(handle);
  request.set_max_bytes(100);
  request.set_min_bytes(10);
  request.set_timeout_ms(-1);
  request.set_offset(0);
  CallOptions short_call;
  short_call.rpc_timeout = absl::Milliseconds(300);
  absl::StatusOr<v1::ReceiveResponse> cut = client_->Receive(request, short_call);
  // socketd answers just before the gRPC deadline (timed_out with the
  // bytes) or the deadline wins: either way the bytes are not lost.
  if (cut.ok()) {
    EXPECT_EQ(cut->data(), "abc");
    EXPECT_TRUE(cut->timed_out());
  } else {
    EXPECT_EQ(cut.status().code(), absl::StatusCode::kDeadlineExceeded) << cut.status();
  }
  // The retry at the same offset gets them, whichever happened.
  absl::StatusOr<v1::ReceiveResponse> retry = ReceiveAt(handle, 0, 100, 3);
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_EQ(retry->data(), "abc");
  EXPECT_EQ(retry->offset(), 0u);
}

TEST_F(OffsetsTest, CloseWithShortSendOffsetClosesNothing) {
  RecordingPeer peer;
  const std::string handle = ConnectTo(peer.port());
  ASSERT_TRUE(SendAt(handle, "abc", 0).ok());
  for (v1::CloseMode mode : {v1::CLOSE_MODE_COMPLETE, v1::CLOSE_MODE_PARTIAL,
                             v1::CLOSE_MODE_ABORT, v1::CLOSE_MODE_DISCARD}) {
    absl::StatusOr<v1::CloseResponse> refused = CloseAt(handle, mode, 10);
    ASSERT_TRUE(HasError(refused, absl::StatusCode::kFailedPrecondition,
                         v1::SOCKET_ERROR_INVALID_REQUEST))
        << v1::CloseMode_Name(mode);
    EXPECT_TRUE(Mentions(refused.status(), "send_offset 10")) << refused.status();
    EXPECT_TRUE(Mentions(refused.status(), "3 bytes")) << refused.status();
  }
  EXPECT_EQ(Info(handle).state(), v1::SOCKET_STATE_OPEN);
  // The socket still works; the peer saw no FIN and no RST.
  ASSERT_TRUE(SendAt(handle, "defghijklm", 3).ok());
  ASSERT_TRUE(peer.WaitForReceived(13));
  EXPECT_EQ(peer.ending(), Ending::kOpen);
  absl::StatusOr<v1::CloseResponse> closed = CloseAt(handle, v1::CLOSE_MODE_COMPLETE, 13);
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_TRUE(closed->released());
  ASSERT_TRUE(peer.WaitForEnding());
  EXPECT_EQ(peer.received(), "abcdefghijklm");
  EXPECT_EQ(peer.ending(), Ending::kEof);
}

TEST_F(OffsetsTest, PartialCloseWithSendOffsetIsIdempotent) {
  RecordingPeer peer;
  const std::string handle = ConnectTo(peer.port());
  ASSERT_TRUE(SendAt(handle, "xy", 0).ok());
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<v1::CloseResponse> partial = CloseAt(handle, v1::CLOSE_MODE_PARTIAL, 2);
    ASSERT_TRUE(partial.ok()) << partial.status();
    EXPECT_FALSE(partial->released()) << "attempt " << i;
  }
  EXPECT_EQ(Info(handle).state(), v1::SOCKET_STATE_HALF_CLOSED);
  ASSERT_TRUE(peer.WaitForEnding());
  EXPECT_EQ(peer.ending(), Ending::kEof);
  // Without a send_offset a second PARTIAL still releases (as before).
  absl::StatusOr<v1::CloseResponse> second =
      client_->Close(handle, v1::CLOSE_MODE_PARTIAL, 5000);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_TRUE(second->released());
}

TEST_F(OffsetsTest, ListenerCloseRefusesASendOffset) {
  absl::StatusOr<v1::ListenResponse> listener = client_->Listen("127.0.0.1", 0);
  ASSERT_TRUE(listener.ok()) << listener.status();
  EXPECT_TRUE(HasError(CloseAt(listener->listener(), v1::CLOSE_MODE_COMPLETE, 0),
                       absl::StatusCode::kInvalidArgument,
                       v1::SOCKET_ERROR_INVALID_REQUEST));
  EXPECT_TRUE(client_->Close(listener->listener()).ok());
}

// A retrying client on a handle it did not create learns where both streams
// stand, and a Send of other bytes after a failed one goes after them.
TEST_F(OffsetsTest, RetryingClientLearnsOffsetsOfAHandleFromElsewhere) {
  RecordingPeer peer(RecordingPeer::Options{"0123456789"});
  const std::string handle = ConnectTo(peer.port());
  ASSERT_TRUE(client_->Send(handle, "plain", 5000).ok());
  absl::StatusOr<v1::ReceiveResponse> head = client_->Receive(handle, 4, 4, 5000);
  ASSERT_TRUE(head.ok()) << head.status();

  Client retrying = client_->WithRetryPolicy(RetryPolicy{});
  EXPECT_FALSE(retrying.Offsets(handle).sent.has_value());
  ASSERT_TRUE(retrying.Send(handle, "+more", 5000).ok());
  absl::StatusOr<v1::ReceiveResponse> rest = retrying.Receive(handle, 100, 6, 5000);
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ(rest->data(), "456789");
  EXPECT_EQ(rest->offset(), 4u);
  TrackedOffsets offsets = retrying.Offsets(handle);
  EXPECT_EQ(offsets.sent, 10u);
  EXPECT_EQ(offsets.received, 10u);

  // A Send that fails (cancelled before it left) leaves the offset; other
  // bytes next are appended, a repeat (extended) is sent once.
  CallOptions cancelled;
  cancelled.cancel = std::make_shared<CancelToken>();
  cancelled.cancel->Cancel();
  EXPECT_FALSE(retrying.Send(handle, "LOST", 5000, cancelled).ok());
  ASSERT_TRUE(retrying.Send(handle, "|other", 5000).ok());
  EXPECT_FALSE(retrying.Send(handle, "|again", 5000, cancelled).ok());
  ASSERT_TRUE(retrying.Send(handle, "|again!", 5000).ok());
  ASSERT_TRUE(retrying.Close(handle).ok());
  EXPECT_FALSE(retrying.Offsets(handle).sent.has_value());
  ASSERT_TRUE(peer.WaitForEnding());
  EXPECT_EQ(peer.received(), "plain+more|other|again!");
}

}  // namespace
}  // namespace socketsvc::e2e
