// How socketctl turns a failed call into a message and an exit code.
// Thread-safe: pure functions.
#ifndef SOCKETSVC_CLIENT_SOCKETCTL_ERRORS_H_
#define SOCKETSVC_CLIENT_SOCKETCTL_ERRORS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace socketsvc::socketctl {

// socketctl's exit codes; the usage text lists them for people.
enum ExitCode {
  kOk = 0,
  // Bad command line, or socketd rejected an argument
  // (SOCKET_ERROR_INVALID_REQUEST, or INVALID_ARGUMENT without a socket error).
  kUsageError = 1,
  // socketd cannot be reached or did not answer: UNAVAILABLE or
  // DEADLINE_EXCEEDED without a socket detail, or SOCKET_ERROR_SHUTTING_DOWN.
  kUnreachable = 2,
  // The socket operation failed: any other SocketError (refused, reset, host
  // not found, timed out, policy denied, limit exceeded...).
  kSocketError = 3,
  // Unknown or released handle: SOCKET_ERROR_INVALID_HANDLE, or NOT_FOUND
  // without a socket error.
  kNotFound = 4,
  // Anything else: SOCKET_ERROR_INTERNAL_ERROR, other gRPC codes, local I/O.
  kOtherError = 5,
  // socketd did not accept the caller: UNAUTHENTICATED
  // (SOCKET_ERROR_UNAUTHENTICATED: no or a wrong bearer token).
  kUnauthenticated = 6,
};

// The exit code for a failed call's status (kOk for an OK status).
ExitCode ExitCodeFor(const absl::Status& status);

// "socketctl: OP: MESSAGE (WHY[, ERRNO])", without a newline. WHY is the
// SocketError's name ("SOCKET_ERROR_CONNECTION_REFUSED") or, without a
// detail, the status code's ("UNAVAILABLE"); ERRNO is the errno's name.
std::string ErrorLine(absl::string_view op, const absl::Status& status);

}  // namespace socketsvc::socketctl

#endif  // SOCKETSVC_CLIENT_SOCKETCTL_ERRORS_H_
