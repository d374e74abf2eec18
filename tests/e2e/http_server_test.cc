// HTTP server instances over raw sockets: what a caller receives, what a
// client reads back byte for byte, keep-alive, pipelining, and every request
// socketd refuses on its own (none of which reaches a caller).
#include <regex>

#include "tests/e2e/http_test_util.h"

namespace socketsvc::e2e {
namespace {

TEST_F(HttpServerTest, CreateAnswersIdPortAndInfo) {
  absl::StatusOr<v1::ServerCreateResponse> created = http_->ServerCreate({});
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_TRUE(std::regex_match(created->server_id(), std::regex("h1\\.[0-9a-f]{32}")))
      << created->server_id();
  EXPECT_EQ(created->bound_address(), "127.0.0.1");
  ASSERT_NE(created->port(), 0u);
  v1::ServerInfo info = ServerInfo(created->server_id());
  EXPECT_EQ(info.server_id(), created->server_id());
  EXPECT_EQ(info.port(), created->port());
  EXPECT_FALSE(info.tls());
  EXPECT_EQ(info.open_connections(), 0u);
  v1::ServerCreateRequest v6;
  v6.set_bind_address("::1");
  absl::StatusOr<v1::ServerCreateResponse> on_v6 = http_->ServerCreate(v6);
  ASSERT_TRUE(on_v6.ok()) << on_v6.status();
  EXPECT_EQ(on_v6->bound_address(), "::1");
}

TEST_F(HttpServerTest, CreateRefusesBadFieldsAndTakenPorts) {
  auto invalid = [&](const v1::ServerCreateRequest& request) {
    return HasError(http_->ServerCreate(request), absl::StatusCode::kInvalidArgument,
                    v1::SOCKET_ERROR_INVALID_REQUEST);
  };
  v1::ServerCreateRequest request;
  request.set_bind_address("localhost");  // Literals only.
  EXPECT_TRUE(invalid(request));
  request.Clear();
  request.set_port(65536);
  EXPECT_TRUE(invalid(request));
  request.Clear();
  request.mutable_limits()->set_max_body_bytes(1ull << 40);
  EXPECT_TRUE(invalid(request));
  request.Clear();
  request.mutable_limits()->set_idle_timeout_ms(-5);
  EXPECT_TRUE(invalid(request));
  request.Clear();
  request.mutable_tls()->set_cert_pem("-----BEGIN CERTIFICATE-----\ngarbage\n");
  request.mutable_tls()->set_key_pem("garbage");
  EXPECT_TRUE(invalid(request));
  request.Clear();
  request.mutable_tls()->set_key_pem("a key without a certificate");
  EXPECT_TRUE(invalid(request));

  const std::string first = CreateServer();
  request.Clear();
  request.set_port(PortOf(first));
  absl::StatusOr<v1::ServerCreateResponse> taken = http_->ServerCreate(request);
  ASSERT_TRUE(HasError(taken, absl::StatusCode::kFailedPrecondition,
                       v1::SOCKET_ERROR_ADDRESS_IN_USE));
  EXPECT_EQ(GetErrorDetail(taken.status())->os_errno(), EADDRINUSE);
}

TEST_F(HttpServerTest, UnknownEmptyAndDeletedIds) {
  const auto kNotFound = absl::StatusCode::kNotFound;
  const auto kInvalidHandle = v1::SOCKET_ERROR_INVALID_HANDLE;
  EXPECT_TRUE(HasError(http_->ServerReceive("", 0), absl::StatusCode::kInvalidArgument,
                       v1::SOCKET_ERROR_INVALID_REQUEST));
  EXPECT_TRUE(HasError(http_->ServerReceive("garbage", 0), kNotFound, kInvalidHandle));
  EXPECT_TRUE(HasError(http_->ServerReceive("h1.0123456789abcdef0123456789abcdef", 0),
                       kNotFound, kInvalidHandle));
  // A request handle is not a server id, nor the other way round.
  EXPECT_TRUE(HasError(http_->GetServerInfo("r1.0123456789abcdef0123456789abcdef"),
                       kNotFound, kInvalidHandle));
  v1::ServerSendRequest send;
  send.set_status(200);
  EXPECT_TRUE(HasError(http_->ServerSend(send), absl::StatusCode::kInvalidArgument,
                       v1::SOCKET_ERROR_INVALID_REQUEST));
  send.set_request_handle("r1.0123456789abcdef0123456789abcdef");
  EXPECT_TRUE(HasError(http_->ServerSend(send), kNotFound, kInvalidHandle));
  const std::string id = CreateServer();
  send.set_request_handle(id);
  EXPECT_TRUE(HasError(http_->ServerSend(send), kNotFound, kInvalidHandle));
  EXPECT_TRUE(HasError(http_->ServerDelete(""), absl::StatusCode::kInvalidArgument,
                       v1::SOCKET_ERROR_INVALID_REQUEST));
  ASSERT_TRUE(http_->ServerDelete(id).ok());
  EXPECT_TRUE(HasError(http_->ServerDelete(id), kNotFound, kInvalidHandle));
  EXPECT_TRUE(HasError(http_->GetServerInfo(id), kNotFound, kInvalidHandle));
  EXPECT_TRUE(HasError(http_->ServerReceive(id, 0), kNotFound, kInvalidHandle));
  // The port is free again.
  RawHttpClient refused(PortOf(id));
  EXPECT_FALSE(refused.connected());
}

TEST_F(HttpServerTest, RequestFieldsAndTheExactResponse) {
  const std::string id = CreateServer();
  RawHttpClient client(PortOf(id));
  ASSERT_TRUE(client.Write(
      "GET /a/b?x=1&y=2 HTTP/1.1\r\nHost: test\r\nX-Rep: one\r\nx-rep: two\r\n\r\n"));
  std::optional<v1::ServerReceiveResponse> request = Take(id);
  ASSERT_TRUE(request);
  EXPECT_TRUE(
      std::regex_match(request->request_handle(), std::regex("r1\\.[0-9a-f]{32}")));
  EXPECT_EQ(request->method(), "GET");
  EXPECT_EQ(request->uri(), "/a/b?x=1&y=2");
  EXPECT_EQ(request->path(), "/a/b");
  EXPECT_EQ(request->query(), "x=1&y=2");
  EXPECT_EQ(request->http_version(), "HTTP/1.1");
  ASSERT_EQ(request->headers_size(), 3);
  EXPECT_EQ(request->headers(0).name(), "Host");
  EXPECT_EQ(request->headers(1).name(), "X-Rep");
  EXPECT_EQ(request->headers(1).value(), "one");
  EXPECT_EQ(request->headers(2).name(), "x-rep");
  EXPECT_EQ(request->headers(2).value(), "two");
  EXPECT_EQ(request->body(), "");
  EXPECT_EQ(request->peer_address(), "127.0.0.1");
  EXPECT_EQ(request->peer_port(), client.local_port());
  EXPECT_EQ(request->client_cert_subject(), "");
  EXPECT_EQ(ServerInfo(id).delivered_requests(), 1u);

  v1::ServerSendRequest answer;
  answer.set_request_handle(request->request_handle());
  answer.set_status(201);
  answer.set_body("made");
  v1::HttpHeader* header = answer.add_headers();
  header->set_name("Location");
  header->set_value("/a/b/1");
  absl::StatusOr<v1::ServerSendResponse> sent = http_->ServerSend(answer);
  ASSERT_TRUE(sent.ok()) << sent.status();
  std::optional<RawResponse> response = client.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status_line, "HTTP/1.1 201 Created");
  EXPECT_EQ(response->Header("location"), "/a/b/1");
  EXPECT_EQ(response->Header("content-length"), "4");
  EXPECT_NE(response->Header("date"), "");
  EXPECT_EQ(response->Header("connection"), "");
  EXPECT_EQ(response->body, "made");
  EXPECT_EQ(sent->bytes_sent(), response->raw.size());

