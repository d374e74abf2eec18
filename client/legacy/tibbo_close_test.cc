// Tibbo sock: how connections end, as the peer sees it (FIN vs RST) and as
// sock.state reports it: close, reset, discard, passive close and reset,
// connectiontout/toutcounter (socketd-enforced and facade-enforced), and
// the HTTP mode's automatic close with and without httpnoclose.
#include "absl/strings/match.h"
#include "client/legacy/tibbo_test_util.h"
#include "tests/peers/peers.h"

namespace socketsvc::tibbo {
namespace {

using peers::Ending;
using std::chrono::milliseconds;
using IdleTimeout = Sock::Options::IdleTimeout;

class TibboCloseTest : public TibboTest {
 protected:
  std::unique_ptr<Sock> ConnectTo(uint16_t port, Sock::Options options = {}) {
    std::unique_ptr<Sock> sock = NewSock(options);
    log_.Attach(*sock);
    sock->targetip = "127.0.0.1";
    sock->targetport = port;
    sock->connect();
    // Established, and maybe already past it (a peer that closes at once).
    for (int i = 0; i < 2000 && sock->state() == PL_SST_AO; ++i) {
      std::this_thread::sleep_for(milliseconds(5));
    }
    sock->doevents();
    EXPECT_TRUE(absl::StartsWith(log_.Joined(), "96/3 129/4")) << log_.Joined();
    return sock;
  }
  EventLog log_;
};

TEST_F(TibboCloseTest, CloseIsAGracefulDisconnect) {
  peers::RecordingPeer peer;  // Closes its side when it sees our FIN.
  std::unique_ptr<Sock> sock = ConnectTo(peer.port());
  sock->setdata("last words");
  sock->send();
  sock->close();
  ASSERT_TRUE(WaitForState(*sock, PL_SST_CL_ACLOSED));
  ASSERT_TRUE(peer.WaitForEnding());
  EXPECT_EQ(peer.ending(), Ending::kEof);
  EXPECT_EQ(peer.received(), "last words");  // TX data goes out before the FIN.
  EXPECT_EQ(log_.Joined(), "96/3 129/4 192/6 2/0");
  sock->close();  // Closed: no effect.
  EXPECT_EQ(sock->state(), PL_SST_CL_ACLOSED);
}

TEST_F(TibboCloseTest, DuringActiveCloseDataStillArrivesUntilThePeersFin) {
  peers::ScriptedPeer peer([](peers::PeerConnection& conn) {
    peers::PeerConnection::ReadResult read;
    do read = conn.Read();
    while (read.ending == Ending::kOpen && !read.stopped);
    conn.SendAll("parting reply");  // After our FIN, before its own.
  });
  std::unique_ptr<Sock> sock = ConnectTo(peer.port());
  sock->close();
  ASSERT_TRUE(WaitForState(*sock, PL_SST_CL_ACLOSED));
  EXPECT_EQ(sock->getdata(255), "parting reply");
}

TEST_F(TibboCloseTest, ResetSendsRst) {
  peers::RecordingPeer peer;
  std::unique_ptr<Sock> sock = ConnectTo(peer.port());
  sock->reset();
  ASSERT_TRUE(WaitForState(*sock, PL_SST_CL_ARESET_CMD));
  ASSERT_TRUE(peer.WaitForEnding());
  EXPECT_EQ(peer.ending(), Ending::kReset);
  EXPECT_EQ(log_.Joined(), "96/3 129/4 9/0");
}

TEST_F(TibboCloseTest, DiscardForgetsTheConnection) {
  peers::RecordingPeer peer;
  std::unique_ptr<Sock> sock = ConnectTo(peer.port());
  sock->discard();
  ASSERT_TRUE(WaitForState(*sock, PL_SST_CL_DISCARDED_CMD));
  // Tibbo sends nothing; a released kernel socket cannot stay silent, so
  // socketd's DISCARD ends it with a plain FIN (docs/legacy.md).
  ASSERT_TRUE(peer.WaitForEnding());
  EXPECT_EQ(peer.ending(), Ending::kEof);
  EXPECT_EQ(log_.Joined(), "96/3 129/4 17/0");
}

TEST_F(TibboCloseTest, CloseDuringActiveCloseResets) {
  peers::ScriptedPeer peer([](peers::PeerConnection& conn) {
    conn.SleepFor(milliseconds(20000));  // Never answers our FIN.
  });
  std::unique_ptr<Sock> sock = ConnectTo(peer.port());
  sock->close();
  ASSERT_TRUE(WaitForState(*sock, PL_SST_AC));
  sock->close();  // Closing: close acts as reset.
  ASSERT_TRUE(WaitForState(*sock, PL_SST_CL_ARESET_CMD));
}

TEST_F(TibboCloseTest, PassiveCloseIsHandledBySocketItself) {
  peers::RecordingPeer::Options options;
  options.greeting = "bye from peer";
  options.half_close_after_greeting = true;
  peers::RecordingPeer peer(options);
  std::unique_ptr<Sock> sock = ConnectTo(peer.port());
  ASSERT_TRUE(WaitForState(*sock, PL_SST_CL_PCLOSED));
  EXPECT_EQ(sock->getdata(255), "bye from peer");  // Data before the FIN kept.
  ASSERT_TRUE(peer.WaitForEnding());
  EXPECT_EQ(peer.ending(), Ending::kEof);  // Our side closed gracefully too.
  EXPECT_TRUE(log_.Joined() == "96/3 129/4 160/5 1/0") << log_.Joined();
}

TEST_F(TibboCloseTest, PassiveResetWhileEstablished) {
  peers::ResetPeer::Options options;
  options.greeting = "then RST";
  options.delay = milliseconds(200);  // Established first, then the RST.
  peers::ResetPeer peer(options);
  std::unique_ptr<Sock> sock = ConnectTo(peer.port());
  ASSERT_TRUE(WaitForState(*sock, PL_SST_CL_PRESET_EST));
  EXPECT_EQ(sock->getdata(255), "then RST");
}

class TibboTimeoutTest : public TibboCloseTest, public ::testing::WithParamInterface<IdleTimeout> {
 protected:
  Sock::Options WithIdle() {
    Sock::Options options;
    options.idle_timeout = GetParam();
    return options;
  }
};

TEST_P(TibboTimeoutTest, ConnectiontoutResetsAnIdleConnection) {
  peers::RecordingPeer peer;
  std::unique_ptr<Sock> sock = NewSock(WithIdle());
  sock->connectiontout = 2;  // Half-seconds: 1 s.
  sock->targetip = "127.0.0.1";
  sock->targetport = peer.port();
  const auto start = std::chrono::steady_clock::now();
  sock->connect();
  ASSERT_TRUE(WaitForState(*sock, PL_SST_CL_ARESET_TOUT));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, milliseconds(950));
  EXPECT_LT(elapsed, milliseconds(5000));
  ASSERT_TRUE(peer.WaitForEnding());
  EXPECT_EQ(peer.ending(), Ending::kReset);  // TCP: reset, as Tibbo does.
  EXPECT_EQ(sock->toutcounter(), 2);         // Stays at connectiontout.
}

TEST_P(TibboTimeoutTest, DataKeepsTheConnectionAliveAndToutcounterCounts) {
  peers::EchoPeer peer;
  std::unique_ptr<Sock> sock = NewSock(WithIdle());
  sock->targetip = "127.0.0.1";
  sock->targetport = peer.port();
  sock->connect();
  ASSERT_TRUE(WaitForState(*sock, PL_SST_EST_AOPENED));
  EXPECT_EQ(sock->toutcounter(), 0);
  std::this_thread::sleep_for(milliseconds(600));
  EXPECT_EQ(sock->toutcounter(), 1);  // connectiontout 0: never above 1.
  std::this_thread::sleep_for(milliseconds(600));
  EXPECT_EQ(sock->toutcounter(), 1);
  sock->connectiontout = 4;  // 2 s, applied mid-connection.
  EXPECT_GE(sock->toutcounter(), 2);
  for (int i = 0; i < 6; ++i) {  // 1.5 s of traffic every 250 ms.
    sock->setdata("x");
    sock->send();
    std::this_thread::sleep_for(milliseconds(250));
    sock->getdata(10);
  }
  EXPECT_EQ(sock->state(), PL_SST_EST_AOPENED);
  EXPECT_LE(sock->toutcounter(), 1);
  ASSERT_TRUE(WaitForState(*sock, PL_SST_CL_ARESET_TOUT));
  EXPECT_EQ(sock->toutcounter(), 4);
}

INSTANTIATE_TEST_SUITE_P(EnforcedBy, TibboTimeoutTest,
                         ::testing::Values(IdleTimeout::kSocketd, IdleTimeout::kClient),
                         [](const ::testing::TestParamInfo<IdleTimeout>& info) {
                           return info.param == IdleTimeout::kSocketd ? "Socketd" : "Facade";
                         });

// A browser-like peer: sends two requests, reads until our FIN, records it.
std::unique_ptr<peers::ScriptedPeer> Browser(peers::Guarded<std::string>* seen) {
  return std::make_unique<peers::ScriptedPeer>([seen](peers::PeerConnection& conn) {
    conn.SendAll("GET / HTTP/1.1\r\nHost: tibbo\r\n\r\n");
    for (;;) {
      peers::PeerConnection::ReadResult read = conn.Read();
      seen->Update([&](std::string& s) { s += read.data; });
      if (read.ending != Ending::kOpen || read.stopped) break;
    }
    seen->Update([](std::string& s) { s += "<eof>"; });
  });
}

constexpr char kPage[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";

TEST_F(TibboCloseTest, HttpModeClosesOnceTheReplyWentOut) {
  peers::Guarded<std::string> seen;
  auto browser = Browser(&seen);
  std::unique_ptr<Sock> sock = ConnectTo(browser->port());
  sock->httpmode = YES;
  ASSERT_TRUE(WaitForRx(*sock, 31));
  EXPECT_TRUE(absl::StartsWith(sock->getdata(255), "GET / HTTP/1.1"));
  sock->close();  // Ignored in HTTP mode.
  sock->reset();
  sock->discard();
  std::this_thread::sleep_for(milliseconds(100));
  EXPECT_EQ(sock->state(), PL_SST_EST_AOPENED);
  sock->setdata(std::string(kPage).substr(0, 20));
  sock->send();
  std::this_thread::sleep_for(milliseconds(100));
  EXPECT_EQ(sock->state(), PL_SST_EST_AOPENED);  // Half a reply: stays.
  sock->setdata(std::string(kPage).substr(20));
  sock->send();
  ASSERT_TRUE(WaitForState(*sock, PL_SST_CL_ACLOSED));
  ASSERT_TRUE(seen.WaitFor(milliseconds(10000),
                           [](const std::string& s) { return absl::EndsWith(s, "<eof>"); }));
  EXPECT_EQ(seen.Get(), std::string(kPage) + "<eof>");
  EXPECT_EQ(sock->httpmode(), NO);  // Back to NO after the connection.
}

TEST_F(TibboCloseTest, HttpnocloseKeepsTheConnectionForTheNextReply) {
  peers::Guarded<std::string> seen;
  auto browser = Browser(&seen);
  std::unique_ptr<Sock> sock = ConnectTo(browser->port());
  sock->httpnoclose = YES;
  sock->httpmode = YES;
  for (int i = 0; i < 2; ++i) {
    sock->setdata(kPage);
    sock->send();
  }
  ASSERT_TRUE(seen.WaitFor(milliseconds(10000), [](const std::string& s) {
    return s.size() >= 2 * (sizeof(kPage) - 1);
  }));
  std::this_thread::sleep_for(milliseconds(100));
  EXPECT_EQ(sock->state(), PL_SST_EST_AOPENED);
  EXPECT_EQ(seen.Get(), std::string(kPage) + kPage);
}

}  // namespace
}  // namespace socketsvc::tibbo
