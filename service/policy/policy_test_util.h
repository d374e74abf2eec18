// Helpers shared by the policy tests.
#ifndef SOCKETSVC_SERVICE_POLICY_POLICY_TEST_UTIL_H_
#define SOCKETSVC_SERVICE_POLICY_POLICY_TEST_UTIL_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "common/socket_error.h"
#include "gtest/gtest.h"
#include "service/policy/policy.h"

namespace socketsvc {
namespace policy_test {

namespace asio = boost::asio;
using asio::ip::tcp;

inline tcp::endpoint Ep(const std::string& address, uint16_t port) {
  return tcp::endpoint(asio::ip::make_address(address), port);
}

inline std::shared_ptr<const Policy> MustParse(const std::string& text) {
  absl::StatusOr<std::shared_ptr<const Policy>> policy =
      Policy::Parse(text, "test.txtpb");
  EXPECT_TRUE(policy.ok()) << policy.status();
  return policy.ok() ? *policy : nullptr;
}

inline std::string ParseError(const std::string& text) {
  absl::StatusOr<std::shared_ptr<const Policy>> policy =
      Policy::Parse(text, "test.txtpb");
  EXPECT_FALSE(policy.ok()) << "parsed:\n" << text;
  if (policy.ok()) return "";
  EXPECT_EQ(policy.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(policy.status().message());
}

// Asserts `status` is a policy refusal whose message contains `text`.
inline ::testing::AssertionResult DeniedWith(const absl::Status& status,
                                      const std::string& text) {
  if (status.ok()) return ::testing::AssertionFailure() << "allowed";
  if (status.code() != absl::StatusCode::kPermissionDenied ||
      GetSocketError(status) != v1::SOCKET_ERROR_POLICY_DENIED) {
    return ::testing::AssertionFailure() << "not a policy refusal: " << status;
  }
  if (!absl::StrContains(status.message(), text)) {
    return ::testing::AssertionFailure()
           << "\"" << status.message() << "\" lacks \"" << text << "\"";
  }
  return ::testing::AssertionSuccess();
}

// --- CIDRs ------------------------------------------------------------------

}  // namespace policy_test
}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_POLICY_POLICY_TEST_UTIL_H_
