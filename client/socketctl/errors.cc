#include "client/socketctl/errors.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "common/socket_error.h"
#include "socketsvc/v1/errors.pb.h"

namespace socketsvc::socketctl {

ExitCode ExitCodeFor(const absl::Status& status) {
  if (status.ok()) return kOk;
  // socketd's detail decides; the code alone only when there is none (a
  // NOT_FOUND with SOCKET_ERROR_HOST_NOT_FOUND is a socket error).
  switch (GetSocketError(status)) {
    case v1::SOCKET_ERROR_UNSPECIFIED:
      break;
    case v1::SOCKET_ERROR_INVALID_HANDLE:
      return kNotFound;
    case v1::SOCKET_ERROR_INVALID_REQUEST:
      return kUsageError;
    case v1::SOCKET_ERROR_SHUTTING_DOWN:
      return kUnreachable;
    case v1::SOCKET_ERROR_INTERNAL_ERROR:
      return kOtherError;
    case v1::SOCKET_ERROR_UNAUTHENTICATED:
      return kUnauthenticated;
    default:
      return kSocketError;
  }
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
      return kNotFound;
    case absl::StatusCode::kInvalidArgument:
      return kUsageError;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return kUnreachable;
    case absl::StatusCode::kUnauthenticated:
      return kUnauthenticated;
    default:
      return kOtherError;
  }
}

std::string ErrorLine(absl::string_view op, const absl::Status& status) {
  std::optional<v1::ErrorDetail> detail = GetErrorDetail(status);
  std::string why;
  if (detail.has_value() && detail->error() != v1::SOCKET_ERROR_UNSPECIFIED) {
    why = v1::SocketError_Name(detail->error());
  } else {
    why = absl::StatusCodeToString(status.code());
  }
  if (detail.has_value() && detail->os_errno() != 0) {
    absl::StrAppend(&why, ", ",
                    detail->os_errno_name().empty()
                        ? ErrnoName(detail->os_errno())
                        : detail->os_errno_name());
  }
  return absl::StrCat("socketctl: ", op, ": ", status.message(), " (", why,
                      ")");
}

}  // namespace socketsvc::socketctl
