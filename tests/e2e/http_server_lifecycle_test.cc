// HTTP server instances over time: waiting ServerReceives (FIFO, timeouts,
// cancellation that loses no request), 504 for unanswered requests, 503 for
// a full queue and for ServerDelete, clients that vanish before their
// answer, and socketd shutting down under waiting calls.
#include <iostream>
#include <random>
#include <set>

#include "absl/cleanup/cleanup.h"
#include "tests/e2e/http_test_util.h"

namespace socketsvc::e2e {
namespace {

const std::string kGet = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";

std::string GetPath(const std::string& path) {
  return "GET " + path + " HTTP/1.1\r\nHost: t\r\n\r\n";
}

TEST_F(HttpServerTest, WaitersAreServedInArrivalOrderOneRequestEach) {
  const std::string id = CreateServer();
  constexpr int kWaiters = 3;
  std::vector<std::string> got(kWaiters);
  std::vector<std::thread> threads;
  for (int i = 0; i < kWaiters; ++i) {
    threads.emplace_back([&, i] {
      absl::StatusOr<v1::ServerReceiveResponse> request = http_->ServerReceive(id, 10000);
      if (request.ok() && !request->timed_out()) {
        got[i] = request->path();
        EXPECT_TRUE(Answer(request->request_handle(), 200, "").ok());
      }
    });
    // Waiter i is queued before waiter i+1 starts.
    ASSERT_TRUE(WaitForInfo(id, [&](const v1::ServerInfo& info) {
      return info.waiting_receivers() == static_cast<uint32_t>(i + 1);
    }));
  }
  std::vector<std::unique_ptr<RawHttpClient>> clients;
  for (int i = 0; i < kWaiters; ++i) {
    clients.push_back(std::make_unique<RawHttpClient>(PortOf(id)));
    ASSERT_TRUE(clients.back()->Write(GetPath("/" + std::to_string(i))));
    ASSERT_TRUE(clients.back()->ReadResponse());  // Served before the next is sent.
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(got, (std::vector<std::string>{"/0", "/1", "/2"}));
  const v1::ServerInfo info = ServerInfo(id);
  EXPECT_EQ(info.waiting_receivers(), 0u);
  EXPECT_EQ(info.requests_received(), 3u);
}

TEST_F(HttpServerTest, ReceiveTimesOutAndZeroDoesNotWait) {
  const std::string id = CreateServer();
  const absl::Time start = absl::Now();
  absl::StatusOr<v1::ServerReceiveResponse> none = http_->ServerReceive(id, 300);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->timed_out());
  EXPECT_TRUE(none->request_handle().empty());
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(290));
  none = http_->ServerReceive(id, 0);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->timed_out());
  // Unset timeout_ms: the gRPC deadline bounds it, answered just before.
  CallOptions short_rpc;
  short_rpc.rpc_timeout = absl::Milliseconds(500);
  none = http_->ServerReceive(id, std::nullopt, short_rpc);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->timed_out());
  EXPECT_TRUE(WaitForInfo(
      id, [](const v1::ServerInfo& i) { return i.waiting_receivers() == 0; }));
}

TEST_F(HttpServerTest, CancelledReceiveLeavesTheWaitersAndLosesNothing) {
  const std::string id = CreateServer();
  auto token = std::make_shared<CancelToken>();
  CallOptions cancellable;
  cancellable.cancel = token;
  std::thread waiter([&] {
    absl::StatusOr<v1::ServerReceiveResponse> r =
        http_->ServerReceive(id, -1, cancellable);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kCancelled) << r.status();
  });
  ASSERT_TRUE(WaitForInfo(
      id, [](const v1::ServerInfo& i) { return i.waiting_receivers() == 1; }));
  token->Cancel();
  waiter.join();
  ASSERT_TRUE(WaitForInfo(
      id, [](const v1::ServerInfo& i) { return i.waiting_receivers() == 0; }));
  RawHttpClient client(PortOf(id));
  ASSERT_TRUE(client.Write(kGet));
  std::optional<v1::ServerReceiveResponse> request = Take(id);
  ASSERT_TRUE(request);
  ASSERT_TRUE(Answer(request->request_handle(), 200, "").ok());
  EXPECT_TRUE(client.ReadResponse());
}

