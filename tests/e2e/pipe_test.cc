// Pipe, the bytes: exact both ways through plain and TLS echo peers, the
// peer's EOF and RST, half-close, cancellation that loses no byte, and
// backpressure that reaches the peer instead of filling socketd.
#include <cerrno>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "tests/e2e/e2e_fixture.h"
#include "tests/e2e/pipe_test_util.h"
#include "tests/peers/peers.h"
#include "tests/tls/certificate_authority.h"
#include "tests/tls/tls_peers.h"

namespace socketsvc::e2e {
namespace {

using peers::BulkSenderPeer;
using peers::EchoPeer;
using peers::Ending;
using peers::Guarded;
using peers::PeerConnection;
using peers::ResetPeer;
using peers::ScriptedPeer;
using peers::SendThenHalfClosePeer;

constexpr size_t kSixteenMiB = 16 << 20;

// Writes `payload` from a thread while this one reads the echo to its end.
PipeOutcome EchoThrough(PipeStream& pipe, const std::string& payload) {
  bool written = false;
  std::thread writer([&] { written = WriteAll(pipe, payload, 256 << 10); });
  PipeOutcome outcome = ReadToEnd(pipe);
  writer.join();
  EXPECT_TRUE(written);
  return outcome;
}

TEST_F(SocketdTest, PipeCarriesSixteenMebibytesExactlyThroughAnEchoPeer) {
  EchoPeer peer;
  const std::string handle = ConnectTo(peer.port());
  absl::StatusOr<std::unique_ptr<PipeStream>> pipe =
      client_->OpenPipe(handle, PipeOptions{/*half_close_on_end=*/true});
  ASSERT_TRUE(pipe.ok()) << pipe.status();
  const std::string payload = BulkSenderPeer::Pattern(kSixteenMiB);
  PipeOutcome outcome = EchoThrough(**pipe, payload);
  // The echo peer answers our FIN with its own after the last byte.
  ASSERT_TRUE(outcome.status.ok()) << outcome.status;
  EXPECT_TRUE(outcome.eof);
  ASSERT_EQ(outcome.data.size(), payload.size());
  EXPECT_TRUE(outcome.data == payload);
  EXPECT_EQ(outcome.last_bytes_written, payload.size());
  EXPECT_LE(outcome.largest_chunk, 64u << 10);  // max_chunk_bytes 0: 64 KiB
  const v1::SocketInfo info = Info(handle);
  EXPECT_FALSE(info.piped());
  EXPECT_EQ(info.state(), v1::SOCKET_STATE_BOTH_CLOSED);
  EXPECT_EQ(info.bytes_sent(), payload.size());
  EXPECT_EQ(info.bytes_received(), payload.size());
}

TEST_F(SocketdTest, PipeCarriesSixteenMebibytesExactlyThroughATlsEchoPeer) {
  absl::StatusOr<std::unique_ptr<tls::CertificateAuthority>> ca =
      tls::CertificateAuthority::Create();
  ASSERT_TRUE(ca.ok()) << ca.status();
  absl::StatusOr<tls::IssuedCertificate> cert = (*ca)->IssueLocalhostServerCert();
  ASSERT_TRUE(cert.ok()) << cert.status();
  tls::TlsServerOptions options;
  options.cert_path = cert->cert_path;
  options.key_path = cert->key_path;
  tls::TlsEchoPeer peer(options);
  v1::TlsOptions trusting;
  trusting.set_ca_pem((*ca)->cert_pem());
  absl::StatusOr<v1::ConnectResponse> connected =
      client_->ConnectTls("127.0.0.1", peer.port(), trusting, 5000);
  ASSERT_TRUE(connected.ok()) << connected.status();
  const std::string handle = connected->handle();

  absl::StatusOr<std::unique_ptr<PipeStream>> pipe = client_->OpenPipe(
      handle, PipeOptions{/*half_close_on_end=*/true, /*max_chunk_bytes=*/1 << 20});
  ASSERT_TRUE(pipe.ok()) << pipe.status();
  const std::string payload = BulkSenderPeer::Pattern(kSixteenMiB);
  PipeOutcome outcome = EchoThrough(**pipe, payload);
  // Our close_notify + FIN, the peer's close_notify: a clean TLS EOF.
  ASSERT_TRUE(outcome.status.ok()) << outcome.status;
  EXPECT_TRUE(outcome.eof);
  ASSERT_EQ(outcome.data.size(), payload.size());
  EXPECT_TRUE(outcome.data == payload);
  EXPECT_EQ(outcome.last_bytes_written, payload.size());
  EXPECT_LE(outcome.largest_chunk, 1u << 20);
  ASSERT_TRUE(peer.WaitForEnded());
  EXPECT_TRUE(peer.recording(0).close_notify_received);
  EXPECT_EQ(peer.received(0).size(), payload.size());
}

TEST_F(SocketdTest, PipeEndsWithAnEofChunkThenOkAndTheSocketStaysUsable) {
  SendThenHalfClosePeer peer("hello from the peer");
  const std::string handle = ConnectTo(peer.port());
  absl::StatusOr<std::unique_ptr<PipeStream>> pipe = client_->OpenPipe(handle);
  ASSERT_TRUE(pipe.ok()) << pipe.status();
  PipeOutcome outcome = ReadToEnd(**pipe);
  ASSERT_TRUE(outcome.status.ok()) << outcome.status;
  EXPECT_TRUE(outcome.eof);
  EXPECT_EQ(outcome.data, "hello from the peer");
  // The peer only half-closed: we can still send (unary, the pipe is gone).
  const v1::SocketInfo info = Info(handle);
  EXPECT_FALSE(info.piped());
  EXPECT_EQ(info.state(), v1::SOCKET_STATE_PEER_CLOSED);
  absl::StatusOr<v1::SendResponse> sent = client_->Send(handle, "still here", 5000);
  ASSERT_TRUE(sent.ok()) << sent.status();
  ASSERT_TRUE(peer.WaitForReceived(10));
  EXPECT_EQ(peer.received(), "still here");
  // Every later Pipe sees the EOF at once.
  pipe = client_->OpenPipe(handle);
  ASSERT_TRUE(pipe.ok()) << pipe.status();
  outcome = ReadToEnd(**pipe);
  EXPECT_TRUE(outcome.status.ok()) << outcome.status;
  EXPECT_TRUE(outcome.eof);
  EXPECT_EQ(outcome.data, "");
}

TEST_F(SocketdTest, PipeEndsWithTheResetWhenThePeerResets) {
  ResetPeer peer(ResetPeer::Options{"partial", 0, std::chrono::milliseconds(200)});
  const std::string handle = ConnectTo(peer.port());
  absl::StatusOr<std::unique_ptr<PipeStream>> pipe = client_->OpenPipe(handle);
  ASSERT_TRUE(pipe.ok()) << pipe.status();
  ASSERT_TRUE(peer.WaitForResets(1));
  PipeOutcome outcome = ReadToEnd(**pipe);
  // Bytes that arrived before the RST may or may not survive it (the kernel
  // may discard them); the reset itself must be the stream's status.
  EXPECT_TRUE(outcome.data.empty() || outcome.data == "partial") << outcome.data;
  EXPECT_FALSE(outcome.eof);
  ASSERT_TRUE(HasError(outcome.status, absl::StatusCode::kUnavailable,
                       v1::SOCKET_ERROR_CONNECTION_RESET));
  EXPECT_EQ(GetErrorDetail(outcome.status)->os_errno(), ECONNRESET);
  const v1::SocketInfo info = Info(handle);
  EXPECT_EQ(info.state(), v1::SOCKET_STATE_BROKEN);
  EXPECT_FALSE(info.piped());
}

// The peer reads until our FIN, then answers: the pipe's reading outlives
// its writing.
TEST_F(SocketdTest, PipeHalfCloseOnEndSendsFinAndKeepsReading) {
  auto seen = std::make_shared<Guarded<std::string>>();
  ScriptedPeer peer([seen](PeerConnection& conn) {
    for (;;) {
      PeerConnection::ReadResult r = conn.Read();
      seen->Update([&](std::string& s) { s += r.data; });
      if (r.stopped || r.ending == Ending::kReset) return;
      if (r.ending == Ending::kEof) break;
    }
    conn.SendAll("answer after your FIN");
    conn.ShutdownWrite();
  });
  const std::string handle = ConnectTo(peer.port());
  absl::StatusOr<std::unique_ptr<PipeStream>> pipe =
      client_->OpenPipe(handle, PipeOptions{/*half_close_on_end=*/true});
  ASSERT_TRUE(pipe.ok()) << pipe.status();
  ASSERT_TRUE((*pipe)->Write("question"));
  ASSERT_TRUE((*pipe)->WritesDone());
  PipeOutcome outcome = ReadToEnd(**pipe);
  ASSERT_TRUE(outcome.status.ok()) << outcome.status;
  EXPECT_EQ(outcome.data, "answer after your FIN");
  EXPECT_TRUE(outcome.eof);
  EXPECT_EQ(outcome.last_bytes_written, 8u);
  EXPECT_EQ(seen->Get(), "question");
  EXPECT_EQ(Info(handle).state(), v1::SOCKET_STATE_BOTH_CLOSED);
  // Sending after the FIN is refused like after Close(PARTIAL).
  EXPECT_TRUE(HasError(client_->Send(handle, "x", 1000),
                       absl::StatusCode::kFailedPrecondition,
                       v1::SOCKET_ERROR_BROKEN_PIPE));
}

// Without half_close_on_end, WritesDone hands the Send turn back: unary
// Send works while the pipe still reads, and no FIN goes out.
TEST_F(SocketdTest, PipeWritesDoneWithoutHalfCloseLeavesTheSocketWritable) {
  peers::RecordingPeer peer;
  const std::string handle = ConnectTo(peer.port());
  absl::StatusOr<std::unique_ptr<PipeStream>> pipe = client_->OpenPipe(handle);
  ASSERT_TRUE(pipe.ok()) << pipe.status();
  ASSERT_TRUE((*pipe)->Write("piped;"));
  // Different calls have no order between them: the pipe's write first.
  ASSERT_TRUE(peer.WaitForReceived(6));
  ASSERT_TRUE((*pipe)->WritesDone());
  absl::StatusOr<v1::SendResponse> sent = client_->Send(handle, "unary", 5000);
  ASSERT_TRUE(sent.ok()) << sent.status();
  EXPECT_EQ(sent->bytes_sent(), 5u);
  EXPECT_FALSE(sent->timed_out());
  ASSERT_TRUE(peer.WaitForReceived(11));
  EXPECT_EQ(peer.received(), "piped;unary");
  EXPECT_EQ(peer.ending(), Ending::kOpen);
  EXPECT_TRUE(Info(handle).piped());
  (*pipe)->Cancel();
  EXPECT_TRUE(HasError((*pipe)->Finish(), absl::StatusCode::kCancelled,
                       v1::SOCKET_ERROR_CANCELLED));
  EXPECT_EQ(Info(handle).state(), v1::SOCKET_STATE_OPEN);
}

// The peer sends `first`, waits until the test says go, then `rest` and FIN.
// The pipe takes exactly `first`, is cancelled while it waits for more, and
// unary Receive then gets exactly `rest`: abandoning the pipe's wait lost
// nothing, and the socket was neither closed nor reset.
TEST_F(SocketdTest, PipeCancelLosesNoByteAndLeavesTheSocketUsable) {
  const std::string all = BulkSenderPeer::Pattern(400000);
  const std::string first = all.substr(0, 100000);
  const std::string rest = all.substr(100000);
  struct Script {
    Guarded<bool> go;
    Guarded<std::string> received;
  };
  auto script = std::make_shared<Script>();
  ScriptedPeer peer([script, first, rest](PeerConnection& conn) {
    if (!conn.SendAll(first)) return;
    if (!script->go.WaitFor(peers::kDefaultWait, [](bool go) { return go; })) return;
    if (!conn.SendAll(rest) || !conn.ShutdownWrite()) return;
    for (;;) {
      PeerConnection::ReadResult r = conn.Read();
      script->received.Update([&](std::string& s) { s += r.data; });
      if (r.stopped || r.ending != Ending::kOpen) return;
    }
  });
  const std::string handle = ConnectTo(peer.port());
  absl::StatusOr<std::unique_ptr<PipeStream>> pipe = client_->OpenPipe(
      handle, PipeOptions{/*half_close_on_end=*/true, /*max_chunk_bytes=*/4096});
  ASSERT_TRUE(pipe.ok()) << pipe.status();
  std::string piped;
  while (piped.size() < first.size()) {
    std::optional<PipeChunk> chunk = (*pipe)->Read();
    ASSERT_TRUE(chunk.has_value()) << (*pipe)->Finish();
    ASSERT_FALSE(chunk->eof);
    EXPECT_LE(chunk->data.size(), 4096u);
    piped += chunk->data;
  }
  EXPECT_TRUE(piped == first);
  (*pipe)->Cancel();
  EXPECT_TRUE(HasError((*pipe)->Finish(), absl::StatusCode::kCancelled,
                       v1::SOCKET_ERROR_CANCELLED));
  ASSERT_TRUE(WaitPiped(*client_, handle, false));
  // Cancelled, not half-closed: no FIN although half_close_on_end was set.
  EXPECT_EQ(Info(handle).state(), v1::SOCKET_STATE_OPEN);
  script->go.Update([](bool& go) { go = true; });
  const std::string received = ReceiveAll(handle);
  EXPECT_EQ(received.size(), rest.size());
  EXPECT_TRUE(piped + received == all);
  ASSERT_TRUE(client_->Send(handle, "thanks", 5000).ok());
  absl::StatusOr<v1::CloseResponse> closed = client_->Close(handle);
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_TRUE(script->received.WaitFor(peers::kDefaultWait, [](const std::string& s) {
    return s == "thanks";
  }));
}

// A cancel is never taken for a half-close, however it races with the
// stream's pending read: no FIN, the socket stays OPEN.
TEST_F(SocketdTest, PipeCancelNeverHalfCloses) {
  peers::RecordingPeer peer;
  const std::string handle = ConnectTo(peer.port());
  for (int i = 0; i < 30; ++i) {
    absl::StatusOr<std::unique_ptr<PipeStream>> pipe =
        client_->OpenPipe(handle, PipeOptions{/*half_close_on_end=*/true});
    ASSERT_TRUE(pipe.ok()) << pipe.status();
    ASSERT_TRUE((*pipe)->Write("x"));
    ASSERT_TRUE(peer.WaitForReceived(i + 1));
    (*pipe)->Cancel();
    EXPECT_EQ((*pipe)->Finish().code(), absl::StatusCode::kCancelled);
    ASSERT_TRUE(WaitPiped(*client_, handle, false));
    ASSERT_EQ(Info(handle).state(), v1::SOCKET_STATE_OPEN) << "round " << i;
  }
  EXPECT_EQ(peer.ending(), Ending::kOpen);
}

// Cancelled mid-flow: what the pipe delivered is an exact prefix, what
// Receive gets afterwards the exact rest up to EOF; only bytes already put
// into responses that the client never read can be missing in between.
TEST_F(SocketdTest, PipeCancelledMidStreamKeepsTheRestInOrder) {
  const size_t kTotal = 8 << 20;
  BulkSenderPeer peer(kTotal);
  const std::string all = BulkSenderPeer::Pattern(kTotal);
  const std::string handle = ConnectTo(peer.port());
  absl::StatusOr<std::unique_ptr<PipeStream>> pipe = client_->OpenPipe(
      handle, PipeOptions{/*half_close_on_end=*/false, /*max_chunk_bytes=*/16384});
  ASSERT_TRUE(pipe.ok()) << pipe.status();
  std::string piped;
  while (piped.size() < (1u << 20)) {
    std::optional<PipeChunk> chunk = (*pipe)->Read();
    ASSERT_TRUE(chunk.has_value()) << (*pipe)->Finish();
    piped += chunk->data;
  }
  (*pipe)->Cancel();
  EXPECT_EQ((*pipe)->Finish().code(), absl::StatusCode::kCancelled);
  ASSERT_TRUE(WaitPiped(*client_, handle, false));
  const std::string received = ReceiveAll(handle);
  ASSERT_LE(piped.size() + received.size(), kTotal);
  EXPECT_TRUE(piped == all.substr(0, piped.size()));
  EXPECT_TRUE(received == all.substr(kTotal - received.size()));
  // In flight to the client at the cancel, bounded by gRPC's flow control.
  const size_t lost = kTotal - piped.size() - received.size();
  EXPECT_LT(lost, kTotal / 2);
  ASSERT_TRUE(client_->Close(handle).ok());
  EXPECT_TRUE(peer.WaitForCompleted(1));
}

// A client that stops reading: socketd stops reading from the socket, so
// the peer's writes block once the windows in between are full, far below
// what it wants to send; reading again delivers every byte in order.
TEST_F(SocketdTest, PipeBackpressureReachesThePeer) {
  const size_t kTotal = 96 << 20;
  auto sent = std::make_shared<Guarded<size_t>>(0);
  const std::string all = BulkSenderPeer::Pattern(kTotal);
  ScriptedPeer peer([sent, &all](PeerConnection& conn) {
    const size_t kBlock = 64 << 10;
    for (size_t offset = 0; offset < all.size(); offset += kBlock) {
      if (!conn.SendAll(std::string_view(all).substr(offset, kBlock))) return;
      sent->Update([&](size_t& n) { n = std::min(all.size(), offset + kBlock); });
    }
    conn.ShutdownWrite();
    // Until our FIN (or the peer is stopped: Read then says `stopped`).
    for (PeerConnection::ReadResult r; !r.stopped && r.ending == Ending::kOpen;) {
      r = conn.Read();
    }
  });
  const std::string handle = ConnectTo(peer.port());
  absl::StatusOr<std::unique_ptr<PipeStream>> pipe =
      client_->OpenPipe(handle, PipeOptions{/*half_close_on_end=*/true});
  ASSERT_TRUE(pipe.ok()) << pipe.status();
  // Nothing reads: wait until the peer stalls (no progress for 500 ms).
  size_t stalled_at = 0;
  for (int i = 0; i < 60; ++i) {
    absl::SleepFor(absl::Milliseconds(500));
    const size_t now = sent->Get();
    if (now == stalled_at && now > 0) break;
    stalled_at = now;
  }
  EXPECT_GT(stalled_at, 0u);
  // Kernel buffers on both sockets plus gRPC's windows: tens of MiB at most
  // on loopback, never the whole 96 MiB.
  EXPECT_LT(stalled_at, kTotal / 2) << "socketd kept reading without a reader";
  std::cerr << "peer stalled after " << stalled_at << " bytes\n";
  ASSERT_TRUE((*pipe)->WritesDone());
  PipeOutcome outcome = ReadToEnd(**pipe);
  ASSERT_TRUE(outcome.status.ok()) << outcome.status;
  EXPECT_TRUE(outcome.eof);
  ASSERT_EQ(outcome.data.size(), kTotal);
  EXPECT_TRUE(outcome.data == all);
}

}  // namespace
}  // namespace socketsvc::e2e
