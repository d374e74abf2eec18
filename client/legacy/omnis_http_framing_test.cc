#include "client/legacy/omnis_http_framing.h"

#include <string>

#include "gtest/gtest.h"

namespace socketsvc::legacy {
namespace {

HttpFrame::Status StatusOf(const std::string& data, bool response) {
  return FrameHttpMessage(data, response).status;
}

TEST(HttpFramingTest, ContentLengthResponses) {
  const std::string message = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
  EXPECT_EQ(StatusOf(message.substr(0, 10), true), HttpFrame::kNeedMore);
  EXPECT_EQ(StatusOf(message.substr(0, message.size() - 1), true), HttpFrame::kNeedMore);
  HttpFrame frame = FrameHttpMessage(message + "NEXT", true);
  EXPECT_EQ(frame.status, HttpFrame::kComplete);
  EXPECT_EQ(frame.length, message.size());
  // Repeated equal lengths are fine, different ones are not.
  EXPECT_EQ(StatusOf("HTTP/1.1 200 OK\r\nContent-Length: 1\r\ncontent-length: 1\r\n\r\nx", true),
            HttpFrame::kComplete);
  EXPECT_EQ(StatusOf("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx", true),
            HttpFrame::kBadSyntax);
  EXPECT_EQ(StatusOf("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", true), HttpFrame::kBadSyntax);
}

TEST(HttpFramingTest, ResponsesWithoutBodyOrLength) {
  EXPECT_EQ(FrameHttpMessage("HTTP/1.1 204 No Content\r\n\r\nX", true).length, 27u);
  EXPECT_EQ(FrameHttpMessage("HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n", true).status,
            HttpFrame::kComplete);
  EXPECT_EQ(StatusOf("HTTP/1.1 100 Continue\r\n\r\n", true), HttpFrame::kComplete);
  HttpFrame frame = FrameHttpMessage("HTTP/1.0 200 OK\r\n\r\nbody", true);
  EXPECT_EQ(frame.status, HttpFrame::kUntilClose);
  EXPECT_EQ(frame.length, 19u);
  EXPECT_EQ(StatusOf("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", true),
            HttpFrame::kUntilClose);
  EXPECT_EQ(StatusOf("HTTP/1.1 200 OK\nServer: x\n\nbody", true), HttpFrame::kUntilClose);
}

TEST(HttpFramingTest, ChunkedBodies) {
  const std::string message =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
      "3\r\nabc\r\nA\r\n0123456789\r\n0\r\n\r\n";
  for (size_t n = 0; n < message.size(); ++n) {
    EXPECT_EQ(StatusOf(message.substr(0, n), true), HttpFrame::kNeedMore) << n;
  }
  HttpFrame frame = FrameHttpMessage(message + "tail", true);
  EXPECT_EQ(frame.status, HttpFrame::kComplete);
  EXPECT_EQ(frame.length, message.size());
  EXPECT_EQ(StatusOf("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n", true),
            HttpFrame::kBadSyntax);
  EXPECT_EQ(StatusOf("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n", true),
            HttpFrame::kBadSyntax);
}

TEST(HttpFramingTest, Requests) {
  EXPECT_EQ(FrameHttpMessage("GET / HTTP/1.1\r\nHost: a\r\n\r\nGET", false).length, 27u);
  EXPECT_EQ(StatusOf("POST /x HTTP/1.1\r\nContent-Length: 3\r\n\r\nab", false),
            HttpFrame::kNeedMore);
  EXPECT_EQ(StatusOf("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", false),
            HttpFrame::kComplete);
  EXPECT_EQ(StatusOf("POST /x HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", false),
            HttpFrame::kBadSyntax);
}

TEST(HttpFramingTest, MalformedStartLinesAndHeaders) {
  EXPECT_EQ(StatusOf("HTTP/1.1 20 OK\r\n\r\n", true), HttpFrame::kBadStartLine);
  EXPECT_EQ(StatusOf("HTTP/1.1 200OK\r\n\r\n", true), HttpFrame::kBadStartLine);
  EXPECT_EQ(StatusOf("SIP/2.0 200 OK\r\n\r\n", true), HttpFrame::kBadStartLine);
  EXPECT_EQ(StatusOf("GET / HTTP/1.1\r\n\r\n", true), HttpFrame::kBadStartLine);
  EXPECT_EQ(StatusOf("HTTP/1.1 200 OK\r\n\r\n", false), HttpFrame::kBadStartLine);
  EXPECT_EQ(StatusOf("GET /\r\n\r\n", false), HttpFrame::kBadStartLine);
  EXPECT_EQ(StatusOf("\r\n\r\n", false), HttpFrame::kBadStartLine);
  EXPECT_EQ(StatusOf("GET / HTTP/1.1\r\nBad Header: x\r\n\r\n", false), HttpFrame::kBadSyntax);
  EXPECT_EQ(StatusOf("GET / HTTP/1.1\r\nNoColon\r\n\r\n", false), HttpFrame::kBadSyntax);
}

}  // namespace
}  // namespace socketsvc::legacy
