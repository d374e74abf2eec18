// wrk sends 20,000 numbered requests over 8 keep-alive connections to an
// HTTP server instance served by 4 caller threads (ServerReceive →
// ServerSend). Every request must be answered exactly once: wrk's count of
// responses, the callers' deliveries and answers and socketd's counters must
// agree, with no request delivered twice and none lost.
#include <signal.h>

#include <iostream>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "tests/e2e/http_test_util.h"
#include "tests/tls/subprocess.h"

namespace socketsvc::e2e {
namespace {

constexpr int kWrkThreads = 2;
constexpr int kConnections = 8;
constexpr int kRequestsPerThread = 10000;

// Each wrk thread numbers its requests (/r/<thread>/<n>) and stops after
// kRequestsPerThread responses; done() prints exact counts.
std::string WrkScript() {
  return absl::StrCat(R"lua(
local next_thread = 0
function setup(thread)
  thread:set("thread_id", next_thread)
  next_thread = next_thread + 1
end
local counter = 0
local responses = 0
function request()
  counter = counter + 1
  return wrk.format("GET", "/r/" .. thread_id .. "/" .. counter)
end
function response(status, headers, body)
  responses = responses + 1
  if responses >= )lua",
                      kRequestsPerThread, R"lua( then wrk.thread:stop() end
end
function done(summary, latency, requests)
  io.write(string.format(
      "summary requests=%d non2xx=%d connect=%d read=%d write=%d timeout=%d us=%d\n",
      summary.requests, summary.errors.status, summary.errors.connect,
      summary.errors.read, summary.errors.write, summary.errors.timeout,
      summary.duration))
end
)lua");
}

std::map<std::string, int64_t> ParseSummary(const std::string& output) {
  std::map<std::string, int64_t> values;
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    if (!absl::StartsWith(line, "summary ")) continue;
    for (absl::string_view field : absl::StrSplit(line.substr(8), ' ')) {
      std::vector<std::string> kv = absl::StrSplit(field, '=');
      int64_t value = 0;
      if (kv.size() == 2 && absl::SimpleAtoi(kv[1], &value)) values[kv[0]] = value;
    }
  }
  return values;
}

TEST_F(HttpServerTest, WrkTwentyThousandRequestsAnsweredExactlyOnce) {
  const std::string id = CreateServer();
  ReceiveLoop loop(
      *http_, id, /*threads=*/4,
      [](const v1::ServerReceiveResponse& request, v1::ServerSendRequest& answer) {
        answer.set_status(200);
        answer.set_body(request.path());
      });
  tls::TempDir dir("wrk");
  ASSERT_TRUE(tls::WriteFile(dir.File("count.lua"), WrkScript()));
  const absl::Time start = absl::Now();
  absl::StatusOr<std::unique_ptr<tls::Subprocess>> wrk = tls::Subprocess::Start(
      {"wrk", absl::StrCat("-t", kWrkThreads), absl::StrCat("-c", kConnections), "-d55s",
       "--timeout", "10s", "-s", dir.File("count.lua"),
       absl::StrCat("http://127.0.0.1:", PortOf(id), "/")});
  ASSERT_TRUE(wrk.ok()) << wrk.status();
  // Each wrk thread stops on its own after its requests, but wrk itself
  // sleeps out -d: once the answers stop coming, SIGINT makes it report.
  constexpr int64_t kTotal = kWrkThreads * kRequestsPerThread;
  while (loop.answered() < kTotal && absl::Now() - start < absl::Seconds(55)) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  const absl::Duration took = absl::Now() - start;
  for (int64_t last = -1; loop.answered() != last;) {
    last = loop.answered();
    absl::SleepFor(absl::Milliseconds(300));
  }
  kill((*wrk)->pid(), SIGINT);
  ASSERT_TRUE((*wrk)->WaitForExit(std::chrono::seconds(10)).has_value());
  (*wrk)->Stop();
  const std::string output = (*wrk)->Output();
  std::cout << output << kTotal << " requests answered in " << took << ": "
            << kTotal / absl::ToDoubleSeconds(took) << " requests/s through socketd"
            << std::endl;
  std::map<std::string, int64_t> summary = ParseSummary(output);
  ASSERT_EQ(summary.count("requests"), 1u) << output;
  const int64_t wrk_responses = summary["requests"];
  EXPECT_GE(wrk_responses, kTotal);
  EXPECT_EQ(summary["non2xx"], 0);
  EXPECT_EQ(summary["connect"], 0);
  EXPECT_EQ(summary["read"], 0);
  EXPECT_EQ(summary["write"], 0);
  EXPECT_EQ(summary["timeout"], 0);

  // wrk stopped with up to one request per connection in flight; those
  // are answered (to a closed socket) or dropped once their client is gone.
  ASSERT_TRUE(WaitForInfo(id, [](const v1::ServerInfo& info) {
    return info.queued_requests() == 0 && info.delivered_requests() == 0;
  }));
  loop.Stop();
  const int64_t delivered = loop.delivered();
  EXPECT_EQ(delivered, loop.answered() + loop.answer_failures());
  EXPECT_GE(loop.answered(), wrk_responses);
  EXPECT_LE(delivered, wrk_responses + kConnections);
  EXPECT_LE(loop.answer_failures(), kConnections);
  for (const absl::Status& failure : loop.failures()) {
    EXPECT_EQ(failure.code(), absl::StatusCode::kUnavailable) << failure;
  }
  std::set<std::string> paths;
  for (const v1::ServerReceiveResponse& request : loop.requests()) {
    EXPECT_TRUE(paths.insert(request.path()).second) << "twice: " << request.path();
  }
  EXPECT_EQ(static_cast<int64_t>(paths.size()), delivered);
  const v1::ServerInfo info = ServerInfo(id);
  EXPECT_EQ(static_cast<int64_t>(info.requests_received()), delivered);
  EXPECT_EQ(static_cast<int64_t>(info.responses_sent()), loop.answered());
  EXPECT_EQ(info.response_timeouts(), 0u);
  EXPECT_EQ(info.rejected_queue_full(), 0u);
  EXPECT_EQ(info.rejected_bad_request(), 0u);
  // wrk probes the address with one connection before it starts.
  EXPECT_LE(info.connections_accepted(), static_cast<uint64_t>(kConnections + 1));
}

}  // namespace
}  // namespace socketsvc::e2e
