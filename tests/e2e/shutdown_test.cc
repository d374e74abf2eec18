// SIGTERM on the socketd process: calls in flight finish, every socket is
// closed COMPLETE (the peer reads everything, then a clean FIN, not RST),
// what is still open at --drain_timeout_ms is reset, and the exit code is 0.
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <thread>

#include "client/client.h"
#include "common/grpc_status.h"
#include "common/socket_error.h"
#include "gtest/gtest.h"
#include "tests/e2e/socketd_process.h"
#include "tests/peers/peers.h"

namespace socketsvc::e2e {
namespace {

using peers::Ending;
using peers::RecordingPeer;

void ExpectCleanExit(int status) {
  ASSERT_NE(status, -1) << "socketd did not exit after SIGTERM";
  EXPECT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(ShutdownTest, SigtermClosesEverySocketWithFinAndExitsZero) {
  SocketdProcess socketd({"--drain_timeout_ms=5000"});
  ASSERT_TRUE(socketd.started());
  Client client = Client::Create(socketd.target());
  // Each peer greets (socketd never reads it: the drain must, or the
  // kernel would answer the close with RST) and closes once it sees EOF.
  RecordingPeer peer(RecordingPeer::Options{"unread greeting", false});
  constexpr int kSockets = 5;
  for (int i = 0; i < kSockets; ++i) {
    absl::StatusOr<v1::ConnectResponse> c =
        client.Connect("127.0.0.1", peer.port(), 5000);
    ASSERT_TRUE(c.ok()) << c.status();
    ASSERT_TRUE(client.Send(c->handle(), "last words " + std::to_string(i), 1000).ok());
  }
  ASSERT_TRUE(peer.WaitForConnections(kSockets));

  const absl::Time start = absl::Now();
  const int status = socketd.SignalAndWait(SIGTERM, 10000);
  const absl::Duration took = absl::Now() - start;
  ExpectCleanExit(status);
  // The peers closed at once, so socketd did not wait out the drain timeout.
  EXPECT_LT(took, absl::Seconds(4)) << took;
  for (int i = 0; i < kSockets; ++i) {
    ASSERT_TRUE(peer.WaitForEnding(peers::kDefaultWait, i));
    EXPECT_EQ(peer.ending(i), Ending::kEof) << i;
    EXPECT_EQ(peer.received(i).rfind("last words ", 0), 0u) << peer.received(i);
  }
  EXPECT_TRUE(socketd.WaitForStderr("draining for up to 5s", 2000))
      << socketd.stderr_text();
}

TEST(ShutdownTest, SendInFlightFinishesBeforeTheClose) {
  // 16 MiB do not fit the loopback buffers: the Send is still writing when
  // SIGTERM comes, because this peer starts reading only after 500 ms.
  constexpr size_t kBytes = 16 << 20;
  struct Seen {
    size_t bytes = 0;
    Ending ending = Ending::kOpen;
  };
  auto seen = std::make_shared<peers::Guarded<Seen>>();
  peers::ScriptedPeer peer([seen](peers::PeerConnection& conn) {
    if (!conn.SleepFor(std::chrono::milliseconds(500))) return;
    for (;;) {
      peers::PeerConnection::ReadResult r = conn.Read(1 << 20);
      if (r.stopped) return;
      seen->Update([&](Seen& s) {
        s.bytes += r.data.size();
        s.ending = r.ending;
      });
      if (r.ending != Ending::kOpen) return;
    }
  });
  SocketdProcess socketd({"--drain_timeout_ms=10000", "--max_send_bytes=33554432"});
  ASSERT_TRUE(socketd.started());
  Client client = Client::Create(socketd.target());
  absl::StatusOr<v1::ConnectResponse> c = client.Connect("127.0.0.1", peer.port(), 5000);
  ASSERT_TRUE(c.ok()) << c.status();
  absl::StatusOr<v1::SendResponse> sent;
  std::thread sender(
      [&] { sent = client.Send(c->handle(), std::string(kBytes, 'z'), -1); });
  absl::SleepFor(absl::Milliseconds(200));
  const int status = socketd.SignalAndWait(SIGTERM, 15000);
  sender.join();
  ExpectCleanExit(status);
  ASSERT_TRUE(sent.ok()) << sent.status();
  EXPECT_EQ(sent->bytes_sent(), kBytes);
  EXPECT_FALSE(sent->timed_out());
  ASSERT_TRUE(seen->WaitFor(peers::kDefaultWait,
                            [](const Seen& s) { return s.ending != Ending::kOpen; }));
  EXPECT_EQ(seen->Get().bytes, kBytes);
  EXPECT_EQ(seen->Get().ending, Ending::kEof);
}

TEST(ShutdownTest, WaitingReceiveEndsAtOnceAndNewCallsAreRefused) {
  SocketdProcess socketd({"--drain_timeout_ms=3000"});
  ASSERT_TRUE(socketd.started());
  Client client = Client::Create(socketd.target());
  RecordingPeer peer;
  absl::StatusOr<v1::ConnectResponse> c = client.Connect("127.0.0.1", peer.port(), 5000);
  ASSERT_TRUE(c.ok()) << c.status();
  std::atomic<bool> done{false};
  absl::Status receive_status;
  absl::Time receive_end;
  std::thread receiver([&] {
    receive_status = client.Receive(c->handle(), 10, 1, -1).status();
    receive_end = absl::Now();
    done = true;
  });
  absl::SleepFor(absl::Milliseconds(200));
  const absl::Time start = absl::Now();
  const int status = socketd.SignalAndWait(SIGTERM, 10000);
  receiver.join();
  ExpectCleanExit(status);
  // Answered by the drain, not held until the drain timeout.
  EXPECT_LT(receive_end - start, absl::Seconds(2));
  EXPECT_EQ(receive_status.code(), absl::StatusCode::kUnavailable) << receive_status;
  EXPECT_EQ(GetSocketError(receive_status), v1::SOCKET_ERROR_SHUTTING_DOWN)
      << receive_status;
  ASSERT_TRUE(peer.WaitForEnding());
  EXPECT_EQ(peer.ending(), Ending::kEof);
  // socketd is gone: a new call fails.
  EXPECT_EQ(client.GetInfo(c->handle()).status().code(), absl::StatusCode::kUnavailable);
}

TEST(ShutdownTest, PeerThatNeverClosesIsResetAtTheDrainTimeout) {
  // Reads until EOF (our FIN), then keeps its side open, and afterwards
  // tries to write: that fails once socketd's RST has arrived.
  struct Seen {
    Ending first_ending = Ending::kOpen;
    bool write_failed = false;
  };
  auto seen = std::make_shared<peers::Guarded<Seen>>();
  peers::ScriptedPeer peer([seen](peers::PeerConnection& conn) {
    for (;;) {
      peers::PeerConnection::ReadResult r = conn.Read();
      if (r.stopped) return;
      if (r.ending == Ending::kOpen) continue;
      seen->Update([&](Seen& s) { s.first_ending = r.ending; });
      break;
    }
    for (int i = 0; i < 100; ++i) {
      if (!conn.SleepFor(std::chrono::milliseconds(50))) return;
      if (!conn.SendAll("still here")) {
        seen->Update([](Seen& s) { s.write_failed = true; });
        return;
      }
    }
  });
  SocketdProcess socketd({"--drain_timeout_ms=600"});
  ASSERT_TRUE(socketd.started());
  Client client = Client::Create(socketd.target());
  absl::StatusOr<v1::ConnectResponse> c = client.Connect("127.0.0.1", peer.port(), 5000);
  ASSERT_TRUE(c.ok()) << c.status();
  const absl::Time start = absl::Now();
  const int status = socketd.SignalAndWait(SIGTERM, 10000);
  const absl::Duration took = absl::Now() - start;
  ExpectCleanExit(status);
  EXPECT_GE(took, absl::Milliseconds(500)) << took;
  EXPECT_LT(took, absl::Seconds(4)) << took;
  ASSERT_TRUE(
      seen->WaitFor(peers::kDefaultWait, [](const Seen& s) { return s.write_failed; }));
  EXPECT_EQ(seen->Get().first_ending, Ending::kEof);
}

TEST(ShutdownTest, OldFlagNameStillSetsTheDrainTimeout) {
  SocketdProcess socketd({"--shutdown_grace_ms=250"});
  ASSERT_TRUE(socketd.started());
  const int status = socketd.SignalAndWait(SIGTERM, 10000);
  ExpectCleanExit(status);
  EXPECT_TRUE(socketd.WaitForStderr("draining for up to 250ms", 2000))
      << socketd.stderr_text();
}

}  // namespace
}  // namespace socketsvc::e2e
