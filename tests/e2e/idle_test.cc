// The idle timeout (Tibbo connectiontout): a socket through which no byte
// moved for idle_timeout_ms is reset (the peer sees RST) and released
// (GetInfo: NOT_FOUND); traffic either way keeps it; SetOptions sets it per
// socket; accepted sockets have it too.
#include <thread>

#include "tests/e2e/e2e_fixture.h"
#include "tests/e2e/socket_probe.h"
#include "tests/peers/peers.h"

namespace socketsvc::e2e {
namespace {

using peers::EchoPeer;
using peers::Ending;
using peers::RecordingPeer;

constexpr absl::Duration kIdle = absl::Milliseconds(300);

bool WaitReleased(Client& client, const std::string& handle, absl::Duration limit) {
  const absl::Time end = absl::Now() + limit;
  while (absl::Now() < end) {
    if (client.GetInfo(handle).status().code() == absl::StatusCode::kNotFound)
      return true;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return false;
}

class IdleTest : public SocketdTest {
 protected:
  ServerOptions Options() override {
    ServerOptions options;
    options.session.idle_timeout = kIdle;
    options.session.max_sessions_per_principal = 1;
    return options;
  }
};

TEST_F(IdleTest, IdleSocketIsResetAndReleased) {
  RecordingPeer peer;
  const absl::Time start = absl::Now();
  const std::string handle = ConnectTo(peer.port());
  ASSERT_TRUE(client_->Send(handle, "hello", 1000).ok());
  // The toutcounter counts from the last byte.
  absl::SleepFor(absl::Milliseconds(150));
  EXPECT_GE(Info(handle).idle_ms(), 100);
  ASSERT_TRUE(peer.WaitForEnding());
  EXPECT_EQ(peer.ending(), Ending::kReset);
  EXPECT_EQ(peer.received(), "hello");
  EXPECT_GE(absl::Now() - start, kIdle);
  EXPECT_TRUE(WaitReleased(*client_, handle, absl::Seconds(2)));
  EXPECT_TRUE(HasError(client_->GetInfo(handle), absl::StatusCode::kNotFound,
                       v1::SOCKET_ERROR_INVALID_HANDLE));
  EXPECT_TRUE(HasError(client_->Send(handle, "late", 1000), absl::StatusCode::kNotFound,
                       v1::SOCKET_ERROR_INVALID_HANDLE));
  EXPECT_EQ(server_->session_count(), 0u);
  // The per-principal slot came back (max_sessions_per_principal is 1).
  EXPECT_FALSE(ConnectTo(peer.port()).empty());
}

TEST_F(IdleTest, TrafficEitherWayKeepsTheSocket) {
  EchoPeer peer;
  const std::string handle = ConnectTo(peer.port());
  // Four timeouts' worth of time, with a byte every 100 ms.
  const absl::Time end = absl::Now() + 4 * kIdle;
  while (absl::Now() < end) {
    ASSERT_TRUE(client_->Send(handle, "x", 1000).ok());
    absl::StatusOr<v1::ReceiveResponse> back = client_->Receive(handle, 1, 1, 1000);
    ASSERT_TRUE(back.ok()) << back.status();
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_LT(Info(handle).idle_ms(), absl::ToInt64Milliseconds(kIdle));
  // Silence now: it goes.
  EXPECT_TRUE(WaitReleased(*client_, handle, absl::Seconds(3)));
}

TEST_F(IdleTest, PendingReceiveEndsAbortedTimedOut) {
  RecordingPeer peer;
  const std::string handle = ConnectTo(peer.port());
  const absl::Time start = absl::Now();
  // A Receive waiting without limit is no traffic: the socket still goes,
  // and the Receive says why.
  absl::StatusOr<v1::ReceiveResponse> received = client_->Receive(handle, 10, 1, -1);
  EXPECT_TRUE(HasError(received, absl::StatusCode::kAborted, v1::SOCKET_ERROR_TIMED_OUT));
  EXPECT_EQ(GetErrorDetail(received.status())->os_errno(), ETIMEDOUT);
  EXPECT_GE(absl::Now() - start, kIdle - absl::Milliseconds(50));
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  ASSERT_TRUE(peer.WaitForEnding());
  EXPECT_EQ(peer.ending(), Ending::kReset);
}

TEST_F(IdleTest, SetOptionsZeroKeepsOneSocketForever) {
  RecordingPeer peer;
  const std::string handle = ConnectTo(peer.port());
  v1::SocketOptions never;
  never.set_idle_timeout_ms(0);
  absl::StatusOr<v1::SocketOptions> set = client_->SetOptions(handle, never);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->idle_timeout_ms(), 0);
  absl::SleepFor(3 * kIdle);
  EXPECT_EQ(Info(handle).state(), v1::SOCKET_STATE_OPEN);
  EXPECT_EQ(peer.ending(), Ending::kOpen);
  // Back on, counted from the last byte (long ago): it goes at once.
  v1::SocketOptions again;
  again.set_idle_timeout_ms(absl::ToInt64Milliseconds(kIdle));
  ASSERT_TRUE(client_->SetOptions(handle, again).ok());
  EXPECT_TRUE(WaitReleased(*client_, handle, absl::Milliseconds(500)));
  ASSERT_TRUE(peer.WaitForEnding());
  EXPECT_EQ(peer.ending(), Ending::kReset);
}

TEST_F(IdleTest, AcceptedSocketsTimeOutToo) {
  absl::StatusOr<v1::ListenResponse> listening = client_->Listen("127.0.0.1", 0);
  ASSERT_TRUE(listening.ok()) << listening.status();
  const int fd = ConnectLoopback(static_cast<uint16_t>(listening->port()));
  ASSERT_GE(fd, 0);
  absl::StatusOr<v1::AcceptResponse> accepted =
      client_->Accept(listening->listener(), 5000);
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  ASSERT_TRUE(client_->Send(accepted->handle(), "hi", 1000).ok());
  EXPECT_EQ(ReadToEnd(fd), "hi<reset>");
  EXPECT_TRUE(WaitReleased(*client_, accepted->handle(), absl::Seconds(2)));
  // The listener itself has no idle timeout.
  EXPECT_EQ(Info(listening->listener()).state(), v1::SOCKET_STATE_LISTENING);
  close(fd);
}

class NoIdleTimeoutTest : public SocketdTest {
 protected:
  ServerOptions Options() override {
    ServerOptions options;
    options.session.idle_timeout = absl::ZeroDuration();
    return options;
  }
};

TEST_F(NoIdleTimeoutTest, ZeroMeansNeverUntilSetOptionsSetsOne) {
  RecordingPeer peer;
  const std::string handle = ConnectTo(peer.port());
  absl::StatusOr<v1::SocketOptions> options = client_->GetOptions(handle);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->idle_timeout_ms(), 0);
  absl::SleepFor(absl::Milliseconds(400));
  EXPECT_EQ(Info(handle).state(), v1::SOCKET_STATE_OPEN);
  v1::SocketOptions idle;
  idle.set_idle_timeout_ms(1000);
  ASSERT_TRUE(client_->SetOptions(handle, idle).ok());
  // Idle for 400 ms already: it goes about 600 ms later.
  const absl::Time start = absl::Now();
  ASSERT_TRUE(peer.WaitForEnding());
  EXPECT_EQ(peer.ending(), Ending::kReset);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(400));
  EXPECT_TRUE(WaitReleased(*client_, handle, absl::Seconds(2)));
}

}  // namespace
}  // namespace socketsvc::e2e
