// SetOptions validation, and applying/reading options on a real socket.
#include "service/net/socket_options.h"

#include <google/protobuf/unknown_field_set.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/socket_error.h"
#include "gtest/gtest.h"

namespace socketsvc {
namespace {

void ExpectInvalid(const v1::SocketOptions& options, const std::string& field) {
  absl::Status status = ValidateSocketOptions(options);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_EQ(GetSocketError(status), v1::SOCKET_ERROR_INVALID_REQUEST);
  EXPECT_NE(status.message().find(field), absl::string_view::npos) << status;
}

TEST(SocketOptionsTest, AcceptsEmptyAndInRangeValues) {
  EXPECT_TRUE(ValidateSocketOptions(v1::SocketOptions()).ok());
  v1::SocketOptions options;
  options.set_idle_timeout_ms(0);
  options.set_tcp_nodelay(false);
  options.set_keepalive(true);
  options.set_keepalive_idle_s(1);
  options.set_keepalive_interval_s(kMaxKeepaliveSeconds);
  options.set_keepalive_count(kMaxKeepaliveCount);
  options.set_linger_s(-1);
  options.set_send_buffer_bytes(1);
  options.set_receive_buffer_bytes(kMaxSocketBufferBytes);
  EXPECT_TRUE(ValidateSocketOptions(options).ok());
  options.set_linger_s(0);
  options.set_idle_timeout_ms(kMaxIdleTimeoutMs);
  EXPECT_TRUE(ValidateSocketOptions(options).ok());
}

TEST(SocketOptionsTest, RefusesOutOfRangeValuesNamingTheField) {
  v1::SocketOptions options;
  options.set_idle_timeout_ms(-1);
  ExpectInvalid(options, "idle_timeout_ms");
  options.Clear();
  options.set_idle_timeout_ms(kMaxIdleTimeoutMs + 1);
  ExpectInvalid(options, "idle_timeout_ms");
  options.Clear();
  options.set_keepalive_idle_s(0);
  ExpectInvalid(options, "keepalive_idle_s");
  options.Clear();
  options.set_keepalive_interval_s(kMaxKeepaliveSeconds + 1);
  ExpectInvalid(options, "keepalive_interval_s");
  options.Clear();
  options.set_keepalive_count(128);
  ExpectInvalid(options, "keepalive_count");
  options.Clear();
  options.set_linger_s(5);
  ExpectInvalid(options, "linger_s");
  options.Clear();
  options.set_linger_s(-2);
  ExpectInvalid(options, "linger_s");
  options.Clear();
  options.set_send_buffer_bytes(0);
  ExpectInvalid(options, "send_buffer_bytes");
  options.Clear();
  options.set_receive_buffer_bytes(-5);
  ExpectInvalid(options, "receive_buffer_bytes");
}

TEST(SocketOptionsTest, RefusesAnUnknownField) {
  v1::SocketOptions options;
  options.GetReflection()->MutableUnknownFields(&options)->AddVarint(99, 1);
  ExpectInvalid(options, "field number 99");
}

TEST(SocketOptionsTest, AppliesAndReadsBack) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  v1::SocketOptions options;
  options.set_tcp_nodelay(true);
  options.set_keepalive(true);
  options.set_keepalive_idle_s(42);
  options.set_keepalive_interval_s(7);
  options.set_keepalive_count(3);
  options.set_linger_s(0);
  options.set_send_buffer_bytes(64 * 1024);
  options.set_receive_buffer_bytes(32 * 1024);
  ASSERT_TRUE(ApplySocketOptions(fd, options).ok());
  absl::StatusOr<v1::SocketOptions> read = ReadSocketOptions(fd);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_TRUE(read->tcp_nodelay());
  EXPECT_TRUE(read->keepalive());
  EXPECT_EQ(read->keepalive_idle_s(), 42);
  EXPECT_EQ(read->keepalive_interval_s(), 7);
  EXPECT_EQ(read->keepalive_count(), 3);
  EXPECT_EQ(read->linger_s(), 0);
  // Linux doubles the requested size (bookkeeping overhead).
  EXPECT_EQ(read->send_buffer_bytes(), 2 * 64 * 1024);
  EXPECT_EQ(read->receive_buffer_bytes(), 2 * 32 * 1024);
  EXPECT_FALSE(read->has_idle_timeout_ms());

  // Only what is set changes.
  v1::SocketOptions off;
  off.set_linger_s(-1);
  off.set_keepalive(false);
  ASSERT_TRUE(ApplySocketOptions(fd, off).ok());
  read = ReadSocketOptions(fd);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->linger_s(), -1);
  EXPECT_FALSE(read->keepalive());
  EXPECT_EQ(read->keepalive_idle_s(), 42);
  EXPECT_TRUE(read->tcp_nodelay());
  close(fd);
}

TEST(SocketOptionsTest, ReadingAClosedDescriptorFails) {
  EXPECT_FALSE(ReadSocketOptions(-1).ok());
}

}  // namespace
}  // namespace socketsvc
