// Resolve (forward and reverse), Connect to IPv6, Happy Eyeballs between
// ::1 and 127.0.0.1, and lookups that do not wait for each other.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/synchronization/notification.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/peers/backlog_listener.h"
#include "tests/peers/peers.h"

namespace socketsvc::e2e {
namespace {

using peers::ClosedPort;
using peers::EchoPeer;

bool Has(const google::protobuf::RepeatedPtrField<std::string>& list,
         const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

using peers::BacklogListener;

TEST_F(SocketdTest, ResolveNameGivesBothFamilies) {
  absl::StatusOr<v1::ResolveResponse> resolved = client_->Resolve("localhost", 5000);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_TRUE(Has(resolved->addresses(), "::1"));
  EXPECT_TRUE(Has(resolved->addresses(), "127.0.0.1"));
  EXPECT_EQ(resolved->names_size(), 0);
}

TEST_F(SocketdTest, ResolveAddressGivesItsName) {
  absl::StatusOr<v1::ResolveResponse> resolved = client_->Resolve("127.0.0.1", 5000);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_TRUE(Has(resolved->names(), "localhost"))
      << resolved->ShortDebugString();
  EXPECT_EQ(resolved->addresses_size(), 0);
}

TEST_F(SocketdTest, ResolveUnknownNameIsHostNotFound) {
  absl::StatusOr<v1::ResolveResponse> missing =
      client_->Resolve("no-such-host.invalid", 10000);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(GetSocketError(missing.status()), v1::SOCKET_ERROR_HOST_NOT_FOUND)
      << missing.status();
  // NXDOMAIN is NOT_FOUND; with no name server reachable, UNAVAILABLE.
  EXPECT_TRUE(missing.status().code() == absl::StatusCode::kNotFound ||
              missing.status().code() == absl::StatusCode::kUnavailable)
      << missing.status();
  EXPECT_TRUE(absl::StrContains(missing.status().message(), "no-such-host.invalid"))
      << missing.status();
}

TEST_F(SocketdTest, ResolveValidatesItsRequest) {
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  const auto kBad = v1::SOCKET_ERROR_INVALID_REQUEST;
  EXPECT_TRUE(HasError(client_->Resolve("", 1000), kInvalid, kBad));
  EXPECT_TRUE(HasError(client_->Resolve(std::string(256, 'a'), 1000), kInvalid, kBad));
  EXPECT_TRUE(HasError(client_->Resolve(std::string("local\0host", 10), 1000),
                       kInvalid, kBad));
  EXPECT_TRUE(HasError(client_->Resolve("localhost", -7), kInvalid, kBad));
}

TEST_F(SocketdTest, ConnectToIpv6Loopback) {
  BacklogListener listener("::1", 0);
  ASSERT_TRUE(listener.ok()) << "no IPv6 loopback here: " << listener.error();
  for (const char* host : {"::1", "[::1]"}) {
    absl::StatusOr<v1::ConnectResponse> connected =
        client_->Connect(host, listener.port(), 5000);
    ASSERT_TRUE(connected.ok()) << host << ": " << connected.status();
    EXPECT_EQ(connected->remote_address(), "::1");
    EXPECT_EQ(connected->remote_port(), listener.port());
    EXPECT_EQ(connected->local_address(), "::1");
  }
}

TEST_F(SocketdTest, LocalhostFallsBackToIpv4) {
  EchoPeer peer;  // 127.0.0.1 only: ::1 refuses, and the next address is tried.
  const absl::Time start = absl::Now();
  absl::StatusOr<v1::ConnectResponse> connected =
      client_->Connect("localhost", peer.port(), 5000);
  ASSERT_TRUE(connected.ok()) << connected.status();
  EXPECT_EQ(connected->remote_address(), "127.0.0.1");
  // The refusal starts the next attempt at once, without the stagger.
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
}

TEST_F(SocketdTest, LocalhostReachesAnIpv6OnlyListener) {
  BacklogListener listener("::1", 0);
  ASSERT_TRUE(listener.ok()) << "no IPv6 loopback here: " << listener.error();
  absl::StatusOr<v1::ConnectResponse> connected =
      client_->Connect("localhost", listener.port(), 5000);
  ASSERT_TRUE(connected.ok()) << connected.status();
  EXPECT_EQ(connected->remote_address(), "::1");
}

TEST_F(SocketdTest, HangingIpv6AttemptIsOvertakenAfterTheStagger) {
  BacklogListener v6("::1", 0, /*backlog=*/0);
  ASSERT_TRUE(v6.ok()) << "no IPv6 loopback here: " << v6.error();
  BacklogListener v4("127.0.0.1", v6.port());
  if (!v4.ok()) GTEST_SKIP() << "127.0.0.1:" << v6.port() << " is taken";
  if (!v6.FillBacklog()) GTEST_SKIP() << "this kernel does not drop SYNs";
  const absl::Time start = absl::Now();
  absl::StatusOr<v1::ConnectResponse> connected =
      client_->Connect("localhost", v6.port(), 5000);
  const absl::Duration took = absl::Now() - start;
  ASSERT_TRUE(connected.ok()) << connected.status();
  EXPECT_EQ(connected->remote_address(), "127.0.0.1");
  EXPECT_GE(took, absl::Milliseconds(200));  // Waited for the stagger...
  EXPECT_LT(took, absl::Seconds(2));         // ...not for the timeout.
}

TEST_F(SocketdTest, RefusedEverywhereReportsTheFirstAddressTried) {
  const uint16_t port = ClosedPort();
  absl::StatusOr<v1::ConnectResponse> refused =
      client_->Connect("localhost", port, 5000);
  ASSERT_TRUE(HasError(refused, absl::StatusCode::kUnavailable,
                       v1::SOCKET_ERROR_CONNECTION_REFUSED));
  EXPECT_EQ(GetErrorDetail(refused.status())->os_errno(), ECONNREFUSED);
  EXPECT_TRUE(absl::StrContains(refused.status().message(),
                                absl::StrCat("[::1]:", port)))
      << refused.status();
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "2 addresses"))
      << refused.status();
}

// Lookups of "slow.test" block until released; "peer.test" is 127.0.0.1.
class SlowResolverTest : public SocketdTest {
 protected:
  struct Shared {
    absl::Notification release;
    std::atomic<int> slow_started{0};
  };

