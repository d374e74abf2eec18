// Send and Receive against real loopback peers: bytes, EOF, resets,
// timeouts, concurrency and cancellation.
#include <thread>

#include "tests/e2e/e2e_fixture.h"
#include "tests/peers/peers.h"

namespace socketsvc::e2e {
namespace {

using peers::BulkSenderPeer;
using peers::EchoPeer;
using peers::Ending;
using peers::RecordingPeer;
using peers::ResetPeer;
using peers::SendThenHalfClosePeer;

TEST_F(SocketdTest, EchoRoundTrip) {
  EchoPeer peer;
  const std::string handle = ConnectTo(peer.port());
  absl::StatusOr<v1::SendResponse> sent = client_->Send(handle, "hello", 5000);
  ASSERT_TRUE(sent.ok()) << sent.status();
  EXPECT_EQ(sent->bytes_sent(), 5u);
  EXPECT_FALSE(sent->timed_out());
  absl::StatusOr<v1::ReceiveResponse> got = client_->Receive(handle, 100, 5, 5000);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->data(), "hello");
  EXPECT_FALSE(got->eof());
  v1::SocketInfo info = Info(handle);
  EXPECT_EQ(info.bytes_sent(), 5u);
  EXPECT_EQ(info.bytes_received(), 5u);
  EXPECT_GE(info.idle_ms(), 0);
}

TEST_F(SocketdTest, EightMebibytesArriveByteExact) {
  const size_t kSize = 8 << 20;
  BulkSenderPeer peer(kSize);
  const std::string handle = ConnectTo(peer.port());
  // The largest answer socketd gives fits gRPC's default client limit.
  const uint32_t kMaxAnswer = ServiceOptions().max_receive_bytes;
  absl::StatusOr<v1::ReceiveResponse> biggest =
      client_->Receive(handle, UINT32_MAX, UINT32_MAX, 10000);
  ASSERT_TRUE(biggest.ok()) << biggest.status();
  ASSERT_EQ(biggest->data().size(), kMaxAnswer);
  const std::string received = biggest->data() + ReceiveAll(handle);
  ASSERT_EQ(received.size(), kSize);
  EXPECT_TRUE(received == BulkSenderPeer::Pattern(kSize));
  EXPECT_EQ(Info(handle).bytes_received(), kSize);
  EXPECT_EQ(Info(handle).state(), v1::SOCKET_STATE_PEER_CLOSED);
}

TEST_F(SocketdTest, LargeSendsArriveByteExact) {
  RecordingPeer peer;
  const std::string handle = ConnectTo(peer.port());
  const std::string payload = BulkSenderPeer::Pattern(3 << 20);
  for (size_t offset = 0; offset < payload.size(); offset += 1 << 20) {
    absl::StatusOr<v1::SendResponse> sent =
        client_->Send(handle, payload.substr(offset, 1 << 20), 10000);
    ASSERT_TRUE(sent.ok()) << sent.status();
    ASSERT_EQ(sent->bytes_sent(), 1u << 20);
  }
  ASSERT_TRUE(client_->Close(handle, v1::CLOSE_MODE_COMPLETE, 5000).ok());
  ASSERT_TRUE(peer.WaitForEnding());
  EXPECT_EQ(peer.ending(), Ending::kEof);
  EXPECT_TRUE(peer.received() == payload);
}

TEST_F(SocketdTest, PeerHalfCloseGivesDataThenEofAndSendStillWorks) {
  SendThenHalfClosePeer peer("last words");
  const std::string handle = ConnectTo(peer.port());
  EXPECT_EQ(ReceiveAll(handle), "last words");
  // EOF is repeatable.
  absl::StatusOr<v1::ReceiveResponse> again = client_->Receive(handle, 10, 1, 1000);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->eof());
  EXPECT_TRUE(again->data().empty());
  EXPECT_EQ(Info(handle).state(), v1::SOCKET_STATE_PEER_CLOSED);
  // The peer half-closed only its side: it still hears us.
  ASSERT_TRUE(client_->Send(handle, "still here", 5000).ok());
  ASSERT_TRUE(peer.WaitForReceived(10));
  EXPECT_EQ(peer.received(), "still here");
}

