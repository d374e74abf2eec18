#include "client/socketctl/errors.h"

#include <cerrno>

#include "common/socket_error.h"
#include "gtest/gtest.h"

namespace socketsvc::socketctl {
namespace {

TEST(ExitCodeTest, FollowsTheDocumentedTable) {
  EXPECT_EQ(ExitCodeFor(absl::OkStatus()), kOk);
  EXPECT_EQ(ExitCodeFor(ErrnoStatus(ECONNREFUSED, "connect")), kSocketError);
  EXPECT_EQ(ExitCodeFor(ErrnoStatus(ECONNRESET, "recv")), kSocketError);
  EXPECT_EQ(ExitCodeFor(SocketErrorStatus(absl::StatusCode::kDeadlineExceeded,
                                          v1::SOCKET_ERROR_TIMED_OUT, "t")),
            kSocketError);
  EXPECT_EQ(ExitCodeFor(absl::UnavailableError("failed to connect")),
            kUnreachable);
  EXPECT_EQ(ExitCodeFor(absl::DeadlineExceededError("deadline")), kUnreachable);
  EXPECT_EQ(ExitCodeFor(SocketErrorStatus(absl::StatusCode::kUnavailable,
                                          v1::SOCKET_ERROR_SHUTTING_DOWN, "")),
            kUnreachable);
  EXPECT_EQ(ExitCodeFor(SocketErrorStatus(absl::StatusCode::kNotFound,
                                          v1::SOCKET_ERROR_INVALID_HANDLE, "")),
            kNotFound);
  EXPECT_EQ(ExitCodeFor(absl::NotFoundError("x")), kNotFound);
  EXPECT_EQ(ExitCodeFor(SocketErrorStatus(absl::StatusCode::kNotFound,
                                          v1::SOCKET_ERROR_HOST_NOT_FOUND, "")),
            kSocketError);
  EXPECT_EQ(
      ExitCodeFor(SocketErrorStatus(absl::StatusCode::kInvalidArgument,
                                    v1::SOCKET_ERROR_INVALID_REQUEST, "")),
      kUsageError);
  EXPECT_EQ(ExitCodeFor(absl::InternalError("bug")), kOtherError);
  EXPECT_EQ(ExitCodeFor(ErrnoStatus(EIO, "read")), kOtherError);
  EXPECT_EQ(ExitCodeFor(SocketErrorStatus(absl::StatusCode::kUnauthenticated,
                                          v1::SOCKET_ERROR_UNAUTHENTICATED,
                                          "the bearer token is not accepted")),
            kUnauthenticated);
  EXPECT_EQ(ExitCodeFor(absl::UnauthenticatedError("no detail")), kUnauthenticated);
}

TEST(ErrorLineTest, NamesTheSocketErrorAndErrno) {
  EXPECT_EQ(
      ErrorLine("connect", ErrnoStatus(ECONNREFUSED, "connect h:1")),
      "socketctl: connect: " +
          std::string(ErrnoStatus(ECONNREFUSED, "connect h:1").message()) +
          " (SOCKET_ERROR_CONNECTION_REFUSED, ECONNREFUSED)");
  EXPECT_EQ(ErrorLine("info", SocketErrorStatus(absl::StatusCode::kNotFound,
                                                v1::SOCKET_ERROR_INVALID_HANDLE,
                                                "no such handle")),
            "socketctl: info: no such handle (SOCKET_ERROR_INVALID_HANDLE)");
  EXPECT_EQ(ErrorLine("recv", absl::UnavailableError("down")),
            "socketctl: recv: down (UNAVAILABLE)");
}

}  // namespace
}  // namespace socketsvc::socketctl