// Cancellations racing deliveries. socketd gives a request back when the
// cancellation reached it before the answer was out (OnDone sees the call
// cancelled); a cancellation that overtakes an answer already sent happens
// on the client alone, and that request is answered 504 at its response
// timeout. Either way every client gets exactly one answer and no request
// reaches two callers.
TEST_F(HttpServerTest, CancellationRacingDeliveryNeverLosesARequest) {
  v1::ServerCreateRequest create;
  create.mutable_limits()->set_response_timeout_ms(2000);
  create.mutable_limits()->set_max_pending_requests(1000);
  const std::string id = CreateServer(create);
  constexpr int kRequests = 150;
  std::atomic<bool> done{false};
  absl::Mutex mu;
  std::multiset<std::string> seen;
  std::atomic<int> cancelled{0};
  auto receiver = [&](bool cancelling) {
    std::mt19937 random(cancelling ? 7 : 11);
    while (!done) {
      auto token = std::make_shared<CancelToken>();
      CallOptions options;
      options.cancel = token;
      std::thread canceller;
      if (cancelling) {
        const int delay_us = std::uniform_int_distribution<int>(0, 3000)(random);
        canceller = std::thread([token, delay_us] {
          absl::SleepFor(absl::Microseconds(delay_us));
          token->Cancel();
        });
      }
      absl::StatusOr<v1::ServerReceiveResponse> r =
          http_->ServerReceive(id, 200, options);
      if (canceller.joinable()) canceller.join();
      if (!r.ok()) {
        if (r.status().code() == absl::StatusCode::kCancelled) ++cancelled;
        continue;
      }
      if (r->timed_out()) continue;
      {
        absl::MutexLock lock(&mu);
        seen.insert(r->path());
      }
      EXPECT_TRUE(Answer(r->request_handle(), 200, r->path()).ok());
    }
  };
  std::vector<std::thread> receivers;
  for (int i = 0; i < 3; ++i) receivers.emplace_back(receiver, /*cancelling=*/i < 2);
  absl::Cleanup join = [&] {
    done = true;
    for (std::thread& thread : receivers) thread.join();
  };
  std::vector<std::unique_ptr<RawHttpClient>> clients;
  for (int i = 0; i < kRequests; ++i) {
    clients.push_back(std::make_unique<RawHttpClient>(PortOf(id)));
    ASSERT_TRUE(clients.back()->Write(GetPath("/" + std::to_string(i))));
    if (i % 10 == 9) absl::SleepFor(absl::Milliseconds(5));
  }
  int answered = 0;
  int timed_out = 0;
  for (int i = 0; i < kRequests; ++i) {
    std::optional<RawResponse> response = clients[i]->ReadResponse();
    ASSERT_TRUE(response) << i << ServerInfo(id).DebugString();
    if (response->status_line == "HTTP/1.1 504 Gateway Timeout") {
      ++timed_out;
    } else {
      EXPECT_EQ(response->body, "/" + std::to_string(i));
      ++answered;
    }
  }
  std::move(join).Invoke();
  absl::MutexLock lock(&mu);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), seen.size())
      << "a request reached two callers";
  EXPECT_EQ(static_cast<int>(seen.size()), answered);
  EXPECT_EQ(answered + timed_out, kRequests);
  EXPECT_GT(cancelled.load(), 0);
  const v1::ServerInfo info = ServerInfo(id);
  EXPECT_EQ(info.responses_sent(), static_cast<uint64_t>(answered));
  EXPECT_EQ(info.response_timeouts(), static_cast<uint64_t>(timed_out));
  std::cout << "cancelled calls: " << cancelled << ", answered: " << answered
            << ", lost on the client side and answered 504: " << timed_out << std::endl;
}

TEST_F(HttpServerTest, UnansweredRequestsGet504AndTheHandleIsReleased) {
  v1::ServerCreateRequest create;
  create.mutable_limits()->set_response_timeout_ms(300);
  const std::string id = CreateServer(create);
  RawHttpClient client(PortOf(id));
  ASSERT_TRUE(client.Write(kGet));
  std::optional<v1::ServerReceiveResponse> request = Take(id);
  ASSERT_TRUE(request);
  std::optional<RawResponse> response = client.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status_line, "HTTP/1.1 504 Gateway Timeout");
  EXPECT_TRUE(HasError(Answer(request->request_handle(), 200, "late"),
                       absl::StatusCode::kNotFound, v1::SOCKET_ERROR_INVALID_HANDLE));
  // Never delivered at all: 504 too. The connection stays usable.
  ASSERT_TRUE(client.Write(kGet));
  response = client.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status_line, "HTTP/1.1 504 Gateway Timeout");
  const v1::ServerInfo info = ServerInfo(id);
  EXPECT_EQ(info.response_timeouts(), 2u);
  EXPECT_EQ(info.delivered_requests(), 0u);
  EXPECT_EQ(info.queued_requests(), 0u);
  EXPECT_EQ(info.connections_accepted(), 1u);
}

