// A replica that dies takes its sockets with it: calls for its handles
// through another replica fail UNAVAILABLE with "owner replica N
// unavailable: session lost" (also a call that was waiting on it), while
// every other replica and its handles keep working.
#include <signal.h>

#include <optional>
#include <string>
#include <thread>

#include "absl/time/clock.h"
#include "client/pipe_stream.h"
#include "tests/peers/peers.h"
#include "tests/routing/routing_cluster.h"

namespace socketsvc::routing_test {
namespace {

bool OwnerUnavailable(const absl::Status& status, int replica) {
  return status.code() == absl::StatusCode::kUnavailable &&
         GetSocketError(status) == v1::SOCKET_ERROR_NOT_CONNECTED &&
         status.message() ==
             absl::StrCat("owner replica ", replica, " unavailable: session lost");
}

TEST(RoutingFailoverTest, KilledOwnerGivesAClearErrorWhileTheOthersServe) {
  RoutingCluster cluster;
  ASSERT_TRUE(cluster.started());
  peers::EchoPeer echo;
  Client alice = cluster.ClientOf(0, kAliceToken);
  absl::StatusOr<v1::ConnectResponse> on1 =
      cluster.ClientOf(1, kAliceToken).Connect("127.0.0.1", echo.port(), 5000);
  absl::StatusOr<v1::ConnectResponse> on2 =
      cluster.ClientOf(2, kAliceToken).Connect("127.0.0.1", echo.port(), 5000);
  ASSERT_TRUE(on1.ok() && on2.ok());
  ASSERT_TRUE(alice.Send(on2->handle(), "before", 5000).ok());
  EXPECT_EQ(alice.Receive(on2->handle(), 100, 6, 5000)->data(), "before");

  // A Pipe through replica 0 to another socket of replica 2 when it dies.
  absl::StatusOr<v1::ConnectResponse> piped =
      cluster.ClientOf(2, kAliceToken).Connect("127.0.0.1", echo.port(), 5000);
  ASSERT_TRUE(piped.ok()) << piped.status();
  absl::StatusOr<std::unique_ptr<PipeStream>> pipe = alice.OpenPipe(piped->handle());
  ASSERT_TRUE(pipe.ok()) << pipe.status();
  ASSERT_TRUE((*pipe)->Write("piped"));
  ASSERT_TRUE((*pipe)->Read().has_value());

  // A Receive waiting on replica 2 when it dies.
  std::optional<absl::StatusOr<v1::ReceiveResponse>> waiting;
  std::thread receiver(
      [&] { waiting = alice.Receive(on2->handle(), 100, 1, /*timeout_ms=*/30000); });
  Client owner = cluster.ClientOf(2, kAliceToken);
  const absl::Time limit = absl::Now() + absl::Seconds(10);
  while (owner.GetInfo(on2->handle())->pending_receives() != 1 && absl::Now() < limit) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  const absl::Time killed = absl::Now();
  ASSERT_NE(cluster.replica(2).SignalAndWait(SIGKILL, 5000), -1);
  receiver.join();
  ASSERT_TRUE(waiting.has_value());
  EXPECT_TRUE(OwnerUnavailable(waiting->status(), 2)) << waiting->status();
  EXPECT_LT(absl::Now() - killed, absl::Seconds(5));
  while ((*pipe)->Read().has_value()) {
  }
  const absl::Status pipe_status = (*pipe)->Finish();
  EXPECT_TRUE(OwnerUnavailable(pipe_status, 2)) << pipe_status;

  // Every call for its handles, through replica 0 and through replica 1.
  EXPECT_TRUE(OwnerUnavailable(alice.GetInfo(on2->handle()).status(), 2));
  EXPECT_TRUE(OwnerUnavailable(alice.Send(on2->handle(), "x", 1000).status(), 2));
  EXPECT_TRUE(OwnerUnavailable(alice.Receive(on2->handle(), 10, 1, 1000).status(), 2));
  EXPECT_TRUE(OwnerUnavailable(alice.Close(on2->handle()).status(), 2));
  EXPECT_TRUE(OwnerUnavailable(
      cluster.ClientOf(1, kAliceToken).GetInfo(on2->handle()).status(), 2));

  // Replicas 0 and 1 keep serving: replica 1's handle through 0, a new
  // socket on 0, replica 1 directly.
  ASSERT_TRUE(alice.Send(on1->handle(), "after", 5000).ok());
  EXPECT_EQ(alice.Receive(on1->handle(), 100, 5, 5000)->data(), "after");
  absl::StatusOr<v1::ConnectResponse> on0 = alice.Connect("127.0.0.1", echo.port(), 5000);
  ASSERT_TRUE(on0.ok()) << on0.status();
  EXPECT_EQ(on0->handle().substr(0, 3), "s0.");
  ASSERT_TRUE(alice.Send(on0->handle(), "new", 5000).ok());
  EXPECT_EQ(alice.Receive(on0->handle(), 100, 3, 5000)->data(), "new");
  EXPECT_TRUE(cluster.ClientOf(1, kAliceToken).GetInfo(on1->handle()).ok());
  ASSERT_TRUE(alice.Close(on1->handle()).ok());
  ASSERT_TRUE(alice.Close(on0->handle()).ok());
}

}  // namespace
}  // namespace socketsvc::routing_test
