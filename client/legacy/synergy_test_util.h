// Test helpers for the Synergy facade: an in-process socketd the routines
// are bound to (instances on loopback), and curl as the HTTP client.
#ifndef SOCKETSVC_CLIENT_LEGACY_SYNERGY_TEST_UTIL_H_
#define SOCKETSVC_CLIENT_LEGACY_SYNERGY_TEST_UTIL_H_

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/legacy/synergy.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/tls/subprocess.h"

namespace socketsvc::synergy {

class SynergyTest : public e2e::SocketdTest {
 public:
  // curl running in the background (public: helpers outside the fixture
  // use it too).
  static std::unique_ptr<tls::Subprocess> StartCurl(std::vector<std::string> args) {
    args.insert(args.begin(), {"curl", "-sS", "--max-time", "20"});
    auto curl = tls::Subprocess::Start(std::move(args));
    EXPECT_TRUE(curl.ok()) << curl.status();
    return curl.ok() ? std::move(*curl) : nullptr;
  }

  // Waits for curl to end; its output ("" if it did not start).
  static std::string Finish(const std::unique_ptr<tls::Subprocess>& curl) {
    if (curl == nullptr) return "";
    EXPECT_TRUE(curl->WaitForExit(std::chrono::seconds(25)).has_value());
    curl->Stop(std::chrono::milliseconds(0));  // Collects the rest of the output.
    return curl->Output();
  }

  static std::string Url(D_HANDLE id, const std::string& path) {
    return absl::StrCat("http://127.0.0.1:", BoundPort(id), path);
  }

 protected:
  void SetUp() override {
    e2e::SocketdTest::SetUp();
    Use(*client_, LoopbackOptions());
  }

  // Instances on loopback only: a test opens no port to the network.
  static synergy::Options LoopbackOptions() {
    synergy::Options options;
    options.ipv4_bind_address = "127.0.0.1";
    options.any_bind_address = "::1";
    return options;
  }

  // A server on a free port (fails the test if it cannot be made).
  D_HANDLE Create(int IP_flag = 0) {
    D_HANDLE id = 0;
    std::string error;
    EXPECT_EQ(HTTP_SERVER_CREATE(id, 0, error, 0, "", "", "", IP_flag), HTTP_OK) << error;
    return id;
  }
};

}  // namespace socketsvc::synergy

#endif  // SOCKETSVC_CLIENT_LEGACY_SYNERGY_TEST_UTIL_H_
