#include "service/http/http_response.h"

#include "absl/strings/match.h"
#include "common/socket_error.h"
#include "gtest/gtest.h"

namespace socketsvc {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(784111777);  // 06 Nov 1994 08:49:37

v1::ServerSendRequest Send(unsigned status, std::string body = "") {
  v1::ServerSendRequest send;
  send.set_request_handle("r1.0123456789abcdef0123456789abcdef");
  send.set_status(status);
  send.set_body(std::move(body));
  return send;
}

void AddHeader(v1::ServerSendRequest& send, std::string name, std::string value) {
  v1::HttpHeader* header = send.add_headers();
  header->set_name(std::move(name));
  header->set_value(std::move(value));
}

std::string Bytes(const HttpResponse& response) {
  return response.head + std::string(response.body) + response.tail;
}

bool IsInvalid(const absl::StatusOr<HttpResponse>& response) {
  return !response.ok() &&
         response.status().code() == absl::StatusCode::kInvalidArgument &&
         GetSocketError(response.status()) == v1::SOCKET_ERROR_INVALID_REQUEST;
}

absl::StatusOr<HttpResponse> Build(const v1::ServerSendRequest& send,
                                   RequestFacts facts = {}, bool keep_alive = true) {
  return BuildResponse(send, facts, keep_alive, 1 << 20, kNow);
}

TEST(HttpResponseTest, ContentLengthDateAndTheStandardReason) {
  v1::ServerSendRequest send = Send(200, "hello");
  AddHeader(send, "Content-Type", "text/plain");
  AddHeader(send, "Set-Cookie", "a=1");
  AddHeader(send, "Set-Cookie", "b=2");
  absl::StatusOr<HttpResponse> response = Build(send);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(Bytes(*response),
            "HTTP/1.1 200 OK\r\n"
            "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Content-Type: text/plain\r\n"
            "Set-Cookie: a=1\r\n"
            "Set-Cookie: b=2\r\n"
            "Content-Length: 5\r\n"
            "\r\n"
            "hello");
  EXPECT_FALSE(response->close);
  EXPECT_EQ(response->size(), Bytes(*response).size());
}

TEST(HttpResponseTest, OwnReasonAndUnknownStatus) {
  v1::ServerSendRequest send = Send(299);
  absl::StatusOr<HttpResponse> response = Build(send);
  ASSERT_TRUE(response.ok());
  EXPECT_TRUE(absl::StartsWith(response->head, "HTTP/1.1 299 \r\n")) << response->head;
  send.set_reason("Fine Indeed");
  response = Build(send);
  ASSERT_TRUE(response.ok());
  EXPECT_TRUE(absl::StartsWith(response->head, "HTTP/1.1 299 Fine Indeed\r\n"));
}

TEST(HttpResponseTest, StatusOutside200To999IsRefused) {
  EXPECT_TRUE(IsInvalid(Build(Send(0))));
  EXPECT_TRUE(IsInvalid(Build(Send(100))));
  EXPECT_TRUE(IsInvalid(Build(Send(199))));
  EXPECT_TRUE(IsInvalid(Build(Send(1000))));
  EXPECT_TRUE(Build(Send(200)).ok());
  EXPECT_TRUE(Build(Send(999)).ok());
}

TEST(HttpResponseTest, ResponseSplittingIsRefused) {
  v1::ServerSendRequest send = Send(200);
  AddHeader(send, "X-A", "ok\r\nSet-Cookie: evil=1");
  EXPECT_TRUE(IsInvalid(Build(send)));
  send = Send(200);
  AddHeader(send, "X-A", "ok\nmore");
  EXPECT_TRUE(IsInvalid(Build(send)));
  send = Send(200);
  AddHeader(send, "X-A", std::string("a\0b", 3));
  EXPECT_TRUE(IsInvalid(Build(send)));
  send = Send(200);
  send.set_reason("OK\r\nX: y");
  EXPECT_TRUE(IsInvalid(Build(send)));
  send = Send(200);
  AddHeader(send, "X-Tab", "a\tb");  // HTAB is field text.
  EXPECT_TRUE(Build(send).ok());
}

TEST(HttpResponseTest, HeaderNamesMustBeTokens) {
  for (const char* name : {"", "Bad Name", "Bad:Name", "X\r\nY", "Ünicode", "a(b)"}) {
    v1::ServerSendRequest send = Send(200);
    AddHeader(send, name, "v");
    EXPECT_TRUE(IsInvalid(Build(send))) << name;
  }
  EXPECT_TRUE(IsHttpToken("X-Custom_Header.1!#$%&'*+^`|~"));
}

TEST(HttpResponseTest, ContentLengthMustMatchTheBody) {
  v1::ServerSendRequest send = Send(200, "abc");
  AddHeader(send, "Content-Length", "3");
  absl::StatusOr<HttpResponse> response = Build(send);
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(Bytes(*response).find("Content-Length: 3\r\n"),
            Bytes(*response).rfind("Content-Length"));  // Only once.
  send = Send(200, "abc");
  AddHeader(send, "content-length", "4");
  EXPECT_TRUE(IsInvalid(Build(send)));
  send = Send(200, "abc");
  AddHeader(send, "Content-Length", "-3");
  EXPECT_TRUE(IsInvalid(Build(send)));
  send = Send(200, "abc");
  AddHeader(send, "Content-Length", "3");
  AddHeader(send, "Content-Length", "3");
  response = Build(send);
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(Bytes(*response).find("Content-Length"),
            Bytes(*response).rfind("Content-Length"));
}

TEST(HttpResponseTest, ChunkedBodiesAreFramedBySocketd) {
  v1::ServerSendRequest send = Send(200, std::string(300, 'x'));
  AddHeader(send, "Transfer-Encoding", "chunked");
  absl::StatusOr<HttpResponse> response = Build(send);
  ASSERT_TRUE(response.ok());
  const std::string bytes = Bytes(*response);
  EXPECT_FALSE(absl::StrContains(bytes, "Content-Length"));
  EXPECT_TRUE(absl::StrContains(bytes, "Transfer-Encoding: chunked\r\n"));
  EXPECT_TRUE(
      absl::EndsWith(bytes, "\r\n\r\n12c\r\n" + std::string(300, 'x') + "\r\n0\r\n\r\n"));
  send = Send(200);
  AddHeader(send, "Transfer-Encoding", "chunked");
  response = Build(send);
  ASSERT_TRUE(response.ok());
  EXPECT_TRUE(absl::EndsWith(Bytes(*response), "\r\n\r\n0\r\n\r\n"));
  // Not with a length, not other codings, not to an HTTP/1.0 client.
  AddHeader(send, "Content-Length", "0");
  EXPECT_TRUE(IsInvalid(Build(send)));
  send = Send(200);
  AddHeader(send, "Transfer-Encoding", "gzip");
  EXPECT_TRUE(IsInvalid(Build(send)));
  send = Send(200);
  AddHeader(send, "Transfer-Encoding", "chunked");
  RequestFacts http10;
  http10.version = 10;
  EXPECT_TRUE(IsInvalid(Build(send, http10)));
}

TEST(HttpResponseTest, KeepAliveRules) {
  RequestFacts facts;
  absl::StatusOr<HttpResponse> response = Build(Send(200), facts);
  ASSERT_TRUE(response.ok());
  EXPECT_FALSE(response->close);
  EXPECT_FALSE(absl::StrContains(response->head, "Connection"));

  v1::ServerSendRequest closing = Send(200);
  closing.set_close(true);
  response = Build(closing, facts);
  EXPECT_TRUE(response->close);
  EXPECT_TRUE(absl::StrContains(response->head, "Connection: close\r\n"));

  response = Build(Send(200), facts, /*keep_alive=*/false);
  EXPECT_TRUE(response->close);  // ServerCreate keep_alive=false (no httpnoclose).

  v1::ServerSendRequest asks = Send(200);
  AddHeader(asks, "Connection", "close");
  response = Build(asks, facts);
  EXPECT_TRUE(response->close);
  EXPECT_EQ(response->head.find("Connection"), response->head.rfind("Connection"));

  facts.keep_alive = false;  // Connection: close, or HTTP/1.0 without keep-alive.
  response = Build(Send(200), facts);
  EXPECT_TRUE(response->close);

  RequestFacts http10;
  http10.version = 10;
  response = Build(Send(200), http10);
  EXPECT_FALSE(response->close);
  EXPECT_TRUE(absl::StrContains(response->head, "Connection: keep-alive\r\n"));

  v1::ServerSendRequest upgrade = Send(200);
  AddHeader(upgrade, "Connection", "upgrade");
  EXPECT_TRUE(IsInvalid(Build(upgrade)));
}

TEST(HttpResponseTest, HeadAndBodilessStatuses) {
  RequestFacts head;
  head.head = true;
  absl::StatusOr<HttpResponse> response = Build(Send(200, "12345"), head);
  ASSERT_TRUE(response.ok());
  EXPECT_TRUE(absl::StrContains(response->head, "Content-Length: 5\r\n"));
  EXPECT_TRUE(absl::EndsWith(Bytes(*response), "\r\n\r\n"));  // No body.
  v1::ServerSendRequest announced = Send(200);
  AddHeader(announced, "Content-Length", "99");
  EXPECT_TRUE(Build(announced, head).ok());

  response = Build(Send(204));
  ASSERT_TRUE(response.ok());
  EXPECT_FALSE(absl::StrContains(response->head, "Content-Length"));
  EXPECT_TRUE(IsInvalid(Build(Send(204, "x"))));
  EXPECT_TRUE(IsInvalid(Build(Send(304, "x"))));
  v1::ServerSendRequest not_modified = Send(304);
  AddHeader(not_modified, "Content-Length", "10");
  EXPECT_TRUE(Build(not_modified).ok());
}

TEST(HttpResponseTest, BodyLargerThanTheBoundIsRefused) {
  absl::StatusOr<HttpResponse> response =
      BuildResponse(Send(200, std::string(11, 'x')), {}, true, 10, kNow);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(GetSocketError(response.status()), v1::SOCKET_ERROR_LIMIT_EXCEEDED);
}

TEST(HttpResponseTest, OwnResponses) {
  const HttpResponse response = BuildOwnResponse(431, {}, /*close=*/true, kNow);
  EXPECT_EQ(response.head,
            "HTTP/1.1 431 Request Header Fields Too Large\r\n"
            "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Content-Type: text/plain\r\n"
            "Content-Length: 36\r\n"
            "Connection: close\r\n"
            "\r\n"
            "431 Request Header Fields Too Large\n");
  EXPECT_TRUE(response.close);
  RequestFacts head;
  head.head = true;
  const HttpResponse to_head = BuildOwnResponse(504, head, false, kNow);
  EXPECT_TRUE(absl::StartsWith(to_head.head, "HTTP/1.1 504 Gateway Timeout\r\n"));
  EXPECT_TRUE(absl::EndsWith(to_head.head, "Content-Length: 20\r\n\r\n"));
  EXPECT_EQ(StandardReason(413), "Payload Too Large");
  EXPECT_EQ(StandardReason(505), "HTTP Version Not Supported");
  EXPECT_EQ(StandardReason(799), "");
}

}  // namespace
}  // namespace socketsvc