  ServerOptions Options() override {
    ServerOptions options;
    options.resolver.threads = 2;
    options.resolver.functions.lookup =
        [shared = shared_](const std::string& host, const std::string& service)
        -> absl::StatusOr<Endpoints> {
      if (host == "slow.test") {
        shared->slow_started.fetch_add(1);
        shared->release.WaitForNotificationWithTimeout(absl::Seconds(20));
        return SocketErrorStatus(absl::StatusCode::kNotFound,
                                 v1::SOCKET_ERROR_HOST_NOT_FOUND,
                                 "resolve slow.test: not found");
      }
      if (host == "peer.test") {
        absl::StatusOr<Endpoints> loopback =
            SystemLookup("127.0.0.1", service);
        return loopback;
      }
      return SystemLookup(host, service);
    };
    return options;
  }

  void TearDown() override {
    if (!shared_->release.HasBeenNotified()) shared_->release.Notify();
    SocketdTest::TearDown();
  }

  bool WaitForSlowLookups(int n) {
    const absl::Time limit = absl::Now() + absl::Seconds(10);
    while (shared_->slow_started.load() < n && absl::Now() < limit) {
      absl::SleepFor(absl::Milliseconds(2));
    }
    return shared_->slow_started.load() >= n;
  }

  std::shared_ptr<Shared> shared_ = std::make_shared<Shared>();
};

TEST_F(SlowResolverTest, SlowLookupDoesNotDelayOtherConnects) {
  EchoPeer peer;
  auto slow = std::async(std::launch::async, [this] {
    return client_->Connect("slow.test", 80, 15000);
  });
  ASSERT_TRUE(WaitForSlowLookups(1));
  const absl::Time start = absl::Now();
  absl::StatusOr<v1::ConnectResponse> fast =
      client_->Connect("peer.test", peer.port(), 5000);
  ASSERT_TRUE(fast.ok()) << fast.status();
  EXPECT_EQ(fast->remote_address(), "127.0.0.1");
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  shared_->release.Notify();
  EXPECT_TRUE(HasError(slow.get(), absl::StatusCode::kNotFound,
                       v1::SOCKET_ERROR_HOST_NOT_FOUND));
}

TEST_F(SlowResolverTest, SlowLookupsAnswerAtTheirTimeout) {
  const absl::Time start = absl::Now();
  EXPECT_TRUE(HasError(client_->Connect("slow.test", 80, 300),
                       absl::StatusCode::kDeadlineExceeded,
                       v1::SOCKET_ERROR_TIMED_OUT));
  EXPECT_TRUE(HasError(client_->Resolve("slow.test", 300),
                       absl::StatusCode::kDeadlineExceeded,
                       v1::SOCKET_ERROR_TIMED_OUT));
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  // Both threads are still stuck in "slow.test"; literals need none.
  ASSERT_TRUE(WaitForSlowLookups(2));
  EchoPeer peer;
  EXPECT_TRUE(client_->Connect("127.0.0.1", peer.port(), 5000).ok());
  EXPECT_TRUE(client_->Resolve("localhost", 5000).ok());
}

}  // namespace
}  // namespace socketsvc::e2e
