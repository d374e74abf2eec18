#include "service/net/resolver.h"

#include <algorithm>
#include <atomic>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "absl/strings/match.h"
#include "absl/synchronization/notification.h"
#include "common/socket_error.h"
#include "gtest/gtest.h"

namespace socketsvc {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

::testing::AssertionResult HasError(const absl::Status& status,
                                    absl::StatusCode code,
                                    v1::SocketError error) {
  if (status.ok()) return ::testing::AssertionFailure() << "status is OK";
  if (status.code() != code || GetSocketError(status) != error) {
    return ::testing::AssertionFailure()
           << "got " << status << " with "
           << v1::SocketError_Name(GetSocketError(status)) << ", want "
           << absl::StatusCodeToString(code) << " with "
           << v1::SocketError_Name(error);
  }
  return ::testing::AssertionSuccess();
}

tcp::endpoint Endpoint(const char* address, uint16_t port) {
  return tcp::endpoint(asio::ip::make_address(address), port);
}

bool Contains(const Endpoints& endpoints, const tcp::endpoint& endpoint) {
  return std::find(endpoints.begin(), endpoints.end(), endpoint) !=
         endpoints.end();
}

// A lookup function that blocks on "block.test" until opened and records
// every host it was asked for; other hosts go to the system.
class Gate {
 public:
  ResolverFunctions Functions() {
    ResolverFunctions functions;
    functions.lookup = [this](const std::string& host,
                              const std::string& service)
        -> absl::StatusOr<Endpoints> {
      {
        absl::MutexLock lock(&mu_);
        calls_.push_back(host);
      }
      if (host == "block.test") {
        entered_.fetch_add(1);
        open_.WaitForNotificationWithTimeout(absl::Seconds(20));
        return Endpoints{Endpoint("127.0.0.1", 1)};
      }
      return SystemLookup(host, service);
    };
    return functions;
  }

  void Open() {
    if (!open_.HasBeenNotified()) open_.Notify();
  }
  // Waits until `n` lookups of block.test are running.
  bool WaitForBlocked(int n) {
    const absl::Time limit = absl::Now() + absl::Seconds(10);
    while (entered_.load() < n && absl::Now() < limit) {
      absl::SleepFor(absl::Milliseconds(1));
    }
    return entered_.load() >= n;
  }
  bool WasAskedFor(const std::string& host) {
    absl::MutexLock lock(&mu_);
    return std::find(calls_.begin(), calls_.end(), host) != calls_.end();
  }

 private:
  absl::Notification open_;
  std::atomic<int> entered_{0};
  absl::Mutex mu_;
  std::vector<std::string> calls_ ABSL_GUARDED_BY(mu_);
};

class ResolverTest : public ::testing::Test {
 protected:
  ResolverTest()
      : work_(asio::make_work_guard(io_)), io_thread_([this] { io_.run(); }) {}

  ~ResolverTest() override {
    gate_.Open();
    resolver_.reset();
    work_.reset();
    io_thread_.join();
  }

  void MakeResolver(int threads, size_t max_queued = 1024) {
    ResolverOptions options;
    options.threads = threads;
    options.max_queued = max_queued;
    options.functions = gate_.Functions();
    resolver_ = std::make_unique<Resolver>(std::move(options));
  }

  // Starts a lookup; the future holds its answer. Checks that the answer
  // ran on the executor's thread.
  std::future<absl::StatusOr<Endpoints>> Start(
      const std::string& host, const std::string& service,
      absl::Duration timeout = absl::Seconds(10),
      Resolver::LookupId* id = nullptr) {
    auto promise = std::make_shared<std::promise<absl::StatusOr<Endpoints>>>();
    auto future = promise->get_future();
    const Resolver::LookupId started = resolver_->Lookup(
        host, service, absl::Now() + timeout, io_.get_executor(),
        [this, promise](absl::StatusOr<Endpoints> result) {
          EXPECT_EQ(std::this_thread::get_id(), io_thread_.get_id());
          promise->set_value(std::move(result));
        });
    if (id != nullptr) *id = started;
    return future;
  }

  absl::StatusOr<Endpoints> Lookup(const std::string& host,
                                   const std::string& service) {
    return Start(host, service).get();
  }

  absl::StatusOr<std::vector<std::string>> Reverse(const char* address) {
    std::promise<absl::StatusOr<std::vector<std::string>>> promise;
    resolver_->ReverseLookup(
        asio::ip::make_address(address), absl::Now() + absl::Seconds(10),
        io_.get_executor(),
        [&promise](absl::StatusOr<std::vector<std::string>> result) {
          promise.set_value(std::move(result));
        });
    return promise.get_future().get();
  }

