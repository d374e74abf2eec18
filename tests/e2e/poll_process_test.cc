// Poll at scale against the socketd binary: 1,000 sockets in one Poll, four
// such Polls pending at once without a thread more in socketd, exactly the
// one socket that became readable reported, every epoll instance given back,
// and SIGTERM with a Poll still pending.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <deque>
#include <iostream>

#include "client/client.h"
#include "gtest/gtest.h"
#include "tests/e2e/poll_test_util.h"
#include "tests/e2e/socketd_process.h"

namespace socketsvc::e2e {
namespace {

// One Poll kept pending on the client's callback API.
struct PendingPoll {
  grpc::ClientContext context;
  v1::PollRequest request;
  v1::PollResponse response;
  grpc::Status status;
  std::atomic<bool> done{false};
};

bool WaitFor(const std::function<bool()>& condition, absl::Duration limit) {
  const absl::Time end = absl::Now() + limit;
  while (!condition()) {
    if (absl::Now() > end) return false;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return true;
}

TEST(PollProcessTest, ThousandHandlesNoThreadsExactlyTheReadyOne) {
  RaiseFdLimit();
  SocketdProcess socketd({"--shutdown_grace_ms=300"});
  ASSERT_TRUE(socketd.started());
  Client client = Client::Create(socketd.target());
  constexpr int kSessions = 1000;
  constexpr int kPolls = 4;
  AcceptingListener peer(kSessions + 16);

  std::vector<v1::ConnectResponse> sessions;
  for (int i = 0; i < kSessions; ++i) {
    absl::StatusOr<v1::ConnectResponse> c =
        client.Connect("127.0.0.1", peer.port(), 5000);
    ASSERT_TRUE(c.ok()) << i << ": " << c.status();
    sessions.push_back(*c);
  }
  ASSERT_TRUE(peer.AcceptAll(kSessions));
  const int threads_before = socketd.ThreadCount();
  const int fds_before = socketd.FdCount();

  const absl::Time started = absl::Now();
  std::deque<PendingPoll> polls(kPolls);
  for (PendingPoll& p : polls) {
    for (const v1::ConnectResponse& s : sessions) {
      *p.request.add_items() = PollFor(s.handle(), v1::POLL_EVENT_READABLE);
    }
    p.request.set_timeout_ms(-1);
    client.stub()->async()->Poll(&p.context, &p.request, &p.response,
                                 [&p](grpc::Status status) {
                                   p.status = std::move(status);
                                   p.done = true;
                                 });
  }
  // Every Poll holds its epoll instance once it waits.
  EXPECT_TRUE(WaitFor([&] { return socketd.FdCount() >= fds_before + kPolls; },
                      absl::Seconds(20)));
  absl::SleepFor(absl::Milliseconds(300));
  const absl::Duration to_pending = absl::Now() - started;
  for (PendingPoll& p : polls) EXPECT_FALSE(p.done.load());
  const int threads_during = socketd.ThreadCount();
  std::cerr << "socketd threads: " << threads_before << " with " << kSessions
            << " idle sessions, " << threads_during << " with " << kPolls << " Polls of "
            << kSessions << " handles pending (all pending within " << to_pending
            << "); fds " << fds_before << " -> " << socketd.FdCount() << "\n";
  EXPECT_LE(threads_during, threads_before + 4);

  // One socket of the thousand becomes readable.
  const v1::ConnectResponse& chosen = sessions[537];
  const int fd = peer.FdFor(chosen.local_port());
  ASSERT_GE(fd, 0);
  const absl::Time sent = absl::Now();
  ASSERT_EQ(write(fd, "!", 1), 1);
  for (PendingPoll& p : polls) {
    ASSERT_TRUE(WaitFor([&] { return p.done.load(); }, absl::Seconds(20)));
    ASSERT_TRUE(p.status.ok()) << p.status.error_message();
    EXPECT_FALSE(p.response.timed_out());
    EXPECT_EQ(Ready(p.response), ReadyEntry(chosen.handle(), v1::POLL_EVENT_READABLE));
  }
  std::cerr << "all " << kPolls << " Polls answered " << absl::Now() - sent
            << " after the byte was sent\n";
  // Nothing was read: the byte is still there for Receive.
  absl::StatusOr<v1::ReceiveResponse> got = client.Receive(chosen.handle(), 10, 1, 5000);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->data(), "!");
  // Every epoll instance was closed with its Poll.
  EXPECT_TRUE(WaitFor([&] { return socketd.FdCount() <= fds_before; }, absl::Seconds(10)))
      << socketd.FdCount() << " descriptors, " << fds_before << " before the Polls";

  // SIGTERM with a Poll pending: it ends, socketd exits 0 (under ASan: no leak).
  PendingPoll last;
  for (const v1::ConnectResponse& s : sessions) {
    *last.request.add_items() = PollFor(s.handle(), v1::POLL_EVENT_READABLE);
  }
  last.request.set_timeout_ms(-1);
  client.stub()->async()->Poll(&last.context, &last.request, &last.response,
                               [&last](grpc::Status status) {
                                 last.status = std::move(status);
                                 last.done = true;
                               });
  EXPECT_TRUE(WaitFor([&] { return socketd.FdCount() > fds_before; }, absl::Seconds(20)));
  const int status = socketd.SignalAndWait(SIGTERM, 20000);
  ASSERT_NE(status, -1) << "socketd did not exit after SIGTERM";
  EXPECT_TRUE(WIFEXITED(status)) << socketd.stderr_text();
  EXPECT_EQ(WEXITSTATUS(status), 0) << socketd.stderr_text();
  ASSERT_TRUE(WaitFor([&] { return last.done.load(); }, absl::Seconds(10)));
  // The shutdown ends the call (a peer's FIN during the drain may also
  // answer it first: HUP is then its answer).
  EXPECT_TRUE(last.status.error_code() == grpc::StatusCode::UNAVAILABLE ||
              last.status.error_code() == grpc::StatusCode::CANCELLED || last.status.ok())
      << last.status.error_code() << " " << last.status.error_message();
}

}  // namespace
}  // namespace socketsvc::e2e
