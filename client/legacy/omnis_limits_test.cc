// Omnis error codes that need socketd's limits or its absence: -10024,
// -10040, -10036 (limits), -10060 (socketd's idle timeout), -10050
// (socketd unreachable), -1010 (an HTTP message too large to buffer).
#include <atomic>
#include <chrono>
#include <thread>

#include "client/legacy/omnis_test_util.h"
#include "tests/peers/peers.h"

namespace socketsvc::omnis {
namespace {

using std::chrono::milliseconds;

class OmnisLimitsTest : public OmnisTest {
 protected:
  ServerOptions Options() override {
    ServerOptions options;
    options.session.max_sessions = 2;
    options.session.max_queued_calls = 0;  // A second receive on a socket: busy.
    options.service.max_send_bytes = 1000;
    return options;
  }
};

TEST_F(OmnisLimitsTest, SocketLimitIsMinus10024) {
  peers::EchoPeer peer;
  EXPECT_GT(cmds_->TCPConnect("127.0.0.1", peer.port()), 0);
  EXPECT_GT(cmds_->TCPConnect("127.0.0.1", peer.port()), 0);
  EXPECT_EQ(cmds_->TCPConnect("127.0.0.1", peer.port()), kErrTooManySockets);
}

TEST_F(OmnisLimitsTest, SendAboveSocketdsLimitIsMinus10040) {
  peers::EchoPeer peer;
  const int32_t socket = cmds_->TCPConnect("127.0.0.1", peer.port());
  ASSERT_GT(socket, 0);
  EXPECT_EQ(cmds_->TCPSend(socket, std::string(1001, 'x')), kErrMessageSize);
  EXPECT_EQ(cmds_->TCPSend(socket, std::string(1000, 'x')), 1000);
}

TEST_F(OmnisLimitsTest, ASecondWaitingReceiveBeyondTheQueueIsMinus10036) {
  peers::RecordingPeer peer;
  const int32_t socket = cmds_->TCPConnect("127.0.0.1", peer.port());
  ASSERT_GT(socket, 0);
  std::atomic<int32_t> first{1};
  std::thread waiting([&] {
    std::string buffer;
    first = cmds_->TCPReceive(socket, buffer);
  });
  for (int i = 0; i < 500 && InfoOf(socket).pending_receives() == 0; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  std::string buffer;
  EXPECT_EQ(cmds_->TCPReceive(socket, buffer), kErrInProgress);
  EXPECT_EQ(cmds_->TCPClose(socket, 2), 0);
  waiting.join();
  EXPECT_EQ(first, kErrInterrupted);
}

TEST_F(OmnisTest, SocketdsIdleTimeoutEndsAWaitingReceiveWithMinus10060) {
  peers::RecordingPeer peer;
  const int32_t socket = cmds_->TCPConnect("127.0.0.1", peer.port());
  ASSERT_GT(socket, 0);
  v1::SocketOptions options;
  options.set_idle_timeout_ms(300);
  absl::StatusOr<v1::SocketOptions> set = client_->SetOptions(cmds_->handle(socket), options);
  if (!set.ok() && set.status().code() == absl::StatusCode::kUnimplemented) {
    GTEST_SKIP() << "this socketd has no SetOptions";
  }
  ASSERT_TRUE(set.ok()) << set.status();
  std::string buffer;
  EXPECT_EQ(cmds_->TCPReceive(socket, buffer), kErrTimedOut);
  ASSERT_TRUE(peer.WaitForEnding());
  EXPECT_EQ(peer.ending(), peers::Ending::kReset);
  EXPECT_EQ(cmds_->TCPReceive(socket, buffer), kErrBadSocket);  // Released.
}

TEST_F(OmnisTest, UnreachableSocketdIsMinus10050) {
  WebCommands nowhere(Client::Create(absl::StrCat("127.0.0.1:", peers::ClosedPort())));
  EXPECT_EQ(nowhere.TCPConnect("127.0.0.1", 80), kErrNetworkDown);
  EXPECT_EQ(nowhere.TCPName2Addr("example.test"), "-10050");
}

TEST_F(OmnisTest, HttpMessageAboveTheBufferLimitIsMinus1010) {
  peers::ScriptedPeer peer([](peers::PeerConnection& conn) {
    if (!conn.SendAll("HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n")) return;
    const std::string chunk(1 << 20, 'b');
    for (int i = 0; i < 70; ++i) {
      if (!conn.SendAll(chunk)) return;
    }
    conn.SleepFor(milliseconds(20000));
  });
  const int32_t socket = cmds_->HTTPOpen("127.0.0.1", peer.port());
  ASSERT_GT(socket, 0);
  std::string buffer;
  EXPECT_EQ(cmds_->HTTPRead(socket, buffer, 1), kErrOutOfMemory);
  EXPECT_EQ(cmds_->HTTPClose(socket, 2), 0);
}

}  // namespace
}  // namespace socketsvc::omnis
