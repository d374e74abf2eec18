// Tibbo sock: opening connections, data through the RX/TX buffers, state
// values and on_sock_event delivery, against real TCP peers.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/legacy/tibbo_test_util.h"
#include "tests/peers/peers.h"

namespace socketsvc::tibbo {
namespace {

using std::chrono::milliseconds;

TEST(TibboStateTest, SimpleStatesAndNumericValues) {
  EXPECT_EQ(PL_SST_CL_ARESET_TOUT, 15);
  EXPECT_EQ(PL_SST_CL_DISCARDED_CMD, 17);
  EXPECT_EQ(PL_SST_EST_AOPENED, 0x81);
  EXPECT_EQ(SimpleState(PL_SST_CLOSED), PL_SSTS_CLOSED);
  EXPECT_EQ(SimpleState(PL_SST_CL_DISCARDED_TOUT), PL_SSTS_CLOSED);
  EXPECT_EQ(SimpleState(PL_SST_ARP), PL_SSTS_ARP);
  EXPECT_EQ(SimpleState(PL_SST_PO), PL_SSTS_PO);
  EXPECT_EQ(SimpleState(PL_SST_AO), PL_SSTS_AO);
  EXPECT_EQ(SimpleState(PL_SST_EST_POPENED), PL_SSTS_EST);
  EXPECT_EQ(SimpleState(PL_SST_EST_AOPENED), PL_SSTS_EST);
  EXPECT_EQ(SimpleState(PL_SST_PC), PL_SSTS_PC);
  EXPECT_EQ(SimpleState(PL_SST_AC), PL_SSTS_AC);
}

TEST_F(TibboTest, ConnectEstablishesAndDeliversEventsInOrder) {
  peers::RecordingPeer peer;
  std::unique_ptr<Sock> sock = NewSock();
  EventLog log;
  log.Attach(*sock);
  EXPECT_EQ(sock->state(), PL_SST_CLOSED);
  EXPECT_EQ(sock->targetip(), "0.0.0.0");
  sock->targetip = "127.0.0.1";
  sock->targetport = peer.port();
  EXPECT_EQ(sock->targetport(), peer.port());
  sock->connect();
  EXPECT_EQ(sock->statesimple(), PL_SSTS_AO);  // At once: connection underway.
  ASSERT_TRUE(WaitForState(*sock, PL_SST_EST_AOPENED));
  EXPECT_EQ(sock->statesimple(), PL_SSTS_EST);
  EXPECT_EQ(log.Joined(), "96/3 129/4");
  EXPECT_EQ(sock->remoteip(), "127.0.0.1");
  EXPECT_EQ(sock->remoteport(), peer.port());
  ASSERT_TRUE(peer.WaitForConnections(1));
  // connect() has no effect unless the socket is closed.
  sock->connect();
  std::this_thread::sleep_for(milliseconds(100));
  EXPECT_EQ(peer.connections(), 1);
  EXPECT_EQ(sock->state(), PL_SST_EST_AOPENED);
}

TEST_F(TibboTest, SetdataSendGetdataPeekdata) {
  peers::EchoPeer peer;
  std::unique_ptr<Sock> sock = NewSock();
  sock->targetip = "127.0.0.1";
  sock->targetport = peer.port();
  sock->connect();
  ASSERT_TRUE(WaitForState(*sock, PL_SST_EST_AOPENED));
  const uint32_t free = sock->txfree;
  EXPECT_EQ(free, 64u * 1024);
  sock->setdata("hello ");
  sock->setdata("tibbo");
  EXPECT_EQ(sock->newtxlen(), 11u);
  EXPECT_EQ(sock->txfree(), free - 11);
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_EQ(sock->rxlen(), 0u);  // Nothing goes out before send().
  sock->send();
  EXPECT_EQ(sock->newtxlen(), 0u);
  ASSERT_TRUE(WaitForRx(*sock, 11));
  EXPECT_EQ(sock->txlen(), 0u);
  EXPECT_EQ(sock->peekdata(5), "hello");
  EXPECT_EQ(sock->rxlen(), 11u);
  EXPECT_EQ(sock->getdata(6), "hello ");
  EXPECT_EQ(sock->getdata(255), "tibbo");
  EXPECT_EQ(sock->getdata(255), "");
  sock->setdata("dropped");
  sock->txclear();
  EXPECT_EQ(sock->newtxlen(), 0u);
}

TEST_F(TibboTest, SetdataTruncatesToTheFreeTxSpace) {
  Sock::Options options;
  options.tx_buffer_bytes = 10;
  std::unique_ptr<Sock> sock = NewSock(options);
  sock->setdata("0123456789abcdef");
  EXPECT_EQ(sock->newtxlen(), 10u);
  EXPECT_EQ(sock->txfree(), 0u);
}

TEST_F(TibboTest, RxBufferFullHoldsThePeerBackWithoutLosingBytes) {
  constexpr size_t kSize = 200000;
  peers::BulkSenderPeer peer(kSize);
  Sock::Options options;
  options.rx_buffer_bytes = 1000;
  std::unique_ptr<Sock> sock = NewSock(options);
  sock->targetip = "127.0.0.1";
  sock->targetport = peer.port();
  sock->connect();
  ASSERT_TRUE(WaitForRx(*sock, 1000));
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_EQ(sock->rxlen(), 1000u);  // Never more than the buffer.
  std::string all;
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (all.size() < kSize && std::chrono::steady_clock::now() < end) {
    all += sock->getdata(700);
    std::this_thread::sleep_for(milliseconds(1));
  }
  ASSERT_EQ(all.size(), kSize);
  EXPECT_TRUE(all == peers::BulkSenderPeer::Pattern(kSize));
}

TEST_F(TibboTest, FailedActiveOpensReportWhy) {
  std::unique_ptr<Sock> sock = NewSock();
  sock->targetip = "127.0.0.1";
  sock->targetport = peers::ClosedPort();
  sock->connect();
  ASSERT_TRUE(WaitForState(*sock, PL_SST_CL_PRESET_AOPENING));  // RST: refused.

  sock->targetip = "no-such-host.invalid";
  sock->targetport = 80;
  sock->connect();
  ASSERT_TRUE(WaitForState(*sock, PL_SST_CL_DISCARDED_ARPFL));  // Unreachable.

  sock->targetip = "127.0.0.1";
  sock->targetport = 0;  // Tibbo's default: no destination.
  sock->connect();
  ASSERT_TRUE(WaitForState(*sock, PL_SST_CL_DISCARDED_AO_WCS));
}

TEST_F(TibboTest, CloseWhileOpeningResets) {
  // A loopback listener whose accept queue is full drops further SYNs, so
  // the open stays pending: no traffic leaves this machine.
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(listener, 0), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  const int filler = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_EQ(::connect(filler, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);

  Sock::Options options;
  options.connect_timeout_ms = 3000;
  std::unique_ptr<Sock> sock = NewSock(options);
  sock->targetip = "127.0.0.1";
  sock->targetport = ntohs(addr.sin_port);
  sock->connect();
  std::this_thread::sleep_for(milliseconds(100));
  if (sock->state() != PL_SST_AO) {
    ::close(filler);
    ::close(listener);
    GTEST_SKIP() << "the full accept queue did not hold the open here";
  }
  sock->close();  // Opening: close acts as reset.
  ASSERT_TRUE(WaitForState(*sock, PL_SST_CL_ARESET_CMD, milliseconds(2000)));
  ::close(filler);
  ::close(listener);
}

TEST_F(TibboTest, ANewConnectionWaitsUntilTheProgramSawTheOldOneEnd) {
  peers::RecordingPeer peer;
  std::unique_ptr<Sock> sock = NewSock();
  EventLog log;
  log.Attach(*sock);
  sock->targetip = "127.0.0.1";
  sock->targetport = peer.port();
  sock->connect();
  ASSERT_TRUE(WaitForState(*sock, PL_SST_EST_AOPENED));
  sock->reset();
  ASSERT_TRUE(WaitForState(*sock, PL_SST_CL_ARESET_CMD, std::chrono::seconds(10),
                           /*doevents=*/false));
  sock->connect();  // The reset's event is still undelivered.
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(peer.connections(), 1);
  EXPECT_EQ(sock->state(), PL_SST_AO);
  sock->doevents();  // on_sock_event(PL_SST_CL_ARESET_CMD, ...) runs: go.
  ASSERT_TRUE(peer.WaitForConnections(2));
  ASSERT_TRUE(WaitForState(*sock, PL_SST_EST_AOPENED));
  EXPECT_EQ(log.Joined(), "96/3 129/4 9/0 96/3 129/4");
}

TEST_F(TibboTest, WithoutAHandlerNothingWaitsForEvents) {
  peers::RecordingPeer peer;
  std::unique_ptr<Sock> sock = NewSock();
  sock->targetip = "127.0.0.1";
  sock->targetport = peer.port();
  sock->connect();
  ASSERT_TRUE(WaitForState(*sock, PL_SST_EST_AOPENED, std::chrono::seconds(10), false));
  sock->reset();
  ASSERT_TRUE(WaitForState(*sock, PL_SST_CL_ARESET_CMD, std::chrono::seconds(10), false));
  sock->connect();
  ASSERT_TRUE(peer.WaitForConnections(2));
  EXPECT_FALSE(sock->WaitForEvent(absl::Milliseconds(10)));
}

TEST_F(TibboTest, WaitForEventDeliversOnTheCallingThread) {
  peers::RecordingPeer peer;
  std::unique_ptr<Sock> sock = NewSock();
  const std::thread::id me = std::this_thread::get_id();
  int calls = 0;
  sock->on_sock_event = [&](pl_sock_state, pl_sock_state_simple) {
    EXPECT_EQ(std::this_thread::get_id(), me);
    ++calls;
  };
  sock->targetip = "127.0.0.1";
  sock->targetport = peer.port();
  sock->connect();
  while (sock->state() != PL_SST_EST_AOPENED) {
    ASSERT_TRUE(sock->WaitForEvent(absl::Seconds(10)));
  }
  EXPECT_GE(calls, 2);
}

TEST_F(TibboTest, DestroyingTheSockResetsItsConnection) {
  peers::RecordingPeer peer;
  std::unique_ptr<Sock> sock = NewSock();
  sock->targetip = "127.0.0.1";
  sock->targetport = peer.port();
  sock->connect();
  ASSERT_TRUE(WaitForState(*sock, PL_SST_EST_AOPENED));
  sock.reset();
  ASSERT_TRUE(peer.WaitForEnding());
  EXPECT_EQ(peer.ending(), peers::Ending::kReset);
}

}  // namespace
}  // namespace socketsvc::tibbo
