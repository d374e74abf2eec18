// Session against a real loopback TCP peer, without gRPC.
#include "service/sessions/session.h"

#include <sys/socket.h>

#include <future>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include "common/socket_error.h"
#include "gtest/gtest.h"
#include "service/net/tcp_transport.h"
#include "service/sessions/session_table.h"

namespace socketsvc {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

// A session connected to a peer socket the test drives by hand.
class SessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tcp::acceptor acceptor(io_, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    tcp::socket client(io_);
    client.connect(acceptor.local_endpoint());
    peer_ = std::make_unique<tcp::socket>(acceptor.accept());
    auto created = table_.Create("alice", "127.0.0.1",
                                 std::make_unique<TcpTransport>(std::move(client)));
    ASSERT_TRUE(created.ok());
    session_ = *created;
    thread_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    session_->Shutdown();
    work_.reset();
    io_.stop();
    thread_.join();
  }

  std::future<absl::StatusOr<ReceiveResult>> Receive(
      std::shared_ptr<ReceiveCall>* out, size_t max, size_t min,
      absl::Duration timeout) {
    auto promise = std::make_shared<std::promise<absl::StatusOr<ReceiveResult>>>();
    auto call = std::make_shared<ReceiveCall>(
        max, min, absl::Now() + timeout,
        [promise](absl::StatusOr<ReceiveResult> r) { promise->set_value(std::move(r)); });
    if (out) *out = call;
    session_->StartReceive(call);
    return promise->get_future();
  }

  void PeerWrite(const std::string& data) {
    asio::write(*peer_, asio::buffer(data));
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ =
      asio::make_work_guard(io_);
  SessionTable table_{"1", SessionLimits{}};
  std::shared_ptr<Session> session_;
  std::unique_ptr<tcp::socket> peer_;
  std::thread thread_;
};

TEST_F(SessionTest, OwnerOnlyFindsItsHandle) {
  EXPECT_TRUE(table_.Find(session_->handle(), "alice").ok());
  absl::StatusOr<std::shared_ptr<Session>> other = table_.Find(session_->handle(), "bob");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(GetSocketError(other.status()), v1::SOCKET_ERROR_INVALID_HANDLE);
}

TEST_F(SessionTest, MinBytesWaitsForEnoughData) {
  auto result = Receive(nullptr, 100, 6, absl::Seconds(10));
  PeerWrite("abc");
  EXPECT_EQ(result.wait_for(std::chrono::milliseconds(100)),
            std::future_status::timeout);
  PeerWrite("defgh");
  absl::StatusOr<ReceiveResult> r = result.get();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->data, "abcdefgh");
  EXPECT_FALSE(r->timed_out);
}

TEST_F(SessionTest, CancelledReceiveKeepsItsBytesForTheNext) {
  std::shared_ptr<ReceiveCall> call;
  auto first = Receive(&call, 100, 10, absl::Seconds(10));
  PeerWrite("hello");
  // Let the session read the five bytes into the pending call.
  absl::SleepFor(absl::Milliseconds(100));
  session_->Cancel(call);
  absl::StatusOr<ReceiveResult> cancelled = first.get();
  ASSERT_FALSE(cancelled.ok());
  EXPECT_EQ(cancelled.status().code(), absl::StatusCode::kCancelled);

  PeerWrite(" world");
  absl::StatusOr<ReceiveResult> next = Receive(nullptr, 100, 11, absl::Seconds(10)).get();
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->data, "hello world");
}

TEST_F(SessionTest, QueuedReceivesAnswerInArrivalOrder) {
  auto first = Receive(nullptr, 3, 3, absl::Seconds(10));
  auto second = Receive(nullptr, 3, 3, absl::Seconds(10));
  PeerWrite("111222");
  EXPECT_EQ(first.get()->data, "111");
  EXPECT_EQ(second.get()->data, "222");
}

TEST_F(SessionTest, TimeoutReturnsPartialDataAndLosesNothing) {
  auto first = Receive(nullptr, 100, 10, absl::Milliseconds(200));
  PeerWrite("abc");
  absl::StatusOr<ReceiveResult> r = first.get();
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->timed_out);
  EXPECT_EQ(r->data, "abc");
  PeerWrite("def");
  EXPECT_EQ(Receive(nullptr, 100, 1, absl::Seconds(5)).get()->data, "def");
}

TEST_F(SessionTest, ReleaseRemovesFromTable) {
  std::promise<absl::StatusOr<CloseResult>> closed;
  session_->StartClose(std::make_shared<CloseCall>(
      v1::CLOSE_MODE_ABORT, absl::InfiniteFuture(),
      [&](absl::StatusOr<CloseResult> r) { closed.set_value(r); }));
  absl::StatusOr<CloseResult> r = closed.get_future().get();
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->released);
  EXPECT_EQ(table_.size(), 0u);
  EXPECT_FALSE(table_.Find(session_->handle(), "alice").ok());
}

}  // namespace
}  // namespace socketsvc
