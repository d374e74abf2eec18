// The policy in the real socketd binary: SIGHUP reloads it, a broken file
// keeps the old one, and a broken file at start is an error.
#include "tests/e2e/policy_test_util.h"

#include <signal.h>

#include <memory>
#include <string>

namespace socketsvc::e2e {
namespace {

// --- The socketd binary
// ---------------------------------------------------------------

TEST(PolicyProcessTest, SighupReloadsThePolicyAndABrokenFileKeepsTheOldOne) {
  EchoPeer peer;
  const std::string path = TempPath("sighup_policy");
  const std::string deny = R"pb(
    egress { name: "no-loopback" action: DENY cidrs: "127.0.0.0/8" }
  )pb";
  const std::string allow = R"pb(
    egress { name: "loopback" action: ALLOW cidrs: "127.0.0.0/8" }
  )pb";
  WriteFile(path, deny);
  SocketdProcess socketd({absl::StrCat("--policy=", path)});
  ASSERT_TRUE(socketd.started()) << socketd.stderr_text();
  Client client = Client::Create(socketd.target());

  EXPECT_TRUE(DeniedBy(client.Connect("127.0.0.1", peer.port(), 5000),
                       "policy rule \"no-loopback\" denies"));

  WriteFile(path, allow);
  kill(socketd.pid(), SIGHUP);
  ASSERT_TRUE(socketd.WaitForStderr("SIGHUP: configuration reloaded", 10000))
      << socketd.stderr_text();
  absl::StatusOr<v1::ConnectResponse> connected =
      client.Connect("127.0.0.1", peer.port(), 5000);
  ASSERT_TRUE(connected.ok()) << connected.status();

  // A broken file: socketd says where, and keeps allowing.
  WriteFile(path, "egress {\n  name: \"loopback\"\n  action: ALOW }\n");
  kill(socketd.pid(), SIGHUP);
  ASSERT_TRUE(socketd.WaitForStderr("SIGHUP: reload failed", 10000))
      << socketd.stderr_text();
  ASSERT_TRUE(socketd.WaitForStderr(
      absl::StrCat("policy ", path, ": line 3, column"), 1000))
      << socketd.stderr_text();
  // The parser's quote of the bad word, inside a JSON log line.
  EXPECT_TRUE(absl::StrContains(socketd.stderr_text(), "\\\"ALOW\\\""));
  EXPECT_TRUE(client.Connect("127.0.0.1", peer.port(), 5000).ok());

  // Back to denying: the session made in between is not touched.
  WriteFile(path, deny);
  kill(socketd.pid(), SIGHUP);
  ASSERT_TRUE(socketd.WaitForStderr("SIGHUP: configuration reloaded", 10000))
      << socketd.stderr_text();
  EXPECT_TRUE(DeniedBy(client.Connect("127.0.0.1", peer.port(), 5000),
                       "policy rule \"no-loopback\" denies"));
  ASSERT_TRUE(client.Send(connected->handle(), "ping", 5000).ok());
  absl::StatusOr<v1::ReceiveResponse> echoed =
      client.Receive(connected->handle(), 64, 4, 5000);
  ASSERT_TRUE(echoed.ok()) << echoed.status();
  EXPECT_EQ(echoed->data(), "ping");
  std::remove(path.c_str());
}

TEST(PolicyProcessTest, BrokenFileAtStartIsAnError) {
  const std::string path = TempPath("bad_start_policy");
  WriteFile(path, "egress { name: \"a\" action: ALLOW }\nlisten {\n");
  SocketdProcess socketd({absl::StrCat("--policy=", path)});
  EXPECT_FALSE(socketd.started());
  EXPECT_TRUE(
      socketd.WaitForStderr(absl::StrCat("policy ", path, ": line 3"), 5000))
      << socketd.stderr_text();
  std::remove(path.c_str());
}

}  // namespace
}  // namespace socketsvc::e2e
