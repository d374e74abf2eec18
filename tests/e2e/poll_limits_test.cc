// Pending Poll calls are capped per principal (each holds an epoll
// descriptor): one caller cannot use up socketd's descriptors or every
// other caller's Polls. In-process socketd with bearer tokens.
#include <grpcpp/client_context.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "tests/e2e/auth_test_util.h"

namespace socketsvc::e2e {
namespace {

// kMaxPendingPollsPerPrincipal in service/sessions/poll_quota.h.
constexpr size_t kMaxPendingPollsPerPrincipal = 256;

// One Poll started with the callback API, so hundreds can be pending
// without a thread each.
struct PendingPoll {
  grpc::ClientContext context;
  v1::PollRequest request;
  v1::PollResponse response;
  grpc::Status status;
  absl::Notification done;
};

std::unique_ptr<PendingPoll> StartPoll(const Client& client, const std::string& token,
                                       const std::string& handle) {
  auto poll = std::make_unique<PendingPoll>();
  poll->context.AddMetadata("authorization", "Bearer " + token);
  v1::PollItem* item = poll->request.add_items();
  item->set_handle(handle);
  item->set_events(v1::POLL_EVENT_READABLE);
  poll->request.set_timeout_ms(-1);
  PendingPoll* raw = poll.get();
  client.stub()->async()->Poll(&raw->context, &raw->request, &raw->response,
                               [raw](grpc::Status status) {
                                 raw->status = std::move(status);
                                 raw->done.Notify();
                               });
  return poll;
}

TEST_F(AuthTest, PendingPollsAreCappedPerPrincipal) {
  Start(TokensOnly(
      WriteTokens(absl::StrCat(kAliceToken, " alice\n", kBobToken, " bob\n"))));
  const Client alice = Plain(kAliceToken);
  const Client bob = Plain(kBobToken);
  // A peer that never sends: Polls for READABLE stay pending.
  peers::RecordingPeer quiet;
  absl::StatusOr<v1::ConnectResponse> a = alice.Connect("127.0.0.1", quiet.port(), 5000);
  absl::StatusOr<v1::ConnectResponse> b = bob.Connect("127.0.0.1", quiet.port(), 5000);
  ASSERT_TRUE(a.ok() && b.ok());

  std::vector<std::unique_ptr<PendingPoll>> pending;
  for (size_t i = 0; i < kMaxPendingPollsPerPrincipal; ++i) {
    pending.push_back(StartPoll(alice, kAliceToken, a->handle()));
  }
  // Each of those holds its place once socketd has it; one more is refused
  // (retried briefly until every earlier one has arrived).
  std::unique_ptr<PendingPoll> refused;
  const absl::Time limit = absl::Now() + absl::Seconds(10);
  while (absl::Now() < limit) {
    refused = StartPoll(alice, kAliceToken, a->handle());
    if (refused->done.WaitForNotificationWithTimeout(absl::Milliseconds(500))) break;
    refused->context.TryCancel();
    refused->done.WaitForNotification();
  }
  ASSERT_TRUE(refused->done.HasBeenNotified());
  EXPECT_EQ(refused->status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << refused->status.error_message();
  EXPECT_NE(refused->status.error_message().find("pending Poll calls per caller"),
            std::string::npos)
      << refused->status.error_message();
  for (const auto& poll : pending) EXPECT_FALSE(poll->done.HasBeenNotified());

  // bob is not affected.
  std::vector<v1::PollItem> items(1);
  items[0].set_handle(b->handle());
  items[0].set_events(v1::POLL_EVENT_WRITABLE);
  absl::StatusOr<v1::PollResponse> bobs = bob.Poll(items, 5000);
  ASSERT_TRUE(bobs.ok()) << bobs.status();
  EXPECT_EQ(bobs->ready_size(), 1);

  // Ending one of alice's Polls gives her place back.
  pending[0]->context.TryCancel();
  pending[0]->done.WaitForNotification();
  std::unique_ptr<PendingPoll> again;
  bool admitted = false;
  const absl::Time limit2 = absl::Now() + absl::Seconds(10);
  while (!admitted && absl::Now() < limit2) {
    again = StartPoll(alice, kAliceToken, a->handle());
    admitted = !again->done.WaitForNotificationWithTimeout(absl::Milliseconds(300));
    if (!admitted) absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_TRUE(admitted) << "alice's place did not come back";
  pending.push_back(std::move(again));
  for (const auto& poll : pending) poll->context.TryCancel();
  for (const auto& poll : pending) poll->done.WaitForNotification();
}

}  // namespace
}  // namespace socketsvc::e2e
