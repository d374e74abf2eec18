#include "common/socket_error.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

namespace socketsvc {
namespace {

struct ErrnoMapping {
  int os_errno;
  const char* name;
  absl::StatusCode code;
  v1::SocketError error;
};

// What a caller should do next decides the code: retry later (UNAVAILABLE),
// fix the call (FAILED_PRECONDITION), wait less (DEADLINE_EXCEEDED).
constexpr ErrnoMapping kErrnoMappings[] = {
    {ECONNREFUSED, "ECONNREFUSED", absl::StatusCode::kUnavailable,
     v1::SOCKET_ERROR_CONNECTION_REFUSED},
    {ECONNRESET, "ECONNRESET", absl::StatusCode::kUnavailable,
     v1::SOCKET_ERROR_CONNECTION_RESET},
    {ECONNABORTED, "ECONNABORTED", absl::StatusCode::kUnavailable,
     v1::SOCKET_ERROR_CONNECTION_RESET},
    {EPIPE, "EPIPE", absl::StatusCode::kFailedPrecondition, v1::SOCKET_ERROR_BROKEN_PIPE},
    {ETIMEDOUT, "ETIMEDOUT", absl::StatusCode::kDeadlineExceeded,
     v1::SOCKET_ERROR_TIMED_OUT},
    {ENETUNREACH, "ENETUNREACH", absl::StatusCode::kUnavailable,
     v1::SOCKET_ERROR_NETWORK_UNREACHABLE},
    {ENETDOWN, "ENETDOWN", absl::StatusCode::kUnavailable,
     v1::SOCKET_ERROR_NETWORK_UNREACHABLE},
    {EHOSTUNREACH, "EHOSTUNREACH", absl::StatusCode::kUnavailable,
     v1::SOCKET_ERROR_HOST_UNREACHABLE},
    {EHOSTDOWN, "EHOSTDOWN", absl::StatusCode::kUnavailable,
     v1::SOCKET_ERROR_HOST_UNREACHABLE},
    {ENOTCONN, "ENOTCONN", absl::StatusCode::kFailedPrecondition,
     v1::SOCKET_ERROR_NOT_CONNECTED},
    {EADDRINUSE, "EADDRINUSE", absl::StatusCode::kFailedPrecondition,
     v1::SOCKET_ERROR_ADDRESS_IN_USE},
    {EADDRNOTAVAIL, "EADDRNOTAVAIL", absl::StatusCode::kInvalidArgument,
     v1::SOCKET_ERROR_INVALID_REQUEST},
    {EAFNOSUPPORT, "EAFNOSUPPORT", absl::StatusCode::kInvalidArgument,
     v1::SOCKET_ERROR_INVALID_REQUEST},
    {EACCES, "EACCES", absl::StatusCode::kPermissionDenied,
     v1::SOCKET_ERROR_POLICY_DENIED},
    {EMFILE, "EMFILE", absl::StatusCode::kResourceExhausted,
     v1::SOCKET_ERROR_LIMIT_EXCEEDED},
    {ENFILE, "ENFILE", absl::StatusCode::kResourceExhausted,
     v1::SOCKET_ERROR_LIMIT_EXCEEDED},
    {ENOBUFS, "ENOBUFS", absl::StatusCode::kResourceExhausted,
     v1::SOCKET_ERROR_LIMIT_EXCEEDED},
    {ECANCELED, "ECANCELED", absl::StatusCode::kCancelled, v1::SOCKET_ERROR_CANCELLED},
};

const ErrnoMapping* FindMapping(int os_errno) {
  for (const ErrnoMapping& m : kErrnoMappings) {
    if (m.os_errno == os_errno) return &m;
  }
  return nullptr;
}

}  // namespace

absl::Status SocketErrorStatus(absl::StatusCode code, v1::SocketError error,
                               absl::string_view message, int os_errno) {
  absl::Status status(code, message);
  v1::ErrorDetail detail;
  detail.set_error(error);
  if (os_errno != 0) {
    detail.set_os_errno(os_errno);
    detail.set_os_errno_name(ErrnoName(os_errno));
  }
  status.SetPayload(kErrorDetailTypeUrl,
                    absl::Cord(detail.SerializeAsString()));
  return status;
}

absl::Status ErrnoStatus(int os_errno, absl::string_view context) {
  const ErrnoMapping* m = FindMapping(os_errno);
  absl::StatusCode code = m ? m->code : absl::StatusCode::kInternal;
  v1::SocketError error = m ? m->error : v1::SOCKET_ERROR_INTERNAL_ERROR;
  return SocketErrorStatus(
      code, error,
      absl::StrCat(context, context.empty() ? "" : ": ", std::strerror(os_errno)),
      os_errno);
}

v1::SocketError SocketErrorForErrno(int os_errno) {
  const ErrnoMapping* m = FindMapping(os_errno);
  return m ? m->error : v1::SOCKET_ERROR_INTERNAL_ERROR;
}

std::optional<v1::ErrorDetail> GetErrorDetail(const absl::Status& status) {
  absl::optional<absl::Cord> payload = status.GetPayload(kErrorDetailTypeUrl);
  if (!payload) return std::nullopt;
  v1::ErrorDetail detail;
  if (!detail.ParseFromString(std::string(*payload))) return std::nullopt;
  return detail;
}

v1::SocketError GetSocketError(const absl::Status& status) {
  std::optional<v1::ErrorDetail> detail = GetErrorDetail(status);
  return detail ? detail->error() : v1::SOCKET_ERROR_UNSPECIFIED;
}

std::string ErrnoName(int os_errno) {
  if (const ErrnoMapping* m = FindMapping(os_errno)) return m->name;
  const char* name = strerrorname_np(os_errno);
  return name ? std::string(name) : absl::StrCat(os_errno);
}

}  // namespace socketsvc