TEST_F(HttpServerTest, FullQueueAnswers503AndCloses) {
  v1::ServerCreateRequest create;
  create.mutable_limits()->set_max_pending_requests(1);
  const std::string id = CreateServer(create);
  RawHttpClient first(PortOf(id));
  ASSERT_TRUE(first.Write(GetPath("/first")));
  ASSERT_TRUE(
      WaitForInfo(id, [](const v1::ServerInfo& i) { return i.queued_requests() == 1; }));
  RawHttpClient second(PortOf(id));
  ASSERT_TRUE(second.Write(GetPath("/second")));
  std::optional<RawResponse> response = second.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status_line, "HTTP/1.1 503 Service Unavailable");
  EXPECT_EQ(response->Header("connection"), "close");
  EXPECT_TRUE(second.WaitClosed());
  EXPECT_EQ(ServerInfo(id).rejected_queue_full(), 1u);
  std::optional<v1::ServerReceiveResponse> request = Take(id);
  ASSERT_TRUE(request);
  EXPECT_EQ(request->path(), "/first");
  // Delivered but unanswered still counts as pending.
  RawHttpClient third(PortOf(id));
  ASSERT_TRUE(third.Write(GetPath("/third")));
  response = third.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status_line, "HTTP/1.1 503 Service Unavailable");
  ASSERT_TRUE(Answer(request->request_handle(), 200, "ok").ok());
  EXPECT_TRUE(first.ReadResponse());
}

TEST_F(HttpServerTest, DeleteAnswersPendingRequests503AndEndsWaiters) {
  const std::string id = CreateServer();
  RawHttpClient delivered(PortOf(id));
  ASSERT_TRUE(delivered.Write(GetPath("/delivered")));
  std::optional<v1::ServerReceiveResponse> taken = Take(id);
  ASSERT_TRUE(taken);
  RawHttpClient queued(PortOf(id));
  ASSERT_TRUE(queued.Write(GetPath("/queued")));
  RawHttpClient idle(PortOf(id));
  ASSERT_TRUE(WaitForInfo(id, [](const v1::ServerInfo& i) {
    return i.queued_requests() == 1 && i.open_connections() == 3;
  }));
  absl::StatusOr<v1::ServerDeleteResponse> deleted = http_->ServerDelete(id);
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(deleted->rejected_requests(), 2u);
  for (RawHttpClient* client : {&delivered, &queued}) {
    std::optional<RawResponse> response = client->ReadResponse();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status_line, "HTTP/1.1 503 Service Unavailable");
    EXPECT_EQ(response->Header("connection"), "close");
    EXPECT_TRUE(client->WaitClosed());
  }
  EXPECT_TRUE(idle.WaitClosed());
  EXPECT_TRUE(HasError(Answer(taken->request_handle(), 200, ""),
                       absl::StatusCode::kNotFound, v1::SOCKET_ERROR_INVALID_HANDLE));

  // A waiting ServerReceive ends ABORTED/NOT_CONNECTED.
  const std::string other = CreateServer();
  std::thread waiter([&] {
    EXPECT_TRUE(HasError(http_->ServerReceive(other, 10000), absl::StatusCode::kAborted,
                         v1::SOCKET_ERROR_NOT_CONNECTED));
  });
  ASSERT_TRUE(WaitForInfo(
      other, [](const v1::ServerInfo& i) { return i.waiting_receivers() == 1; }));
  ASSERT_TRUE(http_->ServerDelete(other).ok());
  waiter.join();
}

