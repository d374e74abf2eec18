#include "service/http/http_request.h"

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/beast/http/parser.hpp>

#include "gtest/gtest.h"

namespace socketsvc {
namespace {

namespace http = boost::beast::http;

struct Parsed {
  boost::system::error_code ec;
  std::unique_ptr<http::request_parser<http::string_body>> parser;
};

// Feeds `text` to a parser set up as a connection sets it up.
Parsed Parse(const std::string& text, uint32_t header_limit = 1024,
             uint64_t body_limit = 100) {
  Parsed parsed;
  parsed.parser = std::make_unique<http::request_parser<http::string_body>>();
  parsed.parser->header_limit(header_limit);
  parsed.parser->body_limit(body_limit);
  parsed.parser->eager(true);
  size_t offset = 0;
  while (offset < text.size() && !parsed.parser->is_done()) {
    const size_t used = parsed.parser->put(
        boost::asio::buffer(text.data() + offset, text.size() - offset), parsed.ec);
    offset += used;
    if (parsed.ec == http::error::need_more) {
      parsed.ec = {};
      break;
    }
    if (parsed.ec) break;
  }
  return parsed;
}

unsigned HeadStatus(const std::string& text) {
  Parsed parsed = Parse(text);
  if (parsed.ec) return StatusForParseError(parsed.ec, text);
  EXPECT_FALSE(parsed.ec) << parsed.ec.message();
  EXPECT_TRUE(parsed.parser->is_header_done());
  return CheckRequestHead(parsed.parser->get());
}

TEST(HttpRequestTest, ParseErrorsMapToStatuses) {
  EXPECT_EQ(StatusForParseError(
                Parse("GET / HTTP/1.1\r\nX: " + std::string(2000, 'a') + "\r\n\r\n").ec),
            431u);
  EXPECT_EQ(
      StatusForParseError(Parse("POST / HTTP/1.1\r\nContent-Length: 101\r\n\r\n").ec),
      413u);
  EXPECT_EQ(StatusForParseError(Parse("POST / HTTP/1.1\r\nTransfer-Encoding: "
                                      "chunked\r\n\r\n65\r\n" +
                                      std::string(101, 'x') + "\r\n0\r\n\r\n")
                                    .ec),
            413u);
  EXPECT_EQ(StatusForParseError(Parse("GARBAGE\r\n\r\n").ec), 400u);
  EXPECT_EQ(StatusForParseError(Parse("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n").ec), 400u);
  EXPECT_EQ(
      StatusForParseError(
          Parse("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n").ec),
      400u);
  // Smuggling: a length and chunked together.
  EXPECT_EQ(StatusForParseError(Parse("POST / HTTP/1.1\r\nContent-Length: 3\r\n"
                                      "Transfer-Encoding: chunked\r\n\r\n")
                                    .ec),
            400u);
  EXPECT_EQ(StatusForParseError(http::error::end_of_stream), 0u);
  EXPECT_EQ(StatusForParseError(http::error::partial_message), 0u);
  EXPECT_EQ(StatusForParseError(boost::asio::error::connection_reset), 0u);
}

TEST(HttpRequestTest, HeaderLimitCountsRequestLineAndFieldsTogether) {
  // Beast checks the request line and the fields each against the limit.
  const std::string line = "GET /" + std::string(40, 'a') + " HTTP/1.1\r\n";
  const std::string fields = "X: " + std::string(40, 'b') + "\r\n\r\n";
  Parsed parsed = Parse(line + fields, /*header_limit=*/64);
  ASSERT_FALSE(parsed.ec) << parsed.ec.message();
  ASSERT_TRUE(parsed.parser->is_header_done());
  EXPECT_EQ(CheckRequestHead(parsed.parser->get(), 64), 431u);
  EXPECT_EQ(CheckRequestHead(parsed.parser->get(), 128), 0u);
}

TEST(HttpRequestTest, VersionsAndTransferCodings) {
  EXPECT_EQ(HeadStatus("GET / HTTP/1.1\r\n\r\n"), 0u);
  EXPECT_EQ(HeadStatus("GET / HTTP/1.0\r\n\r\n"), 0u);
  EXPECT_EQ(HeadStatus("GET / HTTP/2.0\r\n\r\n"), 505u);
  EXPECT_EQ(HeadStatus("GET / HTTP/1.2\r\n\r\n"), 505u);
  EXPECT_EQ(HeadStatus("GET / HTTP/0.9\r\n\r\n"), 505u);
  EXPECT_EQ(HeadStatus("GET / HTTP/x.y\r\n\r\n"), 400u);
  EXPECT_EQ(HeadStatus("GET / HTTP/11\r\n\r\n"), 400u);
  EXPECT_EQ(HeadStatus("GET /\r\n\r\n"), 400u);
  // A target that is not ASCII could not reach a caller (proto3 strings).
  EXPECT_EQ(HeadStatus("GET /caf\xc3\xa9 HTTP/1.1\r\n\r\n"), 400u);
  EXPECT_EQ(HeadStatus("GET /\xa5\xa5 HTTP/1.1\r\n\r\n"), 400u);
  EXPECT_EQ(HeadStatus("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"), 501u);
  EXPECT_EQ(HeadStatus("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
            501u);
  EXPECT_EQ(HeadStatus("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n"
                       "Transfer-Encoding: chunked\r\n\r\n"),
            501u);
  EXPECT_EQ(HeadStatus("POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n"), 0u);
}

TEST(HttpRequestTest, ExpectContinue) {
  Parsed parsed =
      Parse("PUT / HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 5\r\n\r\n");
  ASSERT_FALSE(parsed.ec);
  EXPECT_TRUE(ExpectsContinue(parsed.parser->get(), true));
  EXPECT_FALSE(ExpectsContinue(parsed.parser->get(), false));
  parsed = Parse("PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
  EXPECT_FALSE(ExpectsContinue(parsed.parser->get(), true));
  parsed = Parse("PUT / HTTP/1.1\r\nContent-Length: 5\r\n\r\n");
  EXPECT_FALSE(ExpectsContinue(parsed.parser->get(), true));
}

TEST(HttpRequestTest, ToParsedRequestKeepsOrderCaseAndRepeats) {
  Parsed parsed = Parse(
      "POST /a/b?x=1&y=%20?z HTTP/1.1\r\nHost: h\r\nx-lower: 1\r\nSet-Thing: a\r\n"
      "Set-Thing: b\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  ASSERT_FALSE(parsed.ec) << parsed.ec.message();
  ASSERT_TRUE(parsed.parser->is_done());
  ParsedRequest request =
      ToParsedRequest(parsed.parser->release(), "127.0.0.1", 5555, "CN=alice");
  const v1::ServerReceiveResponse& m = request.message;
  EXPECT_EQ(m.method(), "POST");
  EXPECT_EQ(m.uri(), "/a/b?x=1&y=%20?z");
  EXPECT_EQ(m.path(), "/a/b");
  EXPECT_EQ(m.query(), "x=1&y=%20?z");
  EXPECT_EQ(m.http_version(), "HTTP/1.1");
  ASSERT_EQ(m.headers_size(), 5);
  EXPECT_EQ(m.headers(0).name(), "Host");
  EXPECT_EQ(m.headers(1).name(), "x-lower");
  EXPECT_EQ(m.headers(2).name(), "Set-Thing");
  EXPECT_EQ(m.headers(2).value(), "a");
  EXPECT_EQ(m.headers(3).value(), "b");
  EXPECT_EQ(m.body(), "abcde");
  EXPECT_EQ(m.peer_address(), "127.0.0.1");
  EXPECT_EQ(m.peer_port(), 5555u);
  EXPECT_EQ(m.client_cert_subject(), "CN=alice");
  EXPECT_TRUE(m.request_handle().empty());
  EXPECT_EQ(request.facts.version, 11u);
  EXPECT_TRUE(request.facts.keep_alive);
  EXPECT_FALSE(request.facts.head);
}

TEST(HttpRequestTest, FactsFollowVersionAndConnection) {
  auto facts = [](const std::string& text) {
    Parsed parsed = Parse(text);
    EXPECT_TRUE(parsed.parser->is_done());
    return ToParsedRequest(parsed.parser->release(), "", 0, "").facts;
  };
  EXPECT_FALSE(facts("GET / HTTP/1.0\r\n\r\n").keep_alive);
  EXPECT_TRUE(facts("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").keep_alive);
  EXPECT_FALSE(facts("GET / HTTP/1.1\r\nConnection: close\r\n\r\n").keep_alive);
  EXPECT_TRUE(facts("HEAD / HTTP/1.1\r\n\r\n").head);
  EXPECT_EQ(facts("GET / HTTP/1.0\r\n\r\n").version, 10u);
  Parsed parsed = Parse("GET /only-path HTTP/1.1\r\n\r\n");
  ParsedRequest request = ToParsedRequest(parsed.parser->release(), "", 0, "");
  EXPECT_EQ(request.message.path(), "/only-path");
  EXPECT_EQ(request.message.query(), "");
}

}  // namespace
}  // namespace socketsvc
