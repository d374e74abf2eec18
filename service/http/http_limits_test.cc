#include "service/http/http_limits.h"

#include "common/socket_error.h"
#include "gtest/gtest.h"

namespace socketsvc {
namespace {

TEST(HttpLimitsTest, ZerosTakeTheDefaults) {
  HttpServerDefaults defaults;
  absl::StatusOr<HttpLimits> limits = ResolveHttpLimits(v1::ServerLimits(), defaults);
  ASSERT_TRUE(limits.ok()) << limits.status();
  EXPECT_EQ(limits->max_header_bytes, 16u * 1024);
  EXPECT_EQ(limits->max_body_bytes, 8u * 1024 * 1024);
  EXPECT_EQ(limits->idle_timeout, absl::Seconds(60));
  EXPECT_EQ(limits->response_timeout, absl::Seconds(30));
  EXPECT_EQ(limits->max_pending_requests, 64u);
  EXPECT_EQ(limits->max_connections, 256u);
  EXPECT_EQ(limits->linger, absl::Seconds(2));
}

TEST(HttpLimitsTest, SetFieldsAreTakenAsGiven) {
  v1::ServerLimits request;
  request.set_max_header_bytes(4096);
  request.set_max_body_bytes(1);
  request.set_idle_timeout_ms(250);
  request.set_response_timeout_ms(1500);
  request.set_max_pending_requests(1);
  request.set_max_connections(3);
  absl::StatusOr<HttpLimits> limits = ResolveHttpLimits(request, HttpServerDefaults());
  ASSERT_TRUE(limits.ok()) << limits.status();
  EXPECT_EQ(limits->max_header_bytes, 4096u);
  EXPECT_EQ(limits->max_body_bytes, 1u);
  EXPECT_EQ(limits->idle_timeout, absl::Milliseconds(250));
  EXPECT_EQ(limits->response_timeout, absl::Milliseconds(1500));
  EXPECT_EQ(limits->max_pending_requests, 1u);
  EXPECT_EQ(limits->max_connections, 3u);
}

TEST(HttpLimitsTest, ValuesAboveTheirBoundsAreRefused) {
  HttpServerDefaults defaults;
  auto refused = [&](const v1::ServerLimits& request) {
    absl::StatusOr<HttpLimits> limits = ResolveHttpLimits(request, defaults);
    return !limits.ok() && limits.status().code() == absl::StatusCode::kInvalidArgument &&
           GetSocketError(limits.status()) == v1::SOCKET_ERROR_INVALID_REQUEST;
  };
  v1::ServerLimits request;
  request.set_max_body_bytes(defaults.max_body_bytes_bound + 1);
  EXPECT_TRUE(refused(request));
  request.Clear();
  request.set_max_body_bytes(defaults.max_body_bytes_bound);
  EXPECT_FALSE(refused(request));
  request.Clear();
  request.set_max_header_bytes(defaults.max_header_bytes_bound + 1);
  EXPECT_TRUE(refused(request));
  request.Clear();
  request.set_idle_timeout_ms(-1);
  EXPECT_TRUE(refused(request));
  request.Clear();
  request.set_response_timeout_ms(absl::ToInt64Milliseconds(defaults.timeout_bound) + 1);
  EXPECT_TRUE(refused(request));
  request.Clear();
  request.set_max_pending_requests(defaults.max_pending_requests_bound + 1);
  EXPECT_TRUE(refused(request));
  request.Clear();
  request.set_max_connections(defaults.max_connections_bound + 1);
  EXPECT_TRUE(refused(request));
}

TEST(HttpLimitsTest, MessagesHoldTheLargestHeadAndBody) {
  HttpServerDefaults defaults;
  EXPECT_GT(MaxHttpMessageBytes(defaults),
            defaults.max_body_bytes_bound + defaults.max_header_bytes_bound);
  // Still an int for grpc::ServerBuilder.
  EXPECT_LT(MaxHttpMessageBytes(defaults), size_t{1} << 31);
}

}  // namespace
}  // namespace socketsvc