TEST_F(SocketdTest, PeerResetIsConnectionResetAndSticky) {
  // The delay keeps the RST from racing the end of Connect itself.
  ResetPeer peer(ResetPeer::Options{"partial", 0, std::chrono::milliseconds(200)});
  const std::string handle = ConnectTo(peer.port());
  ASSERT_TRUE(peer.WaitForResets(1));
  // Bytes that arrived before the RST may or may not survive it (the kernel
  // discards them on reset); the reset itself must be reported.
  absl::StatusOr<v1::ReceiveResponse> got = client_->Receive(handle, 100, 100, 5000);
  if (got.ok()) {
    EXPECT_EQ(got->data(), "partial");
    got = client_->Receive(handle, 100, 1, 5000);
  }
  ASSERT_TRUE(HasError(got, absl::StatusCode::kUnavailable,
                       v1::SOCKET_ERROR_CONNECTION_RESET));
  EXPECT_EQ(GetErrorDetail(got.status())->os_errno(), ECONNRESET);
  // Sticky: Send sees the same broken connection, and socketd survives it.
  EXPECT_FALSE(client_->Send(handle, "anyone?", 1000).ok());
  v1::SocketInfo info = Info(handle);
  EXPECT_EQ(info.state(), v1::SOCKET_STATE_BROKEN);
  EXPECT_EQ(info.last_error(), v1::SOCKET_ERROR_CONNECTION_RESET);
  EXPECT_EQ(info.last_os_errno(), ECONNRESET);
  EXPECT_TRUE(client_->Close(handle, v1::CLOSE_MODE_COMPLETE, 1000)->released());
}

TEST_F(SocketdTest, SendToAResetPeerFailsWithoutKillingTheService) {
  // Resets once it has our first byte, so Connect itself always succeeds.
  ResetPeer peer(ResetPeer::Options{"", 1, std::chrono::milliseconds(0)});
  const std::string handle = ConnectTo(peer.port());
  ASSERT_TRUE(client_->Send(handle, "x", 1000).ok());
  ASSERT_TRUE(peer.WaitForResets(1));
  absl::Status last;
  // The first write may still be accepted by the kernel; later ones fail
  // with ECONNRESET or EPIPE (a SIGPIPE would kill the test process).
  for (int i = 0; i < 20 && last.ok(); ++i) {
    last = client_->Send(handle, std::string(4096, 'x'), 1000).status();
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_FALSE(last.ok());
  const v1::SocketError error = GetSocketError(last);
  EXPECT_TRUE(error == v1::SOCKET_ERROR_CONNECTION_RESET ||
              error == v1::SOCKET_ERROR_BROKEN_PIPE)
      << last;
  EchoPeer echo;  // The service still works.
  EXPECT_TRUE(client_->Connect("127.0.0.1", echo.port(), 5000).ok());
}

TEST_F(SocketdTest, ReceiveTimeoutIsOkAndLosesNothing) {
  RecordingPeer peer(RecordingPeer::Options{"abc", false});
  const std::string handle = ConnectTo(peer.port());
  const absl::Time start = absl::Now();
  absl::StatusOr<v1::ReceiveResponse> partial = client_->Receive(handle, 100, 10, 300);
  ASSERT_TRUE(partial.ok()) << partial.status();
  EXPECT_TRUE(partial->timed_out());
  EXPECT_EQ(partial->data(), "abc");
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(250));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));

  absl::StatusOr<v1::ReceiveResponse> nothing = client_->Receive(handle, 100, 1, 200);
  ASSERT_TRUE(nothing.ok());
  EXPECT_TRUE(nothing->timed_out());
  EXPECT_TRUE(nothing->data().empty());
}

TEST_F(SocketdTest, ZeroTimeoutDoesNotBlock) {
  EchoPeer peer;
  const std::string handle = ConnectTo(peer.port());
  const absl::Time start = absl::Now();
  absl::StatusOr<v1::ReceiveResponse> now = client_->Receive(handle, 100, 1, 0);
  ASSERT_TRUE(now.ok());
  EXPECT_TRUE(now->timed_out());
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  ASSERT_TRUE(client_->Send(handle, "x", 0).ok());
  absl::StatusOr<v1::ReceiveResponse> later = client_->Receive(handle, 100, 1, 5000);
  EXPECT_EQ(later->data(), "x");
}

TEST_F(SocketdTest, GrpcDeadlineEndsTheWaitWithAnAnswer) {
  // socketd answers shortly before the gRPC deadline, with what it has,
  // instead of letting the client's deadline discard the answer.
  RecordingPeer peer(RecordingPeer::Options{"ab", false});
  const std::string handle = ConnectTo(peer.port());
  CallOptions options;
  options.rpc_timeout = absl::Milliseconds(400);
  for (std::optional<int64_t> timeout_ms : {std::optional<int64_t>(), std::optional<int64_t>(-1),
                                            std::optional<int64_t>(60000)}) {
    const absl::Time start = absl::Now();
    absl::StatusOr<v1::ReceiveResponse> r =
        client_->Receive(handle, 100, 10, timeout_ms, options);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(r->timed_out());
    EXPECT_LT(absl::Now() - start, absl::Milliseconds(400));
    // The first call returns the two bytes that came; none are lost.
    EXPECT_EQ(r->data(), timeout_ms.has_value() ? "" : "ab");
  }
  // The session is intact and data sent later is still delivered.
  ASSERT_TRUE(client_->Send(handle, "after", 1000).ok());
  ASSERT_TRUE(peer.WaitForReceived(5));
}