  // Answered within `within`?
  template <typename T>
  static bool Ready(std::future<T>& future,
                    absl::Duration within = absl::Seconds(2)) {
    return future.wait_for(absl::ToChronoMilliseconds(within)) ==
           std::future_status::ready;
  }

  Gate gate_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread io_thread_;
  std::unique_ptr<Resolver> resolver_;
};

TEST_F(ResolverTest, LocalhostIsBothLoopbackAddresses) {
  MakeResolver(2);
  for (const char* service : {"8080", "http"}) {
    absl::StatusOr<Endpoints> endpoints = Lookup("localhost", service);
    ASSERT_TRUE(endpoints.ok()) << endpoints.status();
    const uint16_t port = std::string(service) == "http" ? 80 : 8080;
    EXPECT_TRUE(Contains(*endpoints, Endpoint("::1", port))) << service;
    EXPECT_TRUE(Contains(*endpoints, Endpoint("127.0.0.1", port))) << service;
  }
}

TEST_F(ResolverTest, LiteralsWithNumericPortsNeedNoThread) {
  MakeResolver(1);
  auto blocked = Start("block.test", "80");
  ASSERT_TRUE(gate_.WaitForBlocked(1));
  auto v6 = Start("[::1]", "443");
  auto v4 = Start("127.0.0.1", "80");
  auto bare_v6 = Start("::1", "1");
  ASSERT_TRUE(Ready(v6));
  ASSERT_TRUE(Ready(v4));
  ASSERT_TRUE(Ready(bare_v6));
  EXPECT_EQ(*v6.get(), Endpoints{Endpoint("::1", 443)});
  EXPECT_EQ(*v4.get(), Endpoints{Endpoint("127.0.0.1", 80)});
  EXPECT_EQ(*bare_v6.get(), Endpoints{Endpoint("::1", 1)});
  EXPECT_FALSE(gate_.WasAskedFor("::1"));
  gate_.Open();
  EXPECT_TRUE(blocked.get().ok());
}

TEST_F(ResolverTest, ServiceNamesComeFromEtcServices) {
  MakeResolver(1);
  absl::StatusOr<Endpoints> http = Lookup("127.0.0.1", "http");
  ASSERT_TRUE(http.ok()) << http.status();
  EXPECT_EQ(*http, Endpoints{Endpoint("127.0.0.1", 80)});
  absl::StatusOr<Endpoints> v6 = Lookup("[::1]", "https");
  ASSERT_TRUE(v6.ok()) << v6.status();
  EXPECT_EQ(*v6, Endpoints{Endpoint("::1", 443)});
}

TEST_F(ResolverTest, UnknownServiceIsInvalidArgument) {
  MakeResolver(1);
  for (const char* host : {"127.0.0.1", "localhost"}) {
    absl::StatusOr<Endpoints> result = Lookup(host, "no-such-service");
    EXPECT_TRUE(HasError(result.status(), absl::StatusCode::kInvalidArgument,
                         v1::SOCKET_ERROR_INVALID_REQUEST));
    EXPECT_TRUE(absl::StrContains(result.status().message(), "no-such-service"))
        << result.status();
  }
  EXPECT_TRUE(HasError(Lookup("127.0.0.1", "99999").status(),
                       absl::StatusCode::kInvalidArgument,
                       v1::SOCKET_ERROR_INVALID_REQUEST));
}

TEST_F(ResolverTest, UnknownHostIsHostNotFound) {
  MakeResolver(1);
  absl::StatusOr<Endpoints> result = Lookup("no-such-host.invalid", "80");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(GetSocketError(result.status()), v1::SOCKET_ERROR_HOST_NOT_FOUND)
      << result.status();
  // NXDOMAIN is NOT_FOUND; without a reachable name server, UNAVAILABLE.
  EXPECT_TRUE(result.status().code() == absl::StatusCode::kNotFound ||
              result.status().code() == absl::StatusCode::kUnavailable)
      << result.status();
  EXPECT_TRUE(absl::StartsWith(result.status().message(),
                               "resolve no-such-host.invalid: "))
      << result.status();
}

TEST_F(ResolverTest, ReverseLookupOfLoopbackIsLocalhost) {
  std::ifstream hosts("/etc/hosts");
  std::stringstream text;
  text << hosts.rdbuf();
  if (!absl::StrContains(text.str(), "localhost")) {
    GTEST_SKIP() << "/etc/hosts names no localhost";
  }
  MakeResolver(1);
  absl::StatusOr<std::vector<std::string>> names = Reverse("127.0.0.1");
  ASSERT_TRUE(names.ok()) << names.status();
  EXPECT_NE(std::find(names->begin(), names->end(), "localhost"), names->end());
}

TEST_F(ResolverTest, QueuedLookupPastItsDeadlineNeverRuns) {
  MakeResolver(1);
  auto blocked = Start("block.test", "80");
  ASSERT_TRUE(gate_.WaitForBlocked(1));
  const absl::Time start = absl::Now();
  auto late = Start("late.test", "80", absl::Milliseconds(100));
  ASSERT_TRUE(Ready(late));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(90));
  EXPECT_TRUE(HasError(late.get().status(), absl::StatusCode::kDeadlineExceeded,
                       v1::SOCKET_ERROR_TIMED_OUT));
  gate_.Open();
  EXPECT_TRUE(blocked.get().ok());
  // The thread is free again: a later lookup runs, the late one never did.
  EXPECT_TRUE(Lookup("localhost", "http").ok());
  EXPECT_FALSE(gate_.WasAskedFor("late.test"));
}