  // Answered once: the handle is gone. An invalid answer does not use it up.
  EXPECT_TRUE(HasError(http_->ServerSend(answer), absl::StatusCode::kNotFound,
                       v1::SOCKET_ERROR_INVALID_HANDLE));
  ASSERT_TRUE(client.Write("GET /next HTTP/1.1\r\nHost: test\r\n\r\n"));
  request = Take(id);
  ASSERT_TRUE(request);
  answer.set_request_handle(request->request_handle());
  answer.set_status(150);
  EXPECT_TRUE(HasError(http_->ServerSend(answer), absl::StatusCode::kInvalidArgument,
                       v1::SOCKET_ERROR_INVALID_REQUEST));
  header->set_value("split\r\nSet-Cookie: evil=1");
  answer.set_status(200);
  EXPECT_TRUE(HasError(http_->ServerSend(answer), absl::StatusCode::kInvalidArgument,
                       v1::SOCKET_ERROR_INVALID_REQUEST));
  answer.clear_headers();
  ASSERT_TRUE(http_->ServerSend(answer).ok());
  response = client.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status_line, "HTTP/1.1 200 OK");
  v1::ServerInfo info = ServerInfo(id);
  EXPECT_EQ(info.requests_received(), 2u);
  EXPECT_EQ(info.responses_sent(), 2u);
  EXPECT_EQ(info.delivered_requests(), 0u);
  EXPECT_EQ(info.connections_accepted(), 1u);
}