TEST_F(SocketdTest, SendCutShortByTheGrpcDeadlineReportsWhatWasWritten) {
  // A peer that never reads: kernel buffers fill and Send must wait.
  peers::ScriptedPeer peer([](peers::PeerConnection& c) {
    c.SleepFor(std::chrono::seconds(30));
  });
  const std::string handle = ConnectTo(peer.port());
  CallOptions options;
  options.rpc_timeout = absl::Milliseconds(300);
  const std::string chunk(4 << 20, 'z');
  uint64_t total = 0;
  absl::StatusOr<v1::SendResponse> sent;
  for (int i = 0; i < 16; ++i) {
    sent = client_->Send(handle, chunk, std::nullopt, options);
    ASSERT_TRUE(sent.ok()) << sent.status();
    total += sent->bytes_sent();
    if (sent->timed_out()) break;
  }
  ASSERT_TRUE(sent->timed_out());
  EXPECT_LT(sent->bytes_sent(), chunk.size());
  EXPECT_EQ(Info(handle).bytes_sent(), total);
}

TEST_F(SocketdTest, ZeroTimeoutBehindAPendingCallDoesNotWait) {
  EchoPeer peer;
  const std::string handle = ConnectTo(peer.port());
  std::thread pending([&] { client_->Receive(handle, 10, 1, 2000).IgnoreError(); });
  absl::SleepFor(absl::Milliseconds(100));
  const absl::Time start = absl::Now();
  absl::StatusOr<v1::ReceiveResponse> now = client_->Receive(handle, 10, 1, 0);
  ASSERT_TRUE(now.ok()) << now.status();
  EXPECT_TRUE(now->timed_out());
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(500));
  pending.join();
}

TEST_F(SocketdTest, SendAndReceiveRunConcurrentlyOnOneHandle) {
  EchoPeer peer;
  const std::string handle = ConnectTo(peer.port());
  absl::StatusOr<v1::ReceiveResponse> received;
  std::thread receiver([&] { received = client_->Receive(handle, 100, 4, 10000); });
  absl::SleepFor(absl::Milliseconds(100));  // The Receive is now pending.
  ASSERT_TRUE(client_->Send(handle, "ping", 5000).ok());
  receiver.join();
  ASSERT_TRUE(received.ok()) << received.status();
  EXPECT_EQ(received->data(), "ping");
}

TEST_F(SocketdTest, SameDirectionCallsQueueInArrivalOrder) {
  EchoPeer peer;
  const std::string handle = ConnectTo(peer.port());
  absl::StatusOr<v1::ReceiveResponse> first, second;
  std::thread a([&] { first = client_->Receive(handle, 3, 3, 10000); });
  absl::SleepFor(absl::Milliseconds(100));
  std::thread b([&] { second = client_->Receive(handle, 3, 3, 10000); });
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_EQ(Info(handle).pending_receives(), 2u);
  ASSERT_TRUE(client_->Send(handle, "111222", 5000).ok());
  a.join();
  b.join();
  EXPECT_EQ(first->data(), "111");
  EXPECT_EQ(second->data(), "222");
}

TEST_F(SocketdTest, CancelledReceiveLosesNoBytes) {
  EchoPeer peer;
  const std::string handle = ConnectTo(peer.port());
  auto cancel = std::make_shared<CancelToken>();
  CallOptions options;
  options.cancel = cancel;
  absl::StatusOr<v1::ReceiveResponse> cancelled;
  std::thread receiver([&] {
    cancelled = client_->Receive(handle, 100, 10, -1, options);
  });
  ASSERT_TRUE(client_->Send(handle, "12345", 5000).ok());
  absl::SleepFor(absl::Milliseconds(200));  // Five of ten bytes are read.
  cancel->Cancel();
  receiver.join();
  EXPECT_EQ(cancelled.status().code(), absl::StatusCode::kCancelled);
  absl::SleepFor(absl::Milliseconds(100));  // The cancellation reached socketd.
  EXPECT_EQ(Info(handle).pending_receives(), 0u);
  ASSERT_TRUE(client_->Send(handle, "67890", 5000).ok());
  absl::StatusOr<v1::ReceiveResponse> rest = client_->Receive(handle, 100, 10, 5000);
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ(rest->data(), "1234567890");
}

