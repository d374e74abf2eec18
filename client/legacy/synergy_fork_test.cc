// HTTP_SERVER_RECEIVE's `fork` as concurrent receivers: the calling thread
// is the parent that keeps taking requests, each child runs on its own
// thread and answers with HTTP_SERVER_SEND; fork = 1 returns at the
// timeout, fork = 2 only on an error.
#include <atomic>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "client/legacy/synergy_test_util.h"

namespace socketsvc::synergy {
namespace {

struct Outputs {
  std::string uri = "x", method = "x", handle = "x", error = "x";
  int length = -1;
  std::vector<std::string> headers{"x"};
};

int ReceiveForking(D_HANDLE id, int timeout, int& fork, const ChildRoutine& child,
                   Outputs& out) {
  return HTTP_SERVER_RECEIVE(id, out.uri, out.method, timeout, out.handle, out.length,
                             out.error, &out.headers, "", fork, child);
}

TEST_F(SynergyTest, ForkOneRunsChildrenConcurrentlyAndReturnsAtTheTimeout) {
  D_HANDLE id = Create();
  constexpr int kRequests = 3;
  absl::Mutex mu;
  int started = 0;
  // Each child answers only once all of them run: they must be concurrent.
  ChildRoutine child = [&](const ChildRequest& request) {
    mu.Lock();
    ++started;
    const bool all = mu.AwaitWithTimeout(
        absl::Condition(+[](int* n) { return *n == kRequests; }, &started),
        absl::Seconds(10));
    mu.Unlock();
    std::string error;
    const std::string body = (all ? "together " : "alone ") + request.uri;
    EXPECT_EQ(HTTP_SERVER_SEND(id, 200, "OK", body, body.size(), error), HTTP_OK) << error;
  };
  std::vector<std::unique_ptr<tls::Subprocess>> curls;
  for (int i = 0; i < kRequests; ++i) {
    curls.push_back(StartCurl({Url(id, "/r" + std::to_string(i))}));
  }
  int fork = 1;
  Outputs out;
  const absl::Time start = absl::Now();
  EXPECT_EQ(ReceiveForking(id, 3, fork, child, out), HTTP_OK) << out.error;
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(2900));
  EXPECT_EQ(fork, 1);  // The parent, back after the timeout.
  EXPECT_EQ(out.uri, "");
  EXPECT_EQ(out.length, 0);
  EXPECT_TRUE(out.headers.empty());
  EXPECT_EQ(out.error, "");
  for (int i = 0; i < kRequests; ++i) {
    EXPECT_EQ(Finish(curls[i]), "together /r" + std::to_string(i));
  }
  EXPECT_EQ(HTTP_SERVER_DELETE(id), HTTP_OK);  // Joins the children.
}

TEST_F(SynergyTest, ForkTwoReturnsOnlyWhenTheServerGoes) {
  D_HANDLE id = Create();
  std::atomic<int> served{0};
  ChildRoutine child = [&](const ChildRequest& request) {
    std::string error;
    EXPECT_EQ(request.method, "POST");
    EXPECT_EQ(request.length, 4);
    const std::string body = "echo " + request.handle;
    EXPECT_EQ(HTTP_SERVER_SEND(id, 200, "OK", body, body.size(), error), HTTP_OK);
    ++served;
  };
  int fork = 2;
  int status = -1;
  Outputs out;
  std::thread parent([&] { status = ReceiveForking(id, 1, fork, child, out); });
  // Longer than the timeout: fork = 2 ignores it for the accept loop.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(Finish(StartCurl({"--data-binary", "ping", Url(id, "/")})), "echo ping");
  }
  EXPECT_EQ(served.load(), 2);
  EXPECT_EQ(HTTP_SERVER_DELETE(id), HTTP_OK);
  parent.join();
  EXPECT_EQ(status, HTTP_ERR_SERVER_DELETED) << out.error;
  EXPECT_EQ(fork, 2);
}

TEST_F(SynergyTest, ChildThatDoesNotAnswerGives500) {
  D_HANDLE id = Create();
  auto curl = StartCurl({"-o", "/dev/null", "-w", "%{http_code}", Url(id, "/quiet")});
  int fork = 1;
  Outputs out;
  EXPECT_EQ(ReceiveForking(id, 2, fork, [](const ChildRequest&) {}, out), HTTP_OK);
  EXPECT_EQ(Finish(curl), "500");
  EXPECT_EQ(HTTP_SERVER_DELETE(id), HTTP_OK);
}

TEST_F(SynergyTest, ForkArguments) {
  D_HANDLE id = Create();
  Outputs out;
  int fork = 3;
  EXPECT_EQ(ReceiveForking(id, 1, fork, [](const ChildRequest&) {}, out),
            HTTP_ERR_INVALID_ARGUMENT);
  fork = 1;
  EXPECT_EQ(ReceiveForking(id, 1, fork, nullptr, out), HTTP_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(out.error, "Invalid argument: fork needs a child routine");
  EXPECT_EQ(ReceiveForking(4242, 1, fork, [](const ChildRequest&) {}, out),
            HTTP_ERR_INVALID_INSTANCE);
  // fork = 0: no child; the call itself returns the request.
  auto curl = StartCurl({Url(id, "/plain")});
  fork = 0;
  bool child_ran = false;
  ASSERT_EQ(ReceiveForking(id, 10, fork, [&](const ChildRequest&) { child_ran = true; }, out),
            HTTP_OK);
  EXPECT_EQ(fork, 0);
  EXPECT_EQ(out.uri, "/plain");
  EXPECT_FALSE(child_ran);
  std::string error;
  EXPECT_EQ(HTTP_SERVER_SEND(id, 200, "OK", "p", 1, error), HTTP_OK);
  EXPECT_EQ(Finish(curl), "p");
  EXPECT_EQ(HTTP_SERVER_DELETE(id), HTTP_OK);
}

}  // namespace
}  // namespace socketsvc::synergy
