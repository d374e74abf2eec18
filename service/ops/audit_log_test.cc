// The audit line: valid JSON (parsed back with protobuf's JSON parser), the
// fields of success and failure, escaping.
#include "service/ops/audit_log.h"

#include <fcntl.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "common/socket_error.h"
#include "gtest/gtest.h"

namespace socketsvc {
namespace {

google::protobuf::Struct Parse(const std::string& line) {
  EXPECT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "one line only: " << line;
  google::protobuf::Struct parsed;
  auto status = google::protobuf::util::JsonStringToMessage(line, &parsed);
  EXPECT_TRUE(status.ok()) << status.ToString() << " in " << line;
  return parsed;
}

std::string Field(const google::protobuf::Struct& s, const std::string& key) {
  auto it = s.fields().find(key);
  return it == s.fields().end() ? "<absent>" : it->second.string_value();
}

const absl::Time kTime = absl::FromUnixMillis(1714564800123);  // 2024-05-01 12:00:00.123

TEST(AuditLogTest, SuccessLineHasTheHandleAndNoError) {
  AuditEvent event{"Connect",          "anonymous", "ipv4:127.0.0.1:40000",
                   "example.test:443", "s1.0123",   "93.184.216.34:443"};
  google::protobuf::Struct line = Parse(FormatAuditLine(event, absl::OkStatus(), kTime));
  EXPECT_EQ(Field(line, "type"), "audit");
  EXPECT_TRUE(line.fields().at("audit").bool_value());
  EXPECT_EQ(Field(line, "ts"), "2024-05-01T12:00:00.123Z");
  EXPECT_EQ(Field(line, "level"), "info");
  EXPECT_EQ(Field(line, "msg"), "audit");
  EXPECT_EQ(Field(line, "method"), "/socketsvc.v1.SocketService/Connect");
  EXPECT_EQ(Field(line, "op"), "Connect");
  EXPECT_EQ(Field(line, "principal"), "anonymous");
  EXPECT_EQ(Field(line, "caller"), "ipv4:127.0.0.1:40000");
  EXPECT_EQ(Field(line, "target"), "example.test:443");
  EXPECT_EQ(Field(line, "result"), "OK");
  EXPECT_EQ(Field(line, "handle"), "s1.0123");
  EXPECT_EQ(Field(line, "address"), "93.184.216.34:443");
  EXPECT_EQ(Field(line, "error"), "<absent>");
  EXPECT_EQ(line.fields().count("timed_out"), 0u);
}

TEST(AuditLogTest, FailureLineHasCodeSocketErrorAndErrno) {
  AuditEvent event{"Connect", "alice", "", "127.0.0.1:1", "s1.never", "127.0.0.1:1"};
  const absl::Status refused = SocketErrorStatus(
      absl::StatusCode::kUnavailable, v1::SOCKET_ERROR_CONNECTION_REFUSED,
      "connect to 127.0.0.1:1: Connection refused", ECONNREFUSED);
  google::protobuf::Struct line = Parse(FormatAuditLine(event, refused, kTime));
  EXPECT_EQ(Field(line, "result"), "UNAVAILABLE");
  EXPECT_EQ(Field(line, "error"), "SOCKET_ERROR_CONNECTION_REFUSED");
  EXPECT_EQ(Field(line, "errno"), "ECONNREFUSED");
  EXPECT_EQ(Field(line, "message"), "connect to 127.0.0.1:1: Connection refused");
  // No handle was handed out.
  EXPECT_EQ(Field(line, "handle"), "<absent>");
  EXPECT_EQ(Field(line, "caller"), "<absent>");
}

TEST(AuditLogTest, TimedOutAcceptIsMarked) {
  AuditEvent event{"Accept", "anonymous", "", "l1.ab"};
  event.timed_out = true;
  google::protobuf::Struct line = Parse(FormatAuditLine(event, absl::OkStatus(), kTime));
  EXPECT_TRUE(line.fields().at("timed_out").bool_value());
}

TEST(AuditLogTest, EscapesEverythingAHostNameCanHold) {
  AuditEvent event{"Connect", "anonymous", "",
                   std::string("a\"b\\c\nd\x01\x7f\xff\xc3\xa9:80")};
  const std::string text = FormatAuditLine(event, absl::OkStatus(), kTime);
  google::protobuf::Struct line = Parse(text);
  EXPECT_EQ(Field(line, "target"), "a\"b\\c\nd\x01\x7f\xef\xbf\xbd\xc3\xa9:80");
  EXPECT_EQ(JsonQuote("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");  // a surrogate
  EXPECT_EQ(JsonQuote("\xe2\x82\xac"), "\"\xe2\x82\xac\"");           // the euro sign
}

TEST(AuditLogTest, HostPortBracketsIpv6) {
  EXPECT_EQ(HostPort("example.test", "443"), "example.test:443");
  EXPECT_EQ(HostPort("::1", "80"), "[::1]:80");
  EXPECT_EQ(HostPort("[::1]", "80"), "[::1]:80");
  EXPECT_EQ(HostPort("mail.test", "smtp"), "mail.test:smtp");
}

TEST(AuditLogTest, RecordWritesOneLineToTheDescriptorUnlessDisabled) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  fcntl(fds[0], F_SETFL, O_NONBLOCK);
  AuditLog(/*enabled=*/false, fds[1]).Record(AuditEvent{"Listen"}, absl::OkStatus());
  char buf[4096];
  EXPECT_EQ(read(fds[0], buf, sizeof(buf)), -1);
  AuditLog(/*enabled=*/true, fds[1]).Record(AuditEvent{"Listen"}, absl::OkStatus());
  const ssize_t n = read(fds[0], buf, sizeof(buf));
  ASSERT_GT(n, 0);
  EXPECT_EQ(Field(Parse(std::string(buf, n)), "op"), "Listen");
  close(fds[0]);
  close(fds[1]);
}

}  // namespace
}  // namespace socketsvc