TEST_F(ResolverTest, RunningLookupIsAnsweredAtItsDeadline) {
  MakeResolver(1);
  auto blocked = Start("block.test", "80", absl::Milliseconds(100));
  ASSERT_TRUE(Ready(blocked));
  EXPECT_TRUE(HasError(blocked.get().status(),
                       absl::StatusCode::kDeadlineExceeded,
                       v1::SOCKET_ERROR_TIMED_OUT));
  gate_.Open();  // Its late result is dropped: answered once only.
}

TEST_F(ResolverTest, SlowLookupsDoNotSerialize) {
  MakeResolver(4);
  std::vector<std::future<absl::StatusOr<Endpoints>>> blocked;
  for (int i = 0; i < 3; ++i) blocked.push_back(Start("block.test", "80"));
  // Three threads are stuck; the fourth still answers.
  ASSERT_TRUE(gate_.WaitForBlocked(3));
  auto other = Start("localhost", "http");
  ASSERT_TRUE(Ready(other));
  EXPECT_TRUE(other.get().ok());
  gate_.Open();
  for (auto& f : blocked) EXPECT_TRUE(f.get().ok());
}

TEST_F(ResolverTest, FullQueueIsResourceExhausted) {
  MakeResolver(1, /*max_queued=*/1);
  auto blocked = Start("block.test", "80");
  ASSERT_TRUE(gate_.WaitForBlocked(1));
  auto queued = Start("localhost", "http");
  auto refused = Start("localhost", "https");
  ASSERT_TRUE(Ready(refused));
  EXPECT_TRUE(HasError(refused.get().status(),
                       absl::StatusCode::kResourceExhausted,
                       v1::SOCKET_ERROR_LIMIT_EXCEEDED));
  gate_.Open();
  EXPECT_TRUE(queued.get().ok());
}

TEST_F(ResolverTest, CancelAnswersAtOnce) {
  MakeResolver(1);
  auto blocked = Start("block.test", "80");
  ASSERT_TRUE(gate_.WaitForBlocked(1));
  Resolver::LookupId id = 0;
  auto queued = Start("localhost", "http", absl::Seconds(10), &id);
  ASSERT_NE(id, 0u);
  resolver_->Cancel(id);
  resolver_->Cancel(id);  // Answered already: nothing happens.
  resolver_->Cancel(0);
  ASSERT_TRUE(Ready(queued));
  EXPECT_TRUE(HasError(queued.get().status(), absl::StatusCode::kCancelled,
                       v1::SOCKET_ERROR_CANCELLED));
  gate_.Open();
  EXPECT_TRUE(blocked.get().ok());
}

TEST_F(ResolverTest, ShutdownAnswersPendingLookups) {
  MakeResolver(1);
  auto blocked = Start("block.test", "80");
  ASSERT_TRUE(gate_.WaitForBlocked(1));
  auto queued = Start("localhost", "http");
  resolver_->Shutdown();
  auto after = Start("localhost", "http");
  for (auto* f : {&blocked, &queued, &after}) {
    ASSERT_TRUE(Ready(*f));
    EXPECT_TRUE(HasError(f->get().status(), absl::StatusCode::kUnavailable,
                         v1::SOCKET_ERROR_SHUTTING_DOWN));
  }
}

}  // namespace
}  // namespace socketsvc
