// PollSet on its own, over socketpairs and an io_context on one thread:
// readiness from the kernel, wakes for what the kernel cannot see, the
// deadline, cancellation and "look once", each finishing exactly once.
#include "service/sessions/poll_set.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include "common/socket_error.h"
#include "gtest/gtest.h"
#include "socketsvc/v1/sockets.pb.h"

namespace socketsvc {
namespace {

namespace asio = boost::asio;

// One end of a socketpair as a pollable object with its own strand; `held`
// stands for readiness only socketd knows of (bytes it holds).
struct FakeSocket {
  explicit FakeSocket(asio::io_context& io) : strand(asio::make_strand(io)) {
    int fds[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    mine = fds[0];
    peer = fds[1];
  }
  ~FakeSocket() {
    close(mine);
    close(peer);
  }

  PollSet::Target Target(uint32_t wanted) {
    PollSet::Target target;
    target.wanted = wanted;
    target.socket = true;
    target.check = [this](std::shared_ptr<PollWaiter> waiter, size_t index, bool watch) {
      asio::post(strand, [this, waiter, index, watch] {
        ++checks;
        if (watch) watchers.Add(waiter, index);
        pollfd p{mine, POLLIN | POLLOUT, 0};
        ::poll(&p, 1, 0);
        uint32_t events = 0;
        if ((p.revents & POLLIN) || held) events |= v1::POLL_EVENT_READABLE;
        if (p.revents & POLLOUT) events |= v1::POLL_EVENT_WRITABLE;
        waiter->Report(index, events, mine);
      });
    };
    return target;
  }

  void Hold() {
    asio::post(strand, [this] {
      held = true;
      watchers.WakeAll();
    });
  }

  asio::strand<asio::io_context::executor_type> strand;
  int mine = -1;
  int peer = -1;
  bool held = false;      // strand only
  PollWatchers watchers;  // strand only
  std::atomic<int> checks{0};
};

// Targets hold move-only checks: no initializer list.
template <typename... T>
std::vector<PollSet::Target> Targets(T&&... targets) {
  std::vector<PollSet::Target> all;
  (all.push_back(std::forward<T>(targets)), ...);
  return all;
}

class PollSetTest : public ::testing::Test {
 protected:
  PollSetTest() : work_(asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}
  ~PollSetTest() override {
    work_.reset();
    io_.stop();
    thread_.join();
  }

  using Result = absl::StatusOr<PollSet::Outcome>;

  std::shared_ptr<PollSet> Make(std::vector<PollSet::Target> targets, absl::Time deadline,
                                std::promise<Result>& done) {
    absl::StatusOr<std::shared_ptr<PollSet>> poll =
        PollSet::Create(io_.get_executor(), std::move(targets), deadline,
                        [&done](Result result) { done.set_value(std::move(result)); });
    EXPECT_TRUE(poll.ok()) << poll.status();
    return *poll;
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
  // Destroyed after the thread is joined: posted checks may still use them.
  FakeSocket a_{io_};
  FakeSocket b_{io_};
};

TEST_F(PollSetTest, KernelReadinessWakesTheWaitAndNamesOnlyThatTarget) {
  FakeSocket& a = a_;
  FakeSocket& b = b_;
  std::promise<Result> done;
  auto poll = Make(Targets(a.Target(v1::POLL_EVENT_READABLE),
                           b.Target(v1::POLL_EVENT_READABLE), PollSet::Target{}),
                   absl::InfiniteFuture(), done);
  // The invalid target alone answers at once.
  poll->Start();
  Result result = done.get_future().get();
  ASSERT_TRUE(result.ok());
  EXPECT_FALSE(result->timed_out);
  EXPECT_EQ(result->events[2], static_cast<uint32_t>(v1::POLL_EVENT_INVALID));

  std::promise<Result> done2;
  auto waiting =
      Make(Targets(a.Target(v1::POLL_EVENT_READABLE), b.Target(v1::POLL_EVENT_READABLE)),
           absl::Now() + absl::Seconds(10), done2);
  auto future = done2.get_future();
  waiting->Start();
  EXPECT_EQ(future.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout);
  ASSERT_EQ(write(b.peer, "x", 1), 1);
  ASSERT_EQ(future.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  result = future.get();
  ASSERT_TRUE(result.ok());
  EXPECT_FALSE(result->timed_out);
  EXPECT_EQ(result->events[0] & v1::POLL_EVENT_READABLE, 0u);
  EXPECT_EQ(result->events[1] & v1::POLL_EVENT_READABLE,
            static_cast<uint32_t>(v1::POLL_EVENT_READABLE));
  // Nothing was read.
  char byte;
  EXPECT_EQ(read(b.mine, &byte, 1), 1);
}

TEST_F(PollSetTest, WakeForReadinessTheKernelCannotSee) {
  FakeSocket& a = a_;
  std::promise<Result> done;
  auto poll =
      Make(Targets(a.Target(v1::POLL_EVENT_READABLE)), absl::InfiniteFuture(), done);
  auto future = done.get_future();
  poll->Start();
  EXPECT_EQ(future.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout);
  a.Hold();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  Result result = future.get();
  ASSERT_TRUE(result.ok());
  // Every bit known is answered; the caller masks (writable is, too).
  EXPECT_EQ(result->events[0] & v1::POLL_EVENT_READABLE,
            static_cast<uint32_t>(v1::POLL_EVENT_READABLE));
  EXPECT_FALSE(result->timed_out);
}

TEST_F(PollSetTest, DeadlineLookOnceAndCancel) {
  FakeSocket& a = a_;
  std::promise<Result> timed;
  const absl::Time start = absl::Now();
  Make(Targets(a.Target(v1::POLL_EVENT_READABLE)), start + absl::Milliseconds(200), timed)
      ->Start();
  Result result = timed.get_future().get();
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->timed_out);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(190));

  std::promise<Result> once;
  Make(Targets(a.Target(v1::POLL_EVENT_READABLE)), absl::InfinitePast(), once)->Start();
  result = once.get_future().get();
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->timed_out);

  std::promise<Result> cancelled;
  auto poll =
      Make(Targets(a.Target(v1::POLL_EVENT_READABLE)), absl::InfiniteFuture(), cancelled);
  poll->Start();
  poll->Cancel();
  poll->Cancel();  // Finishes once.
  result = cancelled.get_future().get();
  EXPECT_EQ(GetSocketError(result.status()), v1::SOCKET_ERROR_CANCELLED);
  // A fresh socket is writable: asked for, it answers at once.
  std::promise<Result> writable_only;
  Make(Targets(a.Target(v1::POLL_EVENT_WRITABLE)), absl::InfinitePast(), writable_only)
      ->Start();
  result = writable_only.get_future().get();
  ASSERT_TRUE(result.ok());
  EXPECT_FALSE(result->timed_out);
}

}  // namespace
}  // namespace socketsvc
