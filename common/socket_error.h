// Socket errors carried inside absl::Status.
//
// The core reports failures as absl::Status whose payload holds a serialized
// socketsvc.v1.ErrorDetail (SocketError enum plus errno). The gRPC edge
// (grpc_status.h) moves that payload into the status details; the client
// SDK moves it back. Thread-safe: pure functions.
#ifndef SOCKETSVC_COMMON_SOCKET_ERROR_H_
#define SOCKETSVC_COMMON_SOCKET_ERROR_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "socketsvc/v1/errors.pb.h"

namespace socketsvc {

// Type URL of the ErrorDetail, as an Any and as an absl::Status payload.
inline constexpr absl::string_view kErrorDetailTypeUrl =
    "type.googleapis.com/socketsvc.v1.ErrorDetail";

// A status with `code`, `message` and a SocketError detail.
absl::Status SocketErrorStatus(absl::StatusCode code, v1::SocketError error,
                               absl::string_view message, int os_errno = 0);

// Maps an errno to the status a caller should act on: ECONNREFUSED and
// ECONNRESET are UNAVAILABLE, ETIMEDOUT is DEADLINE_EXCEEDED, EPIPE is
// FAILED_PRECONDITION, and so on; `context` prefixes the message.
absl::Status ErrnoStatus(int os_errno, absl::string_view context);

// The SocketError an errno stands for (INTERNAL_ERROR if none fits).
v1::SocketError SocketErrorForErrno(int os_errno);

// The detail attached to `status`, if any.
std::optional<v1::ErrorDetail> GetErrorDetail(const absl::Status& status);

// The SocketError of `status`: its detail's, else SOCKET_ERROR_UNSPECIFIED.
v1::SocketError GetSocketError(const absl::Status& status);

// Symbolic name of an errno ("ECONNRESET"), or its number as text.
std::string ErrnoName(int os_errno);

}  // namespace socketsvc

#endif  // SOCKETSVC_COMMON_SOCKET_ERROR_H_
