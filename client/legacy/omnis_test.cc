// Omnis client-socket commands against an in-process socketd and real TCP
// peers: return values, close options as the peer sees them (FIN vs RST),
// blocking modes, and each error code path.
#include <atomic>
#include <chrono>
#include <set>
#include <thread>
#include <vector>

#include "client/legacy/omnis_test_util.h"
#include "tests/peers/peers.h"

namespace socketsvc::omnis {
namespace {

using peers::Ending;
using std::chrono::milliseconds;

TEST_F(OmnisTest, TCPConnectReturnsSmallPositiveNumbersNeverReused) {
  peers::RecordingPeer peer;
  const int32_t first = cmds_->TCPConnect("127.0.0.1", peer.port());
  const int32_t second = cmds_->TCPConnect("localhost", peer.port());
  EXPECT_EQ(first, 1);
  EXPECT_EQ(second, 2);
  EXPECT_EQ(cmds_->TCPClose(first), 0);
  EXPECT_EQ(cmds_->TCPConnect("127.0.0.1", peer.port()), 3);
  EXPECT_EQ(cmds_->TCPSend(first, "stale"), kErrBadSocket);
}

TEST_F(OmnisTest, TCPSendSendsEveryByteAndReturnsTheCount) {
  peers::RecordingPeer peer;
  const int32_t socket = cmds_->TCPConnect("127.0.0.1", peer.port());
  ASSERT_GT(socket, 0);
  const std::string message(100000, 'x');
  EXPECT_EQ(cmds_->TCPSend(socket, message), 100000);
  EXPECT_EQ(cmds_->TCPSend(socket, ""), 0);
  ASSERT_TRUE(peer.WaitForReceived(message.size()));
  EXPECT_EQ(peer.received(), message);
}

TEST_F(OmnisTest, ServiceOrPortTakesDigitTextAsAPortAndNamesAsServices) {
  peers::RecordingPeer peer;
  EXPECT_GT(cmds_->TCPConnect("127.0.0.1", std::to_string(peer.port())), 0);
  // "http" is resolved by socketd to port 80, where nothing listens here
  // (refused), or something does (a socket): either way not -10109.
  const int32_t http = cmds_->TCPConnect("127.0.0.1", "http");
  EXPECT_TRUE(http > 0 || http == kErrConnectionRefused) << http;
  EXPECT_EQ(cmds_->TCPConnect("127.0.0.1", "no-such-service"), kErrServiceNotFound);
}

TEST_F(OmnisTest, TCPConnectErrorCodes) {
  EXPECT_EQ(cmds_->TCPConnect("", 6000), kErrNoAddress);
  EXPECT_EQ(cmds_->TCPConnect("127.0.0.1", 0), kErrAddressNotAvailable);
  EXPECT_EQ(cmds_->TCPConnect("127.0.0.1", 65536), kErrAddressNotAvailable);
  EXPECT_EQ(cmds_->TCPConnect("127.0.0.1", peers::ClosedPort()), kErrConnectionRefused);
  EXPECT_EQ(cmds_->TCPConnect("no-such-host.invalid", 80), kErrHostNotFound);
}

TEST_F(OmnisTest, TCPReceiveReturnsDataThenZeroAfterThePeersGracefulClose) {
  peers::RecordingPeer::Options options;
  options.greeting = "hello omnis";
  options.half_close_after_greeting = true;
  peers::RecordingPeer peer(options);
  const int32_t socket = cmds_->TCPConnect("127.0.0.1", peer.port());
  ASSERT_GT(socket, 0);
  std::string buffer;
  std::string all;
  int32_t count = 0;
  while ((count = cmds_->TCPReceive(socket, buffer, 5)) > 0) {
    EXPECT_LE(count, 5);
    EXPECT_EQ(buffer.size(), static_cast<size_t>(count));
    all += buffer;
  }
  EXPECT_EQ(count, 0);
  EXPECT_EQ(all, "hello omnis");
  EXPECT_EQ(cmds_->TCPReceive(socket, buffer), 0);  // Stays at end of stream.
  // The socket can still send after the peer's FIN.
  EXPECT_EQ(cmds_->TCPSend(socket, "bye"), 3);
  EXPECT_EQ(cmds_->TCPClose(socket), 0);
  ASSERT_TRUE(peer.WaitForEnding());
  EXPECT_EQ(peer.recording().received, "bye");
}

TEST_F(OmnisTest, TCPReceiveErrorCodes) {
  peers::ResetPeer::Options options;
  options.delay = milliseconds(100);  // Connected first, then the RST.
  peers::ResetPeer peer(options);
  const int32_t socket = cmds_->TCPConnect("127.0.0.1", peer.port());
  ASSERT_GT(socket, 0);
  ASSERT_TRUE(peer.WaitForResets(1));
  std::string buffer;
  EXPECT_EQ(cmds_->TCPReceive(socket, buffer, 0), kErrInvalidArgument);
  EXPECT_EQ(cmds_->TCPReceive(socket, buffer, -1), kErrInvalidArgument);
  EXPECT_EQ(cmds_->TCPReceive(socket, buffer), kErrConnectionReset);
  EXPECT_EQ(cmds_->TCPSend(socket, "x"), kErrConnectionReset);
}

TEST_F(OmnisTest, NonBlockingReceiveReturnsMinus10035UntilDataArrives) {
  peers::EchoPeer peer;
  const int32_t socket = cmds_->TCPConnect("127.0.0.1", peer.port());
  ASSERT_GT(socket, 0);
  EXPECT_EQ(cmds_->TCPBlock(socket, 1), 0);
  std::string buffer;
  EXPECT_EQ(cmds_->TCPReceive(socket, buffer), kErrWouldBlock);
  ASSERT_EQ(cmds_->TCPSend(socket, "ping"), 4);
  int32_t count = kErrWouldBlock;
  for (int i = 0; i < 500 && count == kErrWouldBlock; ++i) {
    count = cmds_->TCPReceive(socket, buffer);
    if (count == kErrWouldBlock) std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_EQ(count, 4);
  EXPECT_EQ(buffer, "ping");
  EXPECT_EQ(cmds_->TCPBlock(socket, 0), 0);  // Blocking again: waits for data.
  ASSERT_EQ(cmds_->TCPSend(socket, "pong"), 4);
  EXPECT_EQ(cmds_->TCPReceive(socket, buffer), 4);
  EXPECT_EQ(buffer, "pong");
}

TEST_F(OmnisTest, NonBlockingSendReturnsMinus10035WhenThePeerStopsReading) {
  peers::ScriptedPeer peer([](peers::PeerConnection& conn) {
    conn.SleepFor(milliseconds(20000));  // Never reads.
  });
  const int32_t socket = cmds_->TCPConnect("127.0.0.1", peer.port());
  ASSERT_GT(socket, 0);
  ASSERT_EQ(cmds_->TCPBlock(socket, 1), 0);
  const std::string chunk(1 << 20, 'z');
  int32_t result = 0;
  int64_t total = 0;
  for (int i = 0; i < 256 && result >= 0; ++i) {
    result = cmds_->TCPSend(socket, chunk);
    if (result > 0) total += result;
  }
  EXPECT_EQ(result, kErrWouldBlock) << "after " << total << " bytes";
  EXPECT_GT(total, 0);
  EXPECT_EQ(InfoOf(socket).bytes_sent(), static_cast<uint64_t>(total));
}

TEST_F(OmnisTest, TCPCloseCompleteSendsFinAndReleasesTheSocket) {
  peers::RecordingPeer peer;
  const int32_t socket = cmds_->TCPConnect("127.0.0.1", peer.port());
  ASSERT_EQ(cmds_->TCPSend(socket, "data"), 4);
  EXPECT_EQ(cmds_->TCPClose(socket), 0);
  ASSERT_TRUE(peer.WaitForEnding());
  EXPECT_EQ(peer.ending(), Ending::kEof);
  EXPECT_EQ(peer.received(), "data");
  EXPECT_EQ(cmds_->TCPSend(socket, "more"), kErrBadSocket);
}

TEST_F(OmnisTest, TCPClosePartialSendsFinKeepsReceivingAndNeedsASecondClose) {
  peers::ScriptedPeer peer([](peers::PeerConnection& conn) {
    peers::PeerConnection::ReadResult read;
    do read = conn.Read();
    while (read.ending == Ending::kOpen && !read.stopped);
    if (read.ending == Ending::kEof) conn.SendAll("after your FIN");
    conn.Close();
  });
  const int32_t socket = cmds_->TCPConnect("127.0.0.1", peer.port());
  ASSERT_GT(socket, 0);
  EXPECT_EQ(cmds_->TCPClose(socket, 1), 0);
  EXPECT_EQ(cmds_->TCPSend(socket, "x"), kErrShutdown);
  std::string buffer, all;
  int32_t count = 0;
  while ((count = cmds_->TCPReceive(socket, buffer)) > 0) all += buffer;
  EXPECT_EQ(count, 0);
  EXPECT_EQ(all, "after your FIN");
  EXPECT_EQ(cmds_->TCPClose(socket), 0);  // Now released.
  EXPECT_EQ(cmds_->TCPReceive(socket, buffer), kErrBadSocket);
}

TEST_F(OmnisTest, TCPCloseAbortSendsRst) {
  peers::RecordingPeer peer;
  const int32_t socket = cmds_->TCPConnect("127.0.0.1", peer.port());
  ASSERT_GT(socket, 0);
  EXPECT_EQ(cmds_->TCPClose(socket, 2), 0);
  ASSERT_TRUE(peer.WaitForEnding());
  EXPECT_EQ(peer.ending(), Ending::kReset);
  EXPECT_EQ(cmds_->TCPClose(socket, 2), kErrBadSocket);
}

TEST_F(OmnisTest, BadCloseOptionIsMinus517AndLeavesTheSocketAlone) {
  peers::EchoPeer peer;
  const int32_t socket = cmds_->TCPConnect("127.0.0.1", peer.port());
  ASSERT_GT(socket, 0);
  EXPECT_EQ(cmds_->TCPClose(socket, 3), kErrBadCloseOption);
  EXPECT_EQ(cmds_->TCPClose(socket, -1), kErrBadCloseOption);
  EXPECT_EQ(cmds_->HTTPClose(socket, 7), kErrBadCloseOption);
  EXPECT_EQ(cmds_->TCPClose(99, 3), kErrBadCloseOption);  // Option checked first.
  std::string buffer;
  ASSERT_EQ(cmds_->TCPSend(socket, "still open"), 10);
  EXPECT_EQ(cmds_->TCPReceive(socket, buffer, 10), 10);
}

TEST_F(OmnisTest, EveryCommandAnswersMinus509ForAnUnknownSocket) {
  std::string buffer;
  EXPECT_EQ(cmds_->TCPSend(42, "x"), kErrBadSocket);
  EXPECT_EQ(cmds_->HTTPSend(42, "x"), kErrBadSocket);
  EXPECT_EQ(cmds_->TCPReceive(42, buffer), kErrBadSocket);
  EXPECT_EQ(cmds_->HTTPRead(42, buffer), kErrBadSocket);
  EXPECT_EQ(cmds_->TCPBlock(42, 1), kErrBadSocket);
  EXPECT_EQ(cmds_->TCPClose(42), kErrBadSocket);
  EXPECT_EQ(cmds_->HTTPClose(0), kErrBadSocket);
  EXPECT_EQ(cmds_->TCPBind(42, 0), kErrBadSocket);
  EXPECT_EQ(cmds_->TCPListen(42), kErrBadSocket);
  EXPECT_EQ(cmds_->TCPAccept(42), kErrBadSocket);
  EXPECT_EQ(cmds_->TCPGetMyPort(42), kErrBadSocket);
  EXPECT_EQ(cmds_->TCPGetMyAddr(42), "-509");
  EXPECT_EQ(cmds_->TCPGetRemoteAddr(42), "-509");
  EXPECT_EQ(ResultCode(cmds_->TCPGetRemoteAddr(42)), kErrBadSocket);
}

TEST_F(OmnisTest, ABlockingReceiveEndsWithMinus10004WhenAnotherThreadCloses) {
  peers::RecordingPeer peer;
  const int32_t socket = cmds_->TCPConnect("127.0.0.1", peer.port());
  ASSERT_GT(socket, 0);
  std::atomic<int32_t> result{1};
  std::thread receiver([&] {
    std::string buffer;
    result = cmds_->TCPReceive(socket, buffer);
  });
  for (int i = 0; i < 500 && InfoOf(socket).pending_receives() == 0; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_EQ(cmds_->TCPClose(socket, 2), 0);
  receiver.join();
  EXPECT_EQ(result, kErrInterrupted);
}

TEST_F(OmnisTest, ConcurrentConnectsGetDistinctNumbers) {
  peers::EchoPeer peer;
  std::vector<std::thread> threads;
  std::vector<int32_t> sockets(16, 0);
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&, i] { sockets[i] = cmds_->TCPConnect("127.0.0.1", peer.port()); });
  }
  for (std::thread& t : threads) t.join();
  std::set<int32_t> distinct(sockets.begin(), sockets.end());
  EXPECT_EQ(distinct.size(), 16u);
  EXPECT_EQ(*distinct.begin(), 1);
  EXPECT_EQ(*distinct.rbegin(), 16);
}

TEST_F(OmnisTest, WebDevSetConfigErrorProcAndCommsTimeout) {
  std::vector<std::string> calls;
  EXPECT_EQ(cmds_->WebDevSetConfig(
                [&](const std::string& command, int32_t code, const std::string& text) {
                  calls.push_back(command + " " + std::to_string(code) + " " + text);
                },
                0),
            0);
  EXPECT_EQ(cmds_->commstimeout(), 60);  // 0 means the default.
  EXPECT_EQ(cmds_->TCPClose(7, 5), kErrBadCloseOption);
  EXPECT_EQ(cmds_->TCPGetRemoteAddr(7), "-509");
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0], "TCPClose -517 Bad option passed to TCPClose");
  EXPECT_EQ(calls[1], "TCPGetRemoteAddr -509 Bad socket passed to command");
  EXPECT_EQ(cmds_->WebDevSetConfig(nullptr, -5), 0);  // Clears the errorproc.
  EXPECT_EQ(cmds_->commstimeout(), 5);
  EXPECT_EQ(cmds_->WebDevSetConfig(), 0);  // Timeout unchanged.
  EXPECT_EQ(cmds_->commstimeout(), 5);
  EXPECT_EQ(cmds_->TCPClose(7, 5), kErrBadCloseOption);
  EXPECT_EQ(calls.size(), 2u);
}

