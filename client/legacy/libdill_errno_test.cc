// The libdill facade's pure parts, without socketd: the errno of every
// socketd status (also those a test cannot provoke on demand, such as a
// TLS failure or socketd shutting down), deadline conversion, and the calls
// made before Use().
#include "client/legacy/libdill_internal.h"
#include "client/legacy/libdill_test_util.h"
#include "common/socket_error.h"

namespace socketsvc::libdill {
namespace {

using internal::ErrnoFor;
using internal::Op;

absl::Status Socket(absl::StatusCode code, v1::SocketError error, int os_errno = 0) {
  return SocketErrorStatus(code, error, "detail", os_errno);
}

TEST(LibdillErrnoTest, CallsBeforeUse) {
  // No test of this binary calls Use().
  struct ipaddr addr;
  ASSERT_EQ(ipaddr_remote(&addr, "127.0.0.1", 80, 0, -1), 0);  // literals need no socketd
  EXPECT_ERRNO(tcp_connect(&addr, -1), ENETDOWN);
  EXPECT_ERRNO(tcp_listen(&addr, 1), ENETDOWN);
  EXPECT_ERRNO(ipaddr_remote(&addr, "localhost", 80, 0, -1), EADDRNOTAVAIL);
  EXPECT_ERRNO(bsend(1, "x", 1, -1), EBADF);
}

TEST(LibdillErrnoTest, Deadlines) {
  EXPECT_EQ(internal::TimeoutMs(-1), -1);
  EXPECT_EQ(internal::TimeoutMs(0), 0);
  EXPECT_EQ(internal::TimeoutMs(now() - 5), 0);
  const int64_t left = internal::TimeoutMs(now() + 10000);
  EXPECT_GT(left, 9000);
  EXPECT_LE(left, 10000);
  EXPECT_EQ(internal::OptionsFor(-1).rpc_timeout, absl::InfiniteDuration());
  EXPECT_GT(internal::OptionsFor(now() + 1000).rpc_timeout, absl::Seconds(1));
}

TEST(LibdillErrnoTest, OsErrnoWinsWhenLibdillKnowsIt) {
  using C = absl::StatusCode;
  EXPECT_EQ(ErrnoFor(Socket(C::kUnavailable, v1::SOCKET_ERROR_INTERNAL_ERROR, ENETDOWN),
                     Op::kConnect),
            ENETDOWN);
  EXPECT_EQ(ErrnoFor(Socket(C::kInvalidArgument, v1::SOCKET_ERROR_INVALID_REQUEST,
                            EADDRNOTAVAIL),
                     Op::kListen),
            EADDRNOTAVAIL);
  // libdill's fd.c reports a kernel EPIPE as ECONNRESET.
  EXPECT_EQ(ErrnoFor(Socket(C::kFailedPrecondition, v1::SOCKET_ERROR_BROKEN_PIPE, EPIPE),
                     Op::kSend),
            ECONNRESET);
  EXPECT_EQ(ErrnoFor(Socket(C::kUnavailable, v1::SOCKET_ERROR_HOST_UNREACHABLE, EHOSTDOWN),
                     Op::kConnect),
            EHOSTUNREACH);
}

TEST(LibdillErrnoTest, SocketErrors) {
  using C = absl::StatusCode;
  struct Row {
    v1::SocketError error;
    Op op;
    int want;
  };
  const Row rows[] = {
      {v1::SOCKET_ERROR_CONNECTION_REFUSED, Op::kConnect, ECONNREFUSED},
      {v1::SOCKET_ERROR_CONNECTION_RESET, Op::kReceive, ECONNRESET},
      {v1::SOCKET_ERROR_BROKEN_PIPE, Op::kSend, ECONNRESET},
      {v1::SOCKET_ERROR_TIMED_OUT, Op::kConnect, ETIMEDOUT},
      {v1::SOCKET_ERROR_NETWORK_UNREACHABLE, Op::kConnect, ENETUNREACH},
      {v1::SOCKET_ERROR_HOST_UNREACHABLE, Op::kConnect, EHOSTUNREACH},
      {v1::SOCKET_ERROR_HOST_NOT_FOUND, Op::kResolve, EADDRNOTAVAIL},
      {v1::SOCKET_ERROR_ADDRESS_IN_USE, Op::kListen, EADDRINUSE},
      {v1::SOCKET_ERROR_LIMIT_EXCEEDED, Op::kConnect, EMFILE},
      {v1::SOCKET_ERROR_LIMIT_EXCEEDED, Op::kAccept, EMFILE},
      {v1::SOCKET_ERROR_LIMIT_EXCEEDED, Op::kSend, ENOMEM},
      {v1::SOCKET_ERROR_HANDLE_BUSY, Op::kReceive, EBUSY},
      {v1::SOCKET_ERROR_INVALID_REQUEST, Op::kConnect, EINVAL},
      {v1::SOCKET_ERROR_POLICY_DENIED, Op::kConnect, EACCES},
      {v1::SOCKET_ERROR_CANCELLED, Op::kReceive, ECANCELED},
      {v1::SOCKET_ERROR_NOT_CONNECTED, Op::kReceive, ECANCELED},
      {v1::SOCKET_ERROR_INVALID_HANDLE, Op::kSend, ECONNRESET},
      {v1::SOCKET_ERROR_INVALID_HANDLE, Op::kAccept, EBADF},
      {v1::SOCKET_ERROR_SHUTTING_DOWN, Op::kConnect, ENETDOWN},
      {v1::SOCKET_ERROR_SHUTTING_DOWN, Op::kReceive, ECONNRESET},
      {v1::SOCKET_ERROR_TLS_PROTOCOL_ERROR, Op::kReceive, ECONNRESET},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(ErrnoFor(Socket(C::kUnavailable, row.error), row.op), row.want)
        << v1::SocketError_Name(row.error);
  }
}

TEST(LibdillErrnoTest, StatusesWithoutADetail) {
  EXPECT_EQ(ErrnoFor(absl::DeadlineExceededError("rpc"), Op::kReceive), ETIMEDOUT);
  EXPECT_EQ(ErrnoFor(absl::CancelledError("rpc"), Op::kSend), ECANCELED);
  EXPECT_EQ(ErrnoFor(absl::InvalidArgumentError("x"), Op::kConnect), EINVAL);
  EXPECT_EQ(ErrnoFor(absl::ResourceExhaustedError("x"), Op::kSend), ENOMEM);
  EXPECT_EQ(ErrnoFor(absl::PermissionDeniedError("x"), Op::kListen), EACCES);
  EXPECT_EQ(ErrnoFor(absl::UnauthenticatedError("x"), Op::kConnect), EACCES);
  // socketd out of reach: no network for new sockets, broken for open ones.
  EXPECT_EQ(ErrnoFor(absl::UnavailableError("down"), Op::kConnect), ENETDOWN);
  EXPECT_EQ(ErrnoFor(absl::UnavailableError("down"), Op::kListen), ENETDOWN);
  EXPECT_EQ(ErrnoFor(absl::UnavailableError("down"), Op::kSend), ECONNRESET);
  EXPECT_EQ(ErrnoFor(absl::UnavailableError("down"), Op::kAccept), ECANCELED);
}

}  // namespace
}  // namespace socketsvc::libdill
