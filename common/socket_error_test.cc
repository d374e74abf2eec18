#include "common/socket_error.h"

#include <cerrno>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "gtest/gtest.h"

namespace socketsvc {
namespace {

TEST(SocketErrorTest, ErrnoMapsToCodeAndError) {
  absl::Status refused = ErrnoStatus(ECONNREFUSED, "connect 127.0.0.1:1");
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(GetSocketError(refused), v1::SOCKET_ERROR_CONNECTION_REFUSED);
  EXPECT_EQ(GetErrorDetail(refused)->os_errno(), ECONNREFUSED);
  EXPECT_EQ(GetErrorDetail(refused)->os_errno_name(), "ECONNREFUSED");
  EXPECT_NE(refused.message().find("connect 127.0.0.1:1"), absl::string_view::npos);

  absl::Status pipe = ErrnoStatus(EPIPE, "send");
  EXPECT_EQ(pipe.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(GetSocketError(pipe), v1::SOCKET_ERROR_BROKEN_PIPE);

  absl::Status reset = ErrnoStatus(ECONNRESET, "");
  EXPECT_EQ(reset.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(GetSocketError(reset), v1::SOCKET_ERROR_CONNECTION_RESET);

  EXPECT_EQ(ErrnoStatus(ETIMEDOUT, "").code(),
            absl::StatusCode::kDeadlineExceeded);
}

TEST(SocketErrorTest, UnknownErrnoIsInternalWithItsName) {
  absl::Status status = ErrnoStatus(EIO, "read");
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(GetSocketError(status), v1::SOCKET_ERROR_INTERNAL_ERROR);
  EXPECT_EQ(GetErrorDetail(status)->os_errno_name(), "EIO");
}

TEST(SocketErrorTest, PlainStatusHasNoDetail) {
  EXPECT_FALSE(GetErrorDetail(absl::InternalError("x")).has_value());
  EXPECT_EQ(GetSocketError(absl::OkStatus()), v1::SOCKET_ERROR_UNSPECIFIED);
}

TEST(GrpcStatusTest, DetailSurvivesTheRoundTrip) {
  absl::Status original = SocketErrorStatus(
      absl::StatusCode::kNotFound, v1::SOCKET_ERROR_INVALID_HANDLE, "no such handle");
  grpc::Status wire = ToGrpcStatus(original);
  EXPECT_EQ(wire.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(wire.error_message(), "no such handle");
  EXPECT_FALSE(wire.error_details().empty());

  // Any gRPC client can decode the trailer as google.rpc.Status.
  v1::Status decoded;
  ASSERT_TRUE(decoded.ParseFromString(wire.error_details()));
  EXPECT_EQ(decoded.code(), 5);
  ASSERT_EQ(decoded.details_size(), 1);
  EXPECT_EQ(decoded.details(0).type_url(),
            "type.googleapis.com/socketsvc.v1.ErrorDetail");

  absl::Status back = FromGrpcStatus(wire);
  EXPECT_EQ(back.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(back.message(), "no such handle");
  EXPECT_EQ(GetSocketError(back), v1::SOCKET_ERROR_INVALID_HANDLE);
}

TEST(GrpcStatusTest, MessagesAreBoundedAndUtf8) {
  const absl::Status huge = SocketErrorStatus(
      absl::StatusCode::kInvalidArgument, v1::SOCKET_ERROR_INVALID_REQUEST,
      absl::StrCat("bind_address '", std::string(1 << 20, 'b'), "' is not an address"));
  const grpc::Status wire = ToGrpcStatus(huge);
  EXPECT_LE(wire.error_message().size(), kMaxEdgeMessageBytes + 32);
  EXPECT_NE(wire.error_message().find("bytes)"), std::string::npos);
  // The detail still decodes, with the socket error.
  EXPECT_EQ(GetSocketError(FromGrpcStatus(wire)), v1::SOCKET_ERROR_INVALID_REQUEST);

  EXPECT_EQ(EdgeMessage("caf\xc3\xa9 \xff\xc3 \xed\xa0\x80 \xf0\x9f\x98\x80"),
            "caf\xc3\xa9 ?? ??? \xf0\x9f\x98\x80");
  // Cut at a character boundary.
  const std::string cut = EdgeMessage(std::string(kMaxEdgeMessageBytes - 1, 'a') + "\xc3\xa9");
  EXPECT_EQ(cut.substr(0, kMaxEdgeMessageBytes), std::string(kMaxEdgeMessageBytes - 1, 'a') + ".");
  const absl::Status bad = SocketErrorStatus(absl::StatusCode::kInvalidArgument,
                                             v1::SOCKET_ERROR_INVALID_REQUEST,
                                             "Content-Length '\xff' is not a number");
  EXPECT_EQ(GetSocketError(FromGrpcStatus(ToGrpcStatus(bad))),
            v1::SOCKET_ERROR_INVALID_REQUEST);
}

TEST(GrpcStatusTest, OkAndPlainStatuses) {
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  EXPECT_TRUE(FromGrpcStatus(grpc::Status::OK).ok());
  grpc::Status plain(grpc::StatusCode::UNAVAILABLE, "down");
  absl::Status back = FromGrpcStatus(plain);
  EXPECT_EQ(back.code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(GetErrorDetail(back).has_value());
}

}  // namespace
}  // namespace socketsvc
