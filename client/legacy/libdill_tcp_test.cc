// The libdill facade's TCP connections against real peers: bytes both ways,
// all-or-nothing bsend/brecv, deadlines, half-close, orderly and hard close,
// and the sticky error states of libdill's tcp.c, errno by errno.
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "client/legacy/libdill_test_util.h"
#include "tests/peers/peers.h"

namespace socketsvc::libdill {
namespace {

using peers::Ending;

TEST_F(LibdillTest, NowIsMonotonicMilliseconds) {
  const int64_t a = now();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const int64_t b = now();
  EXPECT_GT(a, 0);
  EXPECT_GE(b - a, 20);
  EXPECT_LT(b - a, 2000);
}

TEST_F(LibdillTest, ExactBytesBothWays) {
  peers::EchoPeer echo;
  int s = ConnectTo(echo.port(), now() + 5000);
  ASSERT_GE(s, 0) << strerror(errno);
  ASSERT_EQ(Send(s, "hello libdill", -1), 0);
  EXPECT_EQ(Receive(s, 5, now() + 5000), "hello");
  EXPECT_EQ(Receive(s, 8, now() + 5000), " libdill");
  // brecv(NULL) drops bytes.
  ASSERT_EQ(Send(s, "xyz!"), 0);
  ASSERT_EQ(brecv(s, nullptr, 3, now() + 5000), 0);
  EXPECT_EQ(Receive(s, 1, now() + 5000), "!");
  EXPECT_EQ(tcp_close(s, now() + 5000), 0);
}

TEST_F(LibdillTest, LargeTransfersAreChunkedTransparently) {
  peers::EchoPeer echo;
  int s = ConnectTo(echo.port());
  ASSERT_GE(s, 0);
  const std::string big = peers::BulkSenderPeer::Pattern(3 * 1024 * 1024 + 17);
  std::string back;
  std::thread reader([&] { back = Receive(s, big.size(), now() + 30000); });
  EXPECT_EQ(Send(s, big, now() + 30000), 0);
  reader.join();
  EXPECT_TRUE(back == big) << back.size();
  EXPECT_EQ(hclose(s), 0);
}

TEST_F(LibdillTest, ConnectRefused) {
  EXPECT_ERRNO(ConnectTo(peers::ClosedPort(), now() + 5000), ECONNREFUSED);
}

TEST_F(LibdillTest, ConnectTimesOutAgainstAFullAcceptQueue) {
  // A listener with backlog 0 that never accepts: once its queue is full the
  // kernel drops further SYNs, so a connect can only time out.
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(lfd, 0), 0);
  socklen_t len = sizeof(addr);
  getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::vector<int> fillers;
  for (int i = 0; i < 3; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    fillers.push_back(fd);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const int64_t start = now();
  EXPECT_ERRNO(ConnectTo(ntohs(addr.sin_port), now() + 300), ETIMEDOUT);
  EXPECT_GE(now() - start, 250);
  for (int fd : fillers) close(fd);
  close(lfd);
}

TEST_F(LibdillTest, BrecvTimeoutBreaksReceivingButNotSending) {
  peers::RecordingPeer quiet;
  int s = ConnectTo(quiet.port());
  ASSERT_GE(s, 0);
  const int64_t start = now();
  EXPECT_ERRNO(brecv(s, nullptr, 1, now() + 200), ETIMEDOUT);
  EXPECT_GE(now() - start, 150);
  // "The socket cannot be used for receiving from that point on."
  EXPECT_ERRNO(brecv(s, nullptr, 1, now() + 200), ECONNRESET);
  EXPECT_EQ(Send(s, "still sending"), 0);
  EXPECT_TRUE(quiet.WaitForReceived(13));
  // tcp_close of a failed connection: ECONNRESET at once, handle gone.
  EXPECT_ERRNO(tcp_close(s, -1), ECONNRESET);
  EXPECT_ERRNO(hclose(s), EBADF);
  EXPECT_TRUE(quiet.WaitForEnding());
  EXPECT_EQ(quiet.ending(), Ending::kReset);
}

TEST_F(LibdillTest, ImmediateDeadlineWithoutDataTimesOut) {
  peers::RecordingPeer quiet;
  int s = ConnectTo(quiet.port());
  ASSERT_GE(s, 0);
  EXPECT_ERRNO(brecv(s, nullptr, 1, 0), ETIMEDOUT);
  EXPECT_EQ(hclose(s), 0);
}

TEST_F(LibdillTest, EndOfStreamIsEpipeForever) {
  peers::SendThenHalfClosePeer peer("abc");
  int s = ConnectTo(peer.port());
  ASSERT_GE(s, 0);
  EXPECT_EQ(Receive(s, 3, now() + 5000), "abc");
  EXPECT_ERRNO(brecv(s, nullptr, 1, now() + 5000), EPIPE);
  EXPECT_ERRNO(brecv(s, nullptr, 1, now() + 5000), EPIPE);
  // Our side may still send after the peer's FIN.
  EXPECT_EQ(Send(s, "bye"), 0);
  EXPECT_EQ(tcp_close(s, now() + 5000), 0);
  EXPECT_TRUE(peer.WaitForEnding());
  EXPECT_EQ(peer.received(), "bye");
  EXPECT_EQ(peer.ending(), Ending::kEof);
}

TEST_F(LibdillTest, PartialDataThenEndOfStreamIsEpipeAndTheBytesAreGone) {
  peers::SendThenHalfClosePeer peer("abc");
  int s = ConnectTo(peer.port());
  ASSERT_GE(s, 0);
  EXPECT_ERRNO(brecv(s, nullptr, 10, now() + 5000), EPIPE);
  EXPECT_ERRNO(brecv(s, nullptr, 1, now() + 5000), EPIPE);
  EXPECT_EQ(hclose(s), 0);
}

TEST_F(LibdillTest, ResetIsEconnresetOnBothDirections) {
  // The peer resets only after our byte arrives: a reset right after accept
  // can beat socketd's connect completion on a loaded machine, and Connect
  // would fail instead.
  peers::ResetPeer reset(peers::ResetPeer::Options{"hi", 1, {}});
  int s = ConnectTo(reset.port());
  ASSERT_GE(s, 0);
  EXPECT_EQ(Receive(s, 2, now() + 5000), "hi");
  ASSERT_EQ(Send(s, "k", now() + 5000), 0);
  ASSERT_TRUE(reset.WaitForResets(1));
  EXPECT_ERRNO(brecv(s, nullptr, 1, now() + 5000), ECONNRESET);
  EXPECT_ERRNO(Send(s, "x", now() + 5000), ECONNRESET);
  EXPECT_ERRNO(Send(s, "x", now() + 5000), ECONNRESET);  // sticky
  EXPECT_ERRNO(tcp_close(s, now() + 5000), ECONNRESET);
}

TEST_F(LibdillTest, TcpDoneHalfClosesOnce) {
  peers::EchoPeer echo;
  int s = ConnectTo(echo.port());
  ASSERT_GE(s, 0);
  ASSERT_EQ(Send(s, "last words"), 0);
  EXPECT_EQ(tcp_done(s, -1), 0);
  EXPECT_ERRNO(tcp_done(s, -1), EPIPE);
  EXPECT_ERRNO(Send(s, "more"), EPIPE);
  // The echo arrives, then the peer's FIN.
  EXPECT_EQ(Receive(s, 10, now() + 5000), "last words");
  EXPECT_ERRNO(brecv(s, nullptr, 1, now() + 5000), EPIPE);
  EXPECT_EQ(tcp_close(s, now() + 5000), 0);
  EXPECT_ERRNO(tcp_close(s, now() + 5000), EBADF);
}

TEST_F(LibdillTest, TcpCloseWaitsForThePeersFinAndTimesOut) {
  // The peer reads but never closes its side.
  peers::ScriptedPeer stubborn([](peers::PeerConnection& conn) {
    for (;;) {
      peers::PeerConnection::ReadResult r = conn.Read();
      if (r.stopped || r.ending != Ending::kOpen) break;
    }
    conn.SleepFor(std::chrono::seconds(30));
  });
  int s = ConnectTo(stubborn.port());
  ASSERT_GE(s, 0);
  const int64_t start = now();
  EXPECT_ERRNO(tcp_close(s, now() + 300), ETIMEDOUT);
  EXPECT_GE(now() - start, 250);
  // Closed even on error.
  EXPECT_ERRNO(Send(s, "x"), EBADF);
}

TEST_F(LibdillTest, HcloseResetsTheConnection) {
  peers::RecordingPeer peer;
  int s = ConnectTo(peer.port());
  ASSERT_GE(s, 0);
  ASSERT_EQ(Send(s, "data"), 0);
  ASSERT_TRUE(peer.WaitForReceived(4));
  EXPECT_EQ(hclose(s), 0);
  EXPECT_TRUE(peer.WaitForEnding());
  EXPECT_EQ(peer.ending(), Ending::kReset);
  EXPECT_ERRNO(hclose(s), EBADF);
  EXPECT_ERRNO(Send(s, "x"), EBADF);
  EXPECT_ERRNO(brecv(s, nullptr, 1, 0), EBADF);
  EXPECT_ERRNO(tcp_done(s, 0), EBADF);
}

TEST_F(LibdillTest, SecondCallOfTheSameDirectionIsEbusy) {
  peers::RecordingPeer quiet;
  int s = ConnectTo(quiet.port());
  ASSERT_GE(s, 0);
  std::thread waiting([&] { EXPECT_ERRNO(brecv(s, nullptr, 1, now() + 1500), ETIMEDOUT); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_ERRNO(brecv(s, nullptr, 1, now() + 100), EBUSY);
  // The other direction is free: TCP is full duplex.
  EXPECT_EQ(Send(s, "x", now() + 1000), 0);
  waiting.join();
  EXPECT_EQ(hclose(s), 0);
}

TEST_F(LibdillTest, HcloseFromAnotherThreadCancelsAPendingBrecv) {
  peers::RecordingPeer quiet;
  int s = ConnectTo(quiet.port());
  ASSERT_GE(s, 0);
  int result = 0;
  int error = 0;
  std::thread waiting([&] {
    result = brecv(s, nullptr, 1, -1);
    error = errno;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(hclose(s), 0);
  waiting.join();
  EXPECT_EQ(result, -1);
  EXPECT_EQ(error, ECANCELED) << strerror(error);
}

TEST_F(LibdillTest, WrongHandlesAndArguments) {
  peers::EchoPeer echo;
  int s = ConnectTo(echo.port());
  ASSERT_GE(s, 0);
  EXPECT_ERRNO(bsend(s, nullptr, 3, -1), EINVAL);
  EXPECT_EQ(bsend(s, nullptr, 0, -1), 0);
  EXPECT_ERRNO(bsend(12345678, "x", 1, -1), EBADF);
  EXPECT_ERRNO(brecv(-1, nullptr, 1, -1), EBADF);
  EXPECT_ERRNO(msend(s, "x", 1, -1), ENOTSUP);
  EXPECT_ERRNO(mrecv(s, nullptr, 1, -1), ENOTSUP);
  EXPECT_ERRNO(msend(12345678, "x", 1, -1), EBADF);
  EXPECT_ERRNO(tcp_accept(s, nullptr, 0), ENOTSUP);
  EXPECT_ERRNO(tcp_connect(nullptr, -1), EINVAL);
  EXPECT_EQ(hclose(s), 0);
}

}  // namespace
}  // namespace socketsvc::libdill
