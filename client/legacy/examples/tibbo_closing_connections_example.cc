// Seed: Tibbo BASIC manual, "Closing Connections" (the sock object). The
// page has no code listing; each section's behaviour is written here the
// way a Tibbo program would use it, and checked against an in-process
// socketd and real TCP peers that record whether a connection ended with
// FIN or RST.
#include "absl/strings/match.h"
#include "client/legacy/tibbo_test_util.h"
#include "tests/peers/peers.h"

namespace socketsvc::tibbo {
namespace {

using peers::Ending;
using std::chrono::milliseconds;

class ClosingConnectionsExample : public TibboTest {
 protected:
  void SetUp() override {
    TibboTest::SetUp();
    sock_ = NewSock();
    // sub on_sock_event(newstate as pl_sock_state, newstatesimple as pl_sock_state_simple)
    sock_->on_sock_event = [this](pl_sock_state newstate, pl_sock_state_simple newstatesimple) {
      events_.push_back(newstate);
      if (newstatesimple == PL_SSTS_CLOSED) ++closures_seen_;
    };
  }
  void TearDown() override {
    sock_.reset();
    TibboTest::TearDown();
  }

  void Open(uint16_t port) {
    Sock& sock = *sock_;
    sock.targetip = "127.0.0.1";
    sock.targetport = port;
    sock.connect();
    ASSERT_TRUE(WaitForState(sock, PL_SST_EST_AOPENED));
  }

  std::unique_ptr<Sock> sock_;
  std::vector<pl_sock_state> events_;
  int closures_seen_ = 0;
};

// "Passive TCP Connection Termination ... the socket will handle the
// connection closing automatically ... the socket won't be able to accept
// another (next) incoming connection until the VM has had a chance to run
// and execute the on_sock_event event handler."
TEST_F(ClosingConnectionsExample, PassiveTermination) {
  peers::RecordingPeer::Options options;
  options.greeting = "done here";
  options.half_close_after_greeting = true;  // "FIN-ACK-FIN-ACK" from the peer.
  peers::RecordingPeer host(options);
  Sock& sock = *sock_;
  sock.targetip = "127.0.0.1";
  sock.targetport = host.port();
  sock.connect();
  ASSERT_TRUE(WaitForState(sock, PL_SST_CL_PCLOSED, std::chrono::seconds(10), false));
  ASSERT_TRUE(host.WaitForEnding());
  EXPECT_EQ(host.ending(), Ending::kEof);  // We closed our side, politely.
  sock.connect();                          // The next connection waits for the handler...
  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_EQ(host.connections(), 1);
  sock.doevents();                          // ...which runs here,
  ASSERT_TRUE(host.WaitForConnections(2));  // and then it goes ahead.
  EXPECT_EQ(closures_seen_, 1);
}

// "The recommended (and polite!) way of closing a TCP connection is through
// the sock.close method ... FIN-ACK-FIN-ACK."
TEST_F(ClosingConnectionsExample, CloseIsGraceful) {
  peers::RecordingPeer host;
  Open(host.port());
  sock_->close();
  EXPECT_EQ(sock_->statesimple(), PL_SSTS_EST);  // Asynchronous: not yet.
  ASSERT_TRUE(WaitForState(*sock_, PL_SST_CL_ACLOSED));
  ASSERT_TRUE(host.WaitForEnding());
  EXPECT_EQ(host.ending(), Ending::kEof);
  EXPECT_EQ(events_.back(), PL_SST_CL_ACLOSED);
}

// "A connection reset is slightly more 'rude' ... by sending the RST packet."
TEST_F(ClosingConnectionsExample, ResetIsRude) {
  peers::RecordingPeer host;
  Open(host.port());
  sock_->reset();
  ASSERT_TRUE(WaitForState(*sock_, PL_SST_CL_ARESET_CMD));
  ASSERT_TRUE(host.WaitForEnding());
  EXPECT_EQ(host.ending(), Ending::kReset);
}

// "Finally, the sock.discard method simply makes your socket forget about
// the connection." (socketd must still close the kernel socket: the peer
// sees a FIN, see docs/legacy.md.)
TEST_F(ClosingConnectionsExample, DiscardForgets) {
  peers::RecordingPeer host;
  Open(host.port());
  sock_->discard();
  ASSERT_TRUE(WaitForState(*sock_, PL_SST_CL_DISCARDED_CMD));
  sock_->close();  // "No effect if already closed."
  EXPECT_EQ(sock_->state(), PL_SST_CL_DISCARDED_CMD);
}

// "The sock.connectiontout property provides a way to automatically
// terminate a connection across which no data was exchanged ... For TCP,
// reset (abort) is used ... The property increments at 0.5-second
// intervals ... The sock.toutcounter property then stays at the value of
// sock.connectiontout."
TEST_F(ClosingConnectionsExample, ConnectionTimeouts) {
  peers::RecordingPeer host;
  sock_->connectiontout = 3;  // 1.5 seconds.
  Open(host.port());
  std::this_thread::sleep_for(milliseconds(1100));
  const uint16_t counted = sock_->toutcounter;           // 1.1 s idle: 2 half-seconds
  EXPECT_TRUE(counted == 2 || counted == 3) << counted;  // (3 on a slow machine).
  ASSERT_TRUE(WaitForState(*sock_, PL_SST_CL_ARESET_TOUT));
  EXPECT_EQ(sock_->toutcounter(), 3);
  ASSERT_TRUE(host.WaitForEnding());
  EXPECT_EQ(host.ending(), Ending::kReset);
}

// "If sock.connectiontout is at 0, the maximum value that sock.toutcounter
// can reach is 1."
TEST_F(ClosingConnectionsExample, NoTimeoutCountsToOne) {
  peers::RecordingPeer host;
  Open(host.port());
  EXPECT_EQ(sock_->toutcounter(), 0);
  std::this_thread::sleep_for(milliseconds(1600));
  EXPECT_EQ(sock_->toutcounter(), 1);
  EXPECT_EQ(sock_->state(), PL_SST_EST_AOPENED);
}

// "Normally, HTTP Connections Close Automatically ... your sock.close,
// sock.reset, and sock.discard invocations will simply be ignored ... Set
// [sock.httpnoclose] to 1 — YES and the connection will be kept opened."
TEST_F(ClosingConnectionsExample, HttpConnectionsCloseAutomatically) {
  for (no_yes httpnoclose : {NO, YES}) {
    peers::RecordingPeer browser;
    Open(browser.port());
    sock_->httpnoclose = httpnoclose;
    sock_->httpmode = YES;
    sock_->reset();  // Ignored in HTTP mode.
    sock_->setdata("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    sock_->send();
    ASSERT_TRUE(browser.WaitForReceived(40));
    if (httpnoclose == NO) {
      ASSERT_TRUE(WaitForState(*sock_, PL_SST_CL_ACLOSED));
      ASSERT_TRUE(browser.WaitForEnding());
      EXPECT_EQ(browser.ending(), Ending::kEof);
    } else {
      std::this_thread::sleep_for(milliseconds(200));
      EXPECT_EQ(sock_->state(), PL_SST_EST_AOPENED);
      EXPECT_EQ(browser.ending(), Ending::kOpen);
      sock_->httpmode = NO;  // Sticky: stays YES for this connection,
      EXPECT_EQ(sock_->httpmode(), YES);
      sock_->close();  // so close is still ignored.
      std::this_thread::sleep_for(milliseconds(100));
      EXPECT_EQ(sock_->state(), PL_SST_EST_AOPENED);
    }
    sock_->doevents();
  }
}

}  // namespace
}  // namespace socketsvc::tibbo
