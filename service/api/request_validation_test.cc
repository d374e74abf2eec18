#include "service/api/request_validation.h"

#include <string>

#include "common/socket_error.h"
#include "gtest/gtest.h"

namespace socketsvc {
namespace {

bool IsInvalid(const absl::Status& status) {
  return status.code() == absl::StatusCode::kInvalidArgument &&
         GetSocketError(status) == v1::SOCKET_ERROR_INVALID_REQUEST;
}

TEST(RequestValidationTest, Connect) {
  v1::ConnectRequest request;
  EXPECT_TRUE(IsInvalid(ValidateConnect(request)));  // No host.
  request.set_host("example.test");
  EXPECT_TRUE(IsInvalid(ValidateConnect(request)));  // No port or service.
  request.set_port(70000);
  EXPECT_TRUE(IsInvalid(ValidateConnect(request)));
  request.set_port(80);
  EXPECT_TRUE(ValidateConnect(request).ok());
  request.set_timeout_ms(0);
  EXPECT_TRUE(IsInvalid(ValidateConnect(request)));
  request.clear_timeout_ms();
  request.set_service("8080");
  EXPECT_TRUE(IsInvalid(ValidateConnect(request)));
  request.set_service(std::string("ht\0tp", 5));
  EXPECT_TRUE(IsInvalid(ValidateConnect(request)));
  request.set_service("http");
  EXPECT_TRUE(ValidateConnect(request).ok());
  request.set_host(std::string(256, 'a'));
  EXPECT_TRUE(IsInvalid(ValidateConnect(request)));
}

TEST(RequestValidationTest, HandleShape) {
  EXPECT_TRUE(IsInvalid(CheckHandleShape("", "handle")));
  const absl::Status bad = CheckHandleShape("s1.nothex", "handle");
  EXPECT_EQ(bad.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(GetSocketError(bad), v1::SOCKET_ERROR_INVALID_HANDLE);
  const std::string socket = "s1." + std::string(32, 'a');
  EXPECT_TRUE(CheckHandleShape(socket, "handle").ok());
  EXPECT_EQ(CheckHandleShape(socket, "listener", /*listener=*/true).code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(CheckHandleShape("l1." + std::string(32, 'a'), "listener",
                               /*listener=*/true)
                  .ok());
}

TEST(RequestValidationTest, ReceiveSizes) {
  v1::ReceiveRequest request;
  absl::StatusOr<ReceiveSizes> sizes = ReceiveSizesFor(request, 65536, 1 << 20);
  ASSERT_TRUE(sizes.ok());
  EXPECT_EQ(sizes->max_bytes, 65536u);
  EXPECT_EQ(sizes->min_bytes, 1u);
  request.set_min_bytes(100000);
  sizes = ReceiveSizesFor(request, 65536, 1 << 20);
  ASSERT_TRUE(sizes.ok());
  EXPECT_EQ(sizes->max_bytes, 100000u);
  EXPECT_EQ(sizes->min_bytes, 100000u);
  request.set_max_bytes(10);
  EXPECT_TRUE(IsInvalid(ReceiveSizesFor(request, 65536, 1 << 20).status()));
  request.set_min_bytes(0);
  request.set_max_bytes(0xffffffff);
  sizes = ReceiveSizesFor(request, 65536, 1 << 20);
  ASSERT_TRUE(sizes.ok());
  EXPECT_EQ(sizes->max_bytes, 1u << 20);
  // Limits of 0 (a misconfigured server) still give a Receive that can end.
  sizes = ReceiveSizesFor(v1::ReceiveRequest(), 0, 0);
  ASSERT_TRUE(sizes.ok());
  EXPECT_EQ(sizes->max_bytes, 1u);
  EXPECT_EQ(sizes->min_bytes, 1u);
}

TEST(RequestValidationTest, SendCloseListenServer) {
  EXPECT_TRUE(ValidateSendSize(10, 10).ok());
  EXPECT_EQ(ValidateSendSize(11, 10).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(ValidateCloseMode(3).ok());
  EXPECT_TRUE(IsInvalid(ValidateCloseMode(4)));
  EXPECT_TRUE(IsInvalid(ValidateCloseMode(-1)));

  v1::ListenRequest listen;
  absl::StatusOr<boost::asio::ip::tcp::endpoint> endpoint = ListenEndpoint(listen);
  ASSERT_TRUE(endpoint.ok());
  EXPECT_EQ(endpoint->address().to_string(), "127.0.0.1");
  listen.set_port(65536);
  EXPECT_TRUE(IsInvalid(ListenEndpoint(listen).status()));
  listen.set_port(1);
  listen.set_bind_address("[::1]");
  EXPECT_TRUE(IsInvalid(ListenEndpoint(listen).status()));

  v1::ServerCreateRequest server;
  server.set_bind_address("[::1]");
  endpoint = ServerEndpoint(server);
  ASSERT_TRUE(endpoint.ok());
  EXPECT_EQ(endpoint->address().to_string(), "::1");
  server.set_bind_address("not an address");
  EXPECT_TRUE(IsInvalid(ServerEndpoint(server).status()));
}

TEST(RequestValidationTest, Offsets) {
  v1::SendRequest send;
  EXPECT_TRUE(ValidateSendOffset(send).ok());  // Unset: no check.
  send.set_data("abc");
  send.set_offset(UINT64_MAX - 3);
  EXPECT_TRUE(ValidateSendOffset(send).ok());
  send.set_offset(UINT64_MAX - 2);
  EXPECT_TRUE(IsInvalid(ValidateSendOffset(send)));
  send.clear_data();
  send.set_offset(UINT64_MAX);
  EXPECT_TRUE(ValidateSendOffset(send).ok());

  v1::ReceiveRequest receive;
  EXPECT_TRUE(ValidateReceiveOffset(receive).ok());
  receive.set_offset(0);
  EXPECT_TRUE(ValidateReceiveOffset(receive).ok());
  receive.set_peek(true);
  const absl::Status both = ValidateReceiveOffset(receive);
  EXPECT_TRUE(IsInvalid(both));
  EXPECT_NE(both.message().find("peek"), absl::string_view::npos);
  receive.clear_offset();
  EXPECT_TRUE(ValidateReceiveOffset(receive).ok());

  v1::CloseRequest close;
  EXPECT_TRUE(ValidateListenerClose(close).ok());
  close.set_send_offset(0);
  EXPECT_TRUE(IsInvalid(ValidateListenerClose(close)));
}

}  // namespace
}  // namespace socketsvc
