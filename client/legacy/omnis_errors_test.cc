// The Omnis error-code table: every socketd outcome → its Omnis code, the
// errno → WinSock table, and the documented texts.
#include "client/legacy/omnis_errors.h"

#include <cerrno>
#include <string>

#include "common/socket_error.h"
#include "gtest/gtest.h"

namespace socketsvc::omnis {
namespace {

absl::Status Error(v1::SocketError error, int os_errno = 0,
                   absl::StatusCode code = absl::StatusCode::kUnavailable) {
  return SocketErrorStatus(code, error, "test", os_errno);
}

TEST(OmnisErrorsTest, SocketErrorsMapToOmnisCodes) {
  struct Case {
    v1::SocketError error;
    Operation operation;
    int32_t code;
  };
  const Case cases[] = {
      {v1::SOCKET_ERROR_INVALID_HANDLE, Operation::kSend, -509},
      {v1::SOCKET_ERROR_CONNECTION_REFUSED, Operation::kConnect, -10061},
      {v1::SOCKET_ERROR_HOST_NOT_FOUND, Operation::kConnect, -11001},
      {v1::SOCKET_ERROR_HOST_NOT_FOUND, Operation::kResolve, -11001},
      {v1::SOCKET_ERROR_TIMED_OUT, Operation::kConnect, -10060},
      {v1::SOCKET_ERROR_TIMED_OUT, Operation::kReceive, -10060},
      {v1::SOCKET_ERROR_CONNECTION_RESET, Operation::kReceive, -10054},
      {v1::SOCKET_ERROR_BROKEN_PIPE, Operation::kSend, -10054},
      {v1::SOCKET_ERROR_BROKEN_PIPE, Operation::kSendAfterPartialClose, -10058},
      {v1::SOCKET_ERROR_NOT_CONNECTED, Operation::kReceive, -10004},
      {v1::SOCKET_ERROR_HANDLE_BUSY, Operation::kReceive, -10036},
      {v1::SOCKET_ERROR_NETWORK_UNREACHABLE, Operation::kConnect, -10051},
      {v1::SOCKET_ERROR_HOST_UNREACHABLE, Operation::kConnect, -10065},
      {v1::SOCKET_ERROR_TLS_HANDSHAKE_FAILED, Operation::kConnect, -1021},
      {v1::SOCKET_ERROR_CERT_VERIFY_FAILED, Operation::kConnect, -1021},
      {v1::SOCKET_ERROR_TLS_PROTOCOL_ERROR, Operation::kReceive, -1021},
      {v1::SOCKET_ERROR_POLICY_DENIED, Operation::kConnect, -10013},
      {v1::SOCKET_ERROR_LIMIT_EXCEEDED, Operation::kConnect, -10024},
      {v1::SOCKET_ERROR_LIMIT_EXCEEDED, Operation::kListen, -10024},
      {v1::SOCKET_ERROR_LIMIT_EXCEEDED, Operation::kAccept, -10024},
      {v1::SOCKET_ERROR_LIMIT_EXCEEDED, Operation::kSend, -10040},
      {v1::SOCKET_ERROR_LIMIT_EXCEEDED, Operation::kResolve, -10055},
      {v1::SOCKET_ERROR_INVALID_REQUEST, Operation::kConnectService, -10109},
      {v1::SOCKET_ERROR_INVALID_REQUEST, Operation::kConnect, -10022},
      {v1::SOCKET_ERROR_ADDRESS_IN_USE, Operation::kListen, -10048},
      {v1::SOCKET_ERROR_CANCELLED, Operation::kReceive, -516},
      {v1::SOCKET_ERROR_SHUTTING_DOWN, Operation::kReceive, -10050},
      {v1::SOCKET_ERROR_INTERNAL_ERROR, Operation::kReceive, -10107},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ErrorCodeForStatus(Error(c.error), c.operation), c.code)
        << v1::SocketError_Name(c.error);
  }
  EXPECT_EQ(ErrorCodeForStatus(Error(v1::SOCKET_ERROR_INTERNAL_ERROR, EADDRNOTAVAIL),
                               Operation::kConnect),
            -10049);
  EXPECT_EQ(ErrorCodeForStatus(absl::OkStatus(), Operation::kSend), 0);
}

TEST(OmnisErrorsTest, ErrorsWithoutDetailMapByGrpcCode) {
  EXPECT_EQ(ErrorCodeForStatus(absl::UnavailableError("socketd down"), Operation::kConnect),
            kErrNetworkDown);
  EXPECT_EQ(ErrorCodeForStatus(absl::DeadlineExceededError("x"), Operation::kReceive),
            kErrTimedOut);
  EXPECT_EQ(ErrorCodeForStatus(absl::CancelledError("x"), Operation::kReceive), kErrCancelled);
  EXPECT_EQ(ErrorCodeForStatus(absl::UnauthenticatedError("x"), Operation::kConnect),
            kErrAccessDenied);
  EXPECT_EQ(ErrorCodeForStatus(absl::PermissionDeniedError("x"), Operation::kConnect),
            kErrAccessDenied);
  EXPECT_EQ(ErrorCodeForStatus(absl::NotFoundError("x"), Operation::kSend), kErrBadSocket);
  EXPECT_EQ(ErrorCodeForStatus(absl::UnknownError("x"), Operation::kSend), kErrSystemCallFailure);
  // A SocketError this facade does not know yet falls back to errno, then code.
  EXPECT_EQ(
      ErrorCodeForStatus(Error(static_cast<v1::SocketError>(999), ECONNRESET), Operation::kSend),
      kErrConnectionReset);
  EXPECT_EQ(ErrorCodeForStatus(
                Error(static_cast<v1::SocketError>(999), 0, absl::StatusCode::kUnauthenticated),
                Operation::kSend),
            kErrAccessDenied);
}

TEST(OmnisErrorsTest, ErrnoMapsToNegatedWinsockNumbers) {
  EXPECT_EQ(ErrorCodeForErrno(ECONNREFUSED), -10061);
  EXPECT_EQ(ErrorCodeForErrno(ECONNRESET), -10054);
  EXPECT_EQ(ErrorCodeForErrno(ETIMEDOUT), -10060);
  EXPECT_EQ(ErrorCodeForErrno(EWOULDBLOCK), -10035);
  EXPECT_EQ(ErrorCodeForErrno(EADDRINUSE), -10048);
  EXPECT_EQ(ErrorCodeForErrno(ENOTCONN), -10057);
  EXPECT_EQ(ErrorCodeForErrno(EPIPE), -10058);
  EXPECT_EQ(ErrorCodeForErrno(EMFILE), -10024);
  EXPECT_EQ(ErrorCodeForErrno(EHOSTUNREACH), -10065);
  EXPECT_EQ(ErrorCodeForErrno(ENETUNREACH), -10051);
  EXPECT_EQ(ErrorCodeForErrno(ENOENT), -10107);
}

TEST(OmnisErrorsTest, DocumentedTexts) {
  EXPECT_STREQ(ErrorText(-509), "Bad socket passed to command");
  EXPECT_STREQ(ErrorText(-511), "No address specified");
  EXPECT_STREQ(ErrorText(-517), "Bad option passed to TCPClose");
  EXPECT_STREQ(ErrorText(-522), "Timeout while waiting for response or request");
  EXPECT_STREQ(ErrorText(-523), "Badly formatted response from server");
  EXPECT_STREQ(ErrorText(-524), "Response from server is too short");
  EXPECT_STREQ(ErrorText(-525), "Response from server has incorrect syntax");
  EXPECT_STREQ(ErrorText(-1010), "Out of memory");
  EXPECT_STREQ(ErrorText(-10035), "Resource temporarily unavailable (WSAEWOULDBLOCK)");
  EXPECT_STREQ(ErrorText(-10061), "Connection refused (WSAECONNREFUSED)");
  EXPECT_STREQ(ErrorText(12345), "Unknown error");
}

}  // namespace
}  // namespace socketsvc::omnis
