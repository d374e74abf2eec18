// SetOptions as `ss` (iproute2, tools/install_deps.sh) sees socketd's
// socket: the keepalive timer armed for keepalive_idle_s and gone when
// keepalive is turned off, and the buffer sizes (skmem rb/tb) as set.
// options_test.cc checks every option with getsockopt on socketd's own
// descriptor; this is the operator's view, from outside the process's code
// (TCP_NODELAY and SO_LINGER have no `ss` column: getsockopt covers them).
#include <regex>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/peers/peers.h"
#include "tests/tls/subprocess.h"

namespace socketsvc::e2e {
namespace {

// `ss -tinoem` about the established connection from 127.0.0.1:local to
// 127.0.0.1:remote (socketd's side), without the header line.
std::string Ss(const v1::SocketInfo& info) {
  tls::CommandResult ss =
      tls::RunCommand({"ss", "-H", "-tinoem", "state", "established", "src",
                       absl::StrCat("127.0.0.1:", info.local_port()), "dst",
                       absl::StrCat("127.0.0.1:", info.remote_port())});
  EXPECT_TRUE(ss.ok()) << ss.output;
  return ss.output;
}

// The keepalive timer's time left ("29sec", "9min59sec"); "" if none.
std::string KeepaliveTimer(const std::string& ss) {
  std::smatch match;
  if (!std::regex_search(ss, match, std::regex(R"(timer:\(keepalive,([^,]+),)")))
    return "";
  return match[1];
}

// A field of skmem:(...), e.g. "rb" or "tb"; -1 if absent.
long Skmem(const std::string& ss, const std::string& field) {
  std::smatch match;
  if (!std::regex_search(ss, match, std::regex("skmem:\\([^)]*\\b" + field + "(\\d+)"))) {
    return -1;
  }
  long value = -1;
  return absl::SimpleAtoi(match[1].str(), &value) ? value : -1;
}

class OptionsSsTest : public SocketdTest {};

TEST_F(OptionsSsTest, SsShowsTheKeepaliveTimerAndBufferSizes) {
  peers::EchoPeer peer;
  const std::string handle = ConnectTo(peer.port());
  const v1::SocketInfo info = Info(handle);
  // Nothing set yet: no keepalive timer.
  std::string before = Ss(info);
  ASSERT_NE(before, "") << "ss does not see socketd's connection";
  EXPECT_EQ(KeepaliveTimer(before), "") << before;

  v1::SocketOptions set;
  set.set_keepalive(true);
  set.set_keepalive_idle_s(30);
  set.set_keepalive_interval_s(5);
  set.set_keepalive_count(4);
  set.set_send_buffer_bytes(64 * 1024);
  set.set_receive_buffer_bytes(48 * 1024);
  ASSERT_TRUE(client_->SetOptions(handle, set).ok());
  std::string after = Ss(info);
  // Armed for the idle time: at most 30 s left, in seconds (no minutes).
  const std::string timer = KeepaliveTimer(after);
  ASSERT_NE(timer, "") << after;
  EXPECT_EQ(timer.find("min"), std::string::npos) << after;
  int seconds = -1;
  ASSERT_TRUE(absl::SimpleAtoi(timer.substr(0, timer.find("sec")), &seconds)) << timer;
  EXPECT_GT(seconds, 20) << after;
  EXPECT_LE(seconds, 30) << after;
  // The kernel doubles what was set (as GetOptions answers).
  EXPECT_EQ(Skmem(after, "tb"), 2 * 64 * 1024) << after;
  EXPECT_EQ(Skmem(after, "rb"), 2 * 48 * 1024) << after;

  // A longer idle time re-arms the timer; turning keepalive off stops it.
  v1::SocketOptions longer;
  longer.set_keepalive_idle_s(600);
  ASSERT_TRUE(client_->SetOptions(handle, longer).ok());
  EXPECT_NE(KeepaliveTimer(Ss(info)).find("min"), std::string::npos) << Ss(info);
  v1::SocketOptions off;
  off.set_keepalive(false);
  ASSERT_TRUE(client_->SetOptions(handle, off).ok());
  EXPECT_EQ(KeepaliveTimer(Ss(info)), "") << Ss(info);
}

}  // namespace
}  // namespace socketsvc::e2e