TEST_F(HttpServerTest, PipelinedRequestsAreParsedOneAtATimeAndAnsweredInOrder) {
  const std::string id = CreateServer();
  RawHttpClient client(PortOf(id));
  ASSERT_TRUE(
      client.Write("GET /1 HTTP/1.1\r\nHost: t\r\n\r\n"
                   "POST /2 HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\ntwo"
                   "GET /3 HTTP/1.1\r\nHost: t\r\n\r\n"));
  for (const std::string path : {"/1", "/2", "/3"}) {
    std::optional<v1::ServerReceiveResponse> request = Take(id);
    ASSERT_TRUE(request);
    EXPECT_EQ(request->path(), path);
    // The next one is not parsed before this one is answered.
    absl::StatusOr<v1::ServerReceiveResponse> early = http_->ServerReceive(id, 200);
    ASSERT_TRUE(early.ok());
    EXPECT_TRUE(early->timed_out());
    EXPECT_EQ(ServerInfo(id).queued_requests(), 0u);
    ASSERT_TRUE(Answer(request->request_handle(), 200, "answer" + path).ok());
  }
  for (const std::string path : {"/1", "/2", "/3"}) {
    std::optional<RawResponse> response = client.ReadResponse();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->body, "answer" + path);
  }
  EXPECT_EQ(ServerInfo(id).connections_accepted(), 1u);
}

TEST_F(HttpServerTest, Http10ClosesUnlessKeepAliveAndHttpnoclose) {
  const std::string id = CreateServer();
  {
    RawHttpClient client(PortOf(id));
    ASSERT_TRUE(client.Write("GET /old HTTP/1.0\r\n\r\n"));
    std::optional<v1::ServerReceiveResponse> request = Take(id);
    ASSERT_TRUE(request);
    EXPECT_EQ(request->http_version(), "HTTP/1.0");
    ASSERT_TRUE(Answer(request->request_handle(), 200, "x").ok());
    std::optional<RawResponse> response = client.ReadResponse();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->Header("connection"), "close");
    EXPECT_TRUE(client.WaitClosed());
  }
  {
    RawHttpClient client(PortOf(id));
    for (int i = 0; i < 2; ++i) {
      ASSERT_TRUE(client.Write("GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
      std::optional<v1::ServerReceiveResponse> request = Take(id);
      ASSERT_TRUE(request);
      ASSERT_TRUE(Answer(request->request_handle(), 200, "x").ok());
      std::optional<RawResponse> response = client.ReadResponse();
      ASSERT_TRUE(response);
      EXPECT_EQ(response->Header("connection"), "keep-alive");
    }
  }
  {
    // ServerSend.close ends a keep-alive connection.
    RawHttpClient client(PortOf(id));
    ASSERT_TRUE(client.Write("GET / HTTP/1.1\r\nHost: t\r\n\r\n"));
    std::optional<v1::ServerReceiveResponse> request = Take(id);
    ASSERT_TRUE(request);
    ASSERT_TRUE(Answer(request->request_handle(), 200, "x", /*close=*/true).ok());
    std::optional<RawResponse> response = client.ReadResponse();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->Header("connection"), "close");
    EXPECT_TRUE(client.WaitClosed());
  }
  // keep_alive=false at ServerCreate (Tibbo without httpnoclose): every
  // response closes.
  v1::ServerCreateRequest no_keep_alive;
  no_keep_alive.set_keep_alive(false);
  const std::string closing = CreateServer(no_keep_alive);
  RawHttpClient client(PortOf(closing));
  ASSERT_TRUE(client.Write("GET / HTTP/1.1\r\nHost: t\r\n\r\n"));
  std::optional<v1::ServerReceiveResponse> request = Take(closing);
  ASSERT_TRUE(request);
  ASSERT_TRUE(Answer(request->request_handle(), 200, "x").ok());
  std::optional<RawResponse> response = client.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->Header("connection"), "close");
  EXPECT_TRUE(client.WaitClosed());
}