TEST_F(OmnisTest, GlobalCommandsNeedUseAndThenRunOnTheInstalledInstance) {
  StopUsing();
  EXPECT_EQ(TCPConnect("127.0.0.1", 80), kErrNotInitialised);
  EXPECT_EQ(TCPGetRemoteAddr(1), "-10093");
  peers::RecordingPeer peer;
  Use(*client_);
  const int32_t socket = TCPConnect("127.0.0.1", peer.port());
  ASSERT_GT(socket, 0);
  EXPECT_EQ(TCPGetRemoteAddr(socket), "127.0.0.1");
  EXPECT_EQ(TCPSend(socket, "global"), 6);
  EXPECT_EQ(TCPClose(socket), 0);
  ASSERT_TRUE(peer.WaitForEnding());
  EXPECT_EQ(peer.received(), "global");
  StopUsing();
}

TEST_F(OmnisTest, DestroyingWebCommandsAbortsSocketsLeftOpen) {
  peers::RecordingPeer peer;
  ASSERT_GT(cmds_->TCPConnect("127.0.0.1", peer.port()), 0);
  cmds_.reset();
  ASSERT_TRUE(peer.WaitForEnding());
  EXPECT_EQ(peer.ending(), Ending::kReset);
}

}  // namespace
}  // namespace socketsvc::omnis