TEST_F(SocketdTest, UnknownAndGarbageHandlesAreNotFound) {
  const std::vector<std::string> handles = {
      "s1.0123456789abcdef0123456789abcdef", "garbage", "s1.", "l1.zz",
      std::string("s1.\0x", 5), std::string(10000, 's')};
  for (const std::string& handle : handles) {
    EXPECT_TRUE(HasError(client_->Send(handle, "x", 100), absl::StatusCode::kNotFound,
                         v1::SOCKET_ERROR_INVALID_HANDLE));
    EXPECT_TRUE(HasError(client_->Receive(handle, 1, 1, 100),
                         absl::StatusCode::kNotFound, v1::SOCKET_ERROR_INVALID_HANDLE));
    EXPECT_TRUE(HasError(client_->GetInfo(handle), absl::StatusCode::kNotFound,
                         v1::SOCKET_ERROR_INVALID_HANDLE));
    EXPECT_TRUE(HasError(client_->Close(handle, v1::CLOSE_MODE_ABORT, 100),
                         absl::StatusCode::kNotFound, v1::SOCKET_ERROR_INVALID_HANDLE));
  }
}

TEST_F(SocketdTest, NonUtf8HandleIsRefusedAndHarmless) {
  // proto3 strings must be UTF-8: gRPC refuses the request before socketd
  // sees it (with UNIMPLEMENTED in gRPC 1.51); the service keeps working.
  EXPECT_FALSE(client_->GetInfo(std::string("s1.\xff\xfe", 5)).ok());
  EchoPeer peer;
  EXPECT_FALSE(ConnectTo(peer.port()).empty());
}

TEST_F(SocketdTest, ReceiveAndSendValidateTheirRequests) {
  EchoPeer peer;
  const std::string handle = ConnectTo(peer.port());
  EXPECT_TRUE(HasError(client_->Receive(handle, 10, 11, 100),
                       absl::StatusCode::kInvalidArgument,
                       v1::SOCKET_ERROR_INVALID_REQUEST));
  EXPECT_TRUE(HasError(client_->Receive(handle, 10, 1, -3),
                       absl::StatusCode::kInvalidArgument,
                       v1::SOCKET_ERROR_INVALID_REQUEST));
  v1::SendRequest empty_handle;
  grpc::ClientContext context;
  v1::SendResponse response;
  EXPECT_EQ(client_->stub()->Send(&context, empty_handle, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  // Nothing above disturbed the socket.
  ASSERT_TRUE(client_->Send(handle, "ok", 1000).ok());
  EXPECT_EQ(client_->Receive(handle, 10, 2, 5000)->data(), "ok");
}

class SmallLimitsTest : public SocketdTest {
  ServerOptions Options() override {
    ServerOptions options;
    options.service.max_send_bytes = 1000;
    options.service.max_receive_bytes = 4;
    options.session.max_queued_calls = 1;
    options.session.max_sessions = 2;
    return options;
  }
};

TEST_F(SmallLimitsTest, LimitsAreEnforcedWithClearErrors) {
  EchoPeer peer;
  const std::string handle = ConnectTo(peer.port());
  EXPECT_TRUE(HasError(client_->Send(handle, std::string(1001, 'x'), 1000),
                       absl::StatusCode::kResourceExhausted,
                       v1::SOCKET_ERROR_LIMIT_EXCEEDED));
  ASSERT_TRUE(client_->Send(handle, "abcdefgh", 1000).ok());
  // max_bytes above the cap is lowered, not refused.
  absl::StatusOr<v1::ReceiveResponse> capped = client_->Receive(handle, 100, 1, 5000);
  ASSERT_TRUE(capped.ok()) << capped.status();
  EXPECT_LE(capped->data().size(), 4u);
  // min_bytes above the cap is lowered with it.
  absl::StatusOr<v1::ReceiveResponse> lowered = client_->Receive(handle, 100, 50, 5000);
  ASSERT_TRUE(lowered.ok()) << lowered.status();
  EXPECT_FALSE(lowered->timed_out());
  // One running + one queued; the third is refused.
  const std::string idle = ConnectTo(peer.port());
  std::thread a([&] { client_->Receive(idle, 1, 1, 1500).IgnoreError(); });
  std::thread b([&] { client_->Receive(idle, 1, 1, 1500).IgnoreError(); });
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_TRUE(HasError(client_->Receive(idle, 1, 1, 100),
                       absl::StatusCode::kResourceExhausted,
                       v1::SOCKET_ERROR_HANDLE_BUSY));
  a.join();
  b.join();
  // Two sessions exist: the third Connect is refused before connecting.
  EXPECT_TRUE(HasError(client_->Connect("127.0.0.1", peer.port(), 1000),
                       absl::StatusCode::kResourceExhausted,
                       v1::SOCKET_ERROR_LIMIT_EXCEEDED));
  ASSERT_TRUE(client_->Close(idle, v1::CLOSE_MODE_ABORT, 1000).ok());
  EXPECT_TRUE(client_->Connect("127.0.0.1", peer.port(), 1000).ok());
}

}  // namespace
}  // namespace socketsvc::e2e