TEST_F(HttpServerTest, RefusedRequestsAreAnsweredBySocketdAndCounted) {
  v1::ServerCreateRequest create;
  create.mutable_limits()->set_max_header_bytes(4096);
  create.mutable_limits()->set_max_body_bytes(100);
  const std::string id = CreateServer(create);
  struct Case {
    std::string request;
    std::string status_line;
  };
  const std::vector<Case> cases = {
      {"GARBAGE\r\n\r\n", "HTTP/1.1 400 Bad Request"},
      {"GET / HTTP/1.1\r\nBad Header\r\n\r\n", "HTTP/1.1 400 Bad Request"},
      {"GET / HTTP/1.1\r\nX-Big: " + std::string(8000, 'a') + "\r\n\r\n",
       "HTTP/1.1 431 Request Header Fields Too Large"},
      // Refused from Content-Length alone: the body is never sent.
      {"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 101\r\n\r\n",
       "HTTP/1.1 413 Payload Too Large"},
      {"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
       "65\r\n" +
           std::string(101, 'x') + "\r\n0\r\n\r\n",
       "HTTP/1.1 413 Payload Too Large"},
      {"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\nxyz",
       "HTTP/1.1 501 Not Implemented"},
      {"GET / HTTP/2.0\r\nHost: t\r\n\r\n", "HTTP/1.1 505 HTTP Version Not Supported"},
      {"POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
       "HTTP/1.1 400 Bad Request"},
  };
  for (const Case& c : cases) {
    RawHttpClient client(PortOf(id));
    ASSERT_TRUE(client.Write(c.request));
    std::optional<RawResponse> response = client.ReadResponse();
    ASSERT_TRUE(response) << c.status_line;
    EXPECT_EQ(response->status_line, c.status_line);
    EXPECT_EQ(response->Header("connection"), "close");
    EXPECT_TRUE(client.WaitClosed()) << c.status_line;
  }
  absl::StatusOr<v1::ServerReceiveResponse> none = http_->ServerReceive(id, 300);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->timed_out());
  const v1::ServerInfo info = ServerInfo(id);
  EXPECT_EQ(info.rejected_bad_request(), 3u);
  EXPECT_EQ(info.rejected_headers_too_large(), 1u);
  EXPECT_EQ(info.rejected_body_too_large(), 2u);
  EXPECT_EQ(info.rejected_not_implemented(), 2u);
  EXPECT_EQ(info.requests_received(), 0u);
  EXPECT_EQ(info.queued_requests(), 0u);
  EXPECT_EQ(info.connections_accepted(), cases.size());
}

TEST_F(HttpServerTest, ExpectContinueOnlyWhenTheBodyFits) {
  v1::ServerCreateRequest create;
  create.mutable_limits()->set_max_body_bytes(10);
  const std::string id = CreateServer(create);
  RawHttpClient client(PortOf(id));
  ASSERT_TRUE(
      client.Write("PUT /up HTTP/1.1\r\nHost: t\r\nExpect: "
                   "100-continue\r\nContent-Length: 5\r\n\r\n"));
  std::optional<std::string> interim = client.ReadUntil("\r\n\r\n");
  ASSERT_TRUE(interim);
  EXPECT_EQ(*interim, "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_TRUE(client.Write("hello"));
  std::optional<v1::ServerReceiveResponse> request = Take(id);
  ASSERT_TRUE(request);
  EXPECT_EQ(request->body(), "hello");
  ASSERT_TRUE(Answer(request->request_handle(), 204, "").ok());
  std::optional<RawResponse> response = client.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status_line, "HTTP/1.1 204 No Content");

  RawHttpClient too_big(PortOf(id));
  ASSERT_TRUE(
      too_big.Write("PUT /up HTTP/1.1\r\nHost: t\r\nExpect: "
                    "100-continue\r\nContent-Length: 11\r\n\r\n"));
  response = too_big.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status_line, "HTTP/1.1 413 Payload Too Large");
}

TEST_F(HttpServerTest, IdleConnectionsCloseAndMaxConnectionsHolds) {
  v1::ServerCreateRequest create;
  create.mutable_limits()->set_idle_timeout_ms(300);
  create.mutable_limits()->set_max_connections(1);
  const std::string id = CreateServer(create);
  RawHttpClient first(PortOf(id));
  ASSERT_TRUE(
      WaitForInfo(id, [](const v1::ServerInfo& i) { return i.open_connections() == 1; }));
  RawHttpClient second(PortOf(id));
  EXPECT_TRUE(second.WaitClosed(std::chrono::seconds(5)));  // Closed at once.
  ASSERT_TRUE(WaitForInfo(
      id, [](const v1::ServerInfo& i) { return i.rejected_connections() == 1; }));
  // The first one is served, then closed once idle.
  ASSERT_TRUE(first.Write("GET / HTTP/1.1\r\nHost: t\r\n\r\n"));
  std::optional<v1::ServerReceiveResponse> request = Take(id);
  ASSERT_TRUE(request);
  ASSERT_TRUE(Answer(request->request_handle(), 200, "x").ok());
  ASSERT_TRUE(first.ReadResponse());
  const absl::Time answered = absl::Now();
  EXPECT_TRUE(first.WaitClosed(std::chrono::seconds(5)));
  EXPECT_GE(absl::Now() - answered, absl::Milliseconds(250));
  EXPECT_TRUE(
      WaitForInfo(id, [](const v1::ServerInfo& i) { return i.open_connections() == 0; }));
}

}  // namespace
}  // namespace socketsvc::e2e
