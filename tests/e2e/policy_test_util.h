// Shared by the policy end-to-end tests: a listener that tells whether any
// connection reached it, policy files, and socketd in-process with a policy.
#ifndef SOCKETSVC_TESTS_E2E_POLICY_TEST_UTIL_H_
#define SOCKETSVC_TESTS_E2E_POLICY_TEST_UTIL_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/grpc_status.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/e2e/socketd_process.h"
#include "tests/peers/backlog_listener.h"
#include "tests/peers/peers.h"

namespace socketsvc::e2e {

using peers::ClosedPort;
using peers::EchoPeer;

using BareListener = peers::BacklogListener;

inline std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return absl::StrCat(dir ? dir : "/tmp", "/", name, ".", getpid(), ".txtpb");
}

inline void WriteFile(const std::string& path, const std::string& text) {
  // Written aside and renamed, as an operator's editor or config management
  // would: socketd never reads half a file.
  const std::string temp = path + ".new";
  std::ofstream(temp, std::ios::trunc) << text;
  ASSERT_EQ(std::rename(temp.c_str(), path.c_str()), 0);
}

inline ::testing::AssertionResult DeniedBy(const absl::Status& status,
                                    const std::string& text) {
  ::testing::AssertionResult code =
      HasError(status, absl::StatusCode::kPermissionDenied,
               v1::SOCKET_ERROR_POLICY_DENIED);
  if (!code) return code;
  if (!absl::StrContains(status.message(), text)) {
    return ::testing::AssertionFailure()
           << "\"" << status.message() << "\" lacks \"" << text << "\"";
  }
  return ::testing::AssertionSuccess();
}

template <typename T>
inline ::testing::AssertionResult DeniedBy(const absl::StatusOr<T>& result,
                                    const std::string& text) {
  return DeniedBy(result.status(), text);
}

// An in-process socketd started by each test, with or without a policy file.
class PolicyTest : public ::testing::Test {
 protected:
  void TearDown() override {
    client_.reset();
    if (server_) server_->Shutdown(absl::Seconds(1));
    if (!policy_path_.empty()) std::remove(policy_path_.c_str());
  }

  // Starts socketd with `policy` as its policy file ("" = no file).
  void Start(const std::string& policy, ServerOptions options = {}) {
    if (!policy.empty()) {
      policy_path_ = TempPath("policy");
      WritePolicy(policy);
      options.policy_file = policy_path_;
    }
    options.listen = "127.0.0.1:0";
    absl::StatusOr<std::unique_ptr<SocketServer>> server =
        SocketServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    client_ = std::make_unique<Client>(
        Client::Create(absl::StrCat("127.0.0.1:", server_->port())));
  }

  void WritePolicy(const std::string& text) { WriteFile(policy_path_, text); }

  // Rewrites the policy file and reloads it, as SIGHUP does.
  void Reload(const std::string& text) {
    WritePolicy(text);
    absl::Status reloaded = server_->Reload();
    ASSERT_TRUE(reloaded.ok()) << reloaded;
  }

  std::string policy_path_;
  std::unique_ptr<SocketServer> server_;
  std::unique_ptr<Client> client_;
};

}  // namespace socketsvc::e2e

#endif  // SOCKETSVC_TESTS_E2E_POLICY_TEST_UTIL_H_