TEST_F(HttpServerTest, AClientThatLeftBeforeItsAnswerIsReported) {
  const std::string id = CreateServer();
  {
    RawHttpClient client(PortOf(id));
    ASSERT_TRUE(client.Write(kGet));
    std::optional<v1::ServerReceiveResponse> request = Take(id);
    ASSERT_TRUE(request);
    client.Close();  // FIN
    ASSERT_TRUE(WaitForInfo(
        id, [](const v1::ServerInfo& i) { return i.open_connections() == 0; }));
    EXPECT_TRUE(HasError(Answer(request->request_handle(), 200, "gone"),
                         absl::StatusCode::kUnavailable, v1::SOCKET_ERROR_NOT_CONNECTED));
  }
  {
    RawHttpClient client(PortOf(id));
    ASSERT_TRUE(client.Write(kGet));
    std::optional<v1::ServerReceiveResponse> request = Take(id);
    ASSERT_TRUE(request);
    client.Reset();  // RST
    ASSERT_TRUE(WaitForInfo(
        id, [](const v1::ServerInfo& i) { return i.open_connections() == 0; }));
    absl::StatusOr<v1::ServerSendResponse> sent =
        Answer(request->request_handle(), 200, "");
    ASSERT_TRUE(HasError(sent, absl::StatusCode::kUnavailable,
                         v1::SOCKET_ERROR_CONNECTION_RESET));
    EXPECT_EQ(GetErrorDetail(sent.status())->os_errno(), ECONNRESET);
    // Answered (by failing): the handle is gone.
    EXPECT_TRUE(HasError(Answer(request->request_handle(), 200, ""),
                         absl::StatusCode::kNotFound, v1::SOCKET_ERROR_INVALID_HANDLE));
  }
  {
    // Queued, never delivered: dropped, nobody gets it.
    RawHttpClient client(PortOf(id));
    ASSERT_TRUE(client.Write(kGet));
    ASSERT_TRUE(WaitForInfo(
        id, [](const v1::ServerInfo& i) { return i.queued_requests() == 1; }));
    client.Close();
    ASSERT_TRUE(WaitForInfo(
        id, [](const v1::ServerInfo& i) { return i.queued_requests() == 0; }));
    absl::StatusOr<v1::ServerReceiveResponse> none = http_->ServerReceive(id, 200);
    ASSERT_TRUE(none.ok());
    EXPECT_TRUE(none->timed_out());
  }
}

// A client that does not read: the write is bounded by ServerSend's
// timeout, or ended by cancelling it; either way the connection is aborted.
TEST_F(HttpServerTest, AnswersToAClientThatDoesNotReadTimeOutOrAreCancelled) {
  const std::string id = CreateServer();
  const std::string big(20 << 20, 'x');
  for (const bool cancel : {false, true}) {
    RawHttpClient client(PortOf(id));
    ASSERT_TRUE(client.Write(kGet));
    std::optional<v1::ServerReceiveResponse> request = Take(id);
    ASSERT_TRUE(request);
    v1::ServerSendRequest answer;
    answer.set_request_handle(request->request_handle());
    answer.set_status(200);
    answer.set_body(big);
    CallOptions options;
    if (cancel) {
      options.cancel = std::make_shared<CancelToken>();
    } else {
      answer.set_timeout_ms(300);
    }
    std::thread canceller([&] {
      if (!cancel) return;
      absl::SleepFor(absl::Milliseconds(300));
      options.cancel->Cancel();
    });
    absl::StatusOr<v1::ServerSendResponse> sent = http_->ServerSend(answer, options);
    canceller.join();
    if (cancel) {
      EXPECT_EQ(sent.status().code(), absl::StatusCode::kCancelled) << sent.status();
    } else {
      EXPECT_TRUE(HasError(sent, absl::StatusCode::kDeadlineExceeded,
                           v1::SOCKET_ERROR_TIMED_OUT));
    }
    EXPECT_TRUE(WaitForInfo(
        id, [](const v1::ServerInfo& i) { return i.open_connections() == 0; }));
  }
  EXPECT_EQ(ServerInfo(id).responses_sent(), 0u);
}

TEST_F(HttpServerTest, ShutdownEndsWaitersAndClosesClients) {
  const std::string id = CreateServer();
  const std::string busy = CreateServer();
  RawHttpClient client(PortOf(busy));
  ASSERT_TRUE(client.Write(kGet));
  ASSERT_TRUE(WaitForInfo(
      busy, [](const v1::ServerInfo& i) { return i.queued_requests() == 1; }));
  std::vector<std::thread> waiters;
  std::atomic<int> ended{0};
  for (int i = 0; i < 4; ++i) {
    waiters.emplace_back([&] {
      absl::StatusOr<v1::ServerReceiveResponse> r = http_->ServerReceive(id, -1);
      EXPECT_FALSE(r.ok());
      ++ended;
    });
  }
  ASSERT_TRUE(WaitForInfo(
      id, [](const v1::ServerInfo& i) { return i.waiting_receivers() == 4; }));
  const absl::Time start = absl::Now();
  server_->Shutdown(absl::Milliseconds(200));
  for (std::thread& thread : waiters) thread.join();
  EXPECT_EQ(ended.load(), 4);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  // The queued request's client got 503 or a closed connection, no hang.
  std::optional<RawResponse> response = client.ReadResponse();
  if (response) {
    EXPECT_EQ(response->status_line, "HTTP/1.1 503 Service Unavailable");
  }
  EXPECT_TRUE(client.WaitClosed());
  RawHttpClient refused(PortOf(id));
  EXPECT_FALSE(refused.connected());
}

}  // namespace
}  // namespace socketsvc::e2e
