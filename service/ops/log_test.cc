// Log lines: valid JSON with the envelope, escaping, levels.
#include "service/ops/log.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <unistd.h>

#include <string>

#include "gtest/gtest.h"

namespace socketsvc {
namespace {

google::protobuf::Struct Parse(const std::string& line) {
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "one line only: " << line;
  google::protobuf::Struct parsed;
  auto status = google::protobuf::util::JsonStringToMessage(line, &parsed);
  EXPECT_TRUE(status.ok()) << status.ToString() << " in " << line;
  return parsed;
}

// What a pipe received, after the writer's end is closed.
std::string Drain(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) out.append(buf, n);
  return out;
}

TEST(LogTest, EnvelopeAndFields) {
  const absl::Time t = absl::FromUnixMillis(1714564800123);
  const std::string text = LogLine(LogLevel::kWarning, "rpc failed", t)
                               .Str("request_id", "abc")
                               .Str("empty", "")
                               .Int("n", -42)
                               .Double("ms", 1.5)
                               .Bool("yes", true)
                               .Finish();
  google::protobuf::Struct line = Parse(text);
  EXPECT_EQ(line.fields().at("ts").string_value(), "2024-05-01T12:00:00.123Z");
  EXPECT_EQ(line.fields().at("level").string_value(), "warning");
  EXPECT_EQ(line.fields().at("msg").string_value(), "rpc failed");
  EXPECT_EQ(line.fields().at("request_id").string_value(), "abc");
  EXPECT_EQ(line.fields().count("empty"), 0u);
  EXPECT_EQ(line.fields().at("n").number_value(), -42);
  EXPECT_EQ(line.fields().at("ms").number_value(), 1.5);
  EXPECT_TRUE(line.fields().at("yes").bool_value());
  // The envelope comes first, in this order.
  EXPECT_EQ(text.rfind("{\"ts\":\"2024-05-01T12:00:00.123Z\",\"level\":\"warning\",\"msg\":", 0),
            0u);
}

TEST(LogTest, HostileTextStaysOneValidLine) {
  const std::string hostile = std::string("a\"b\\c\nd\re\tf\x01g\x7f\xff\xc3(", 17) + "é";
  google::protobuf::Struct line =
      Parse(LogLine(LogLevel::kInfo, hostile).Str(hostile, hostile).Finish());
  EXPECT_EQ(line.fields().at("msg").string_value(),
            "a\"b\\c\nd\re\tf\x01g\x7f\xEF\xBF\xBD\xEF\xBF\xBD(é");
  EXPECT_EQ(line.fields().size(), 4u);
}

TEST(LogTest, LevelsFilterWhatIsWritten) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  SetLogFd(fds[1]);
  SetMinLogLevel(LogLevel::kError);
  LogLine(LogLevel::kInfo, "hidden info").Write();
  LogLine(LogLevel::kWarning, "hidden warning").Write();
  LogLine(LogLevel::kError, "shown error").Write();
  EXPECT_FALSE(LogEnabled(LogLevel::kWarning));
  SetMinLogLevel(LogLevel::kDebug);
  LogLine(LogLevel::kDebug, "shown debug").Write();
  SetMinLogLevel(LogLevel::kInfo);
  SetLogFd(2);
  close(fds[1]);
  const std::string out = Drain(fds[0]);
  close(fds[0]);
  EXPECT_EQ(out.find("hidden"), std::string::npos) << out;
  EXPECT_NE(out.find("\"level\":\"error\",\"msg\":\"shown error\""), std::string::npos) << out;
  EXPECT_NE(out.find("\"level\":\"debug\",\"msg\":\"shown debug\""), std::string::npos) << out;
}

TEST(LogTest, ParsesLevelNames) {
  EXPECT_EQ(ParseLogLevel("debug"), LogLevel::kDebug);
  EXPECT_EQ(ParseLogLevel("INFO"), LogLevel::kInfo);
  EXPECT_EQ(ParseLogLevel("warn"), LogLevel::kWarning);
  EXPECT_EQ(ParseLogLevel("warning"), LogLevel::kWarning);
  EXPECT_EQ(ParseLogLevel("error"), LogLevel::kError);
  EXPECT_EQ(ParseLogLevel("verbose"), std::nullopt);
  EXPECT_EQ(ParseLogLevel(""), std::nullopt);
}

}  // namespace
}  // namespace socketsvc
