#include "service/api/request_util.h"

#include "common/socket_error.h"
#include "service/api/principal.h"
#include "service/sessions/handle.h"

namespace socketsvc {
namespace {

// Longest DNS name; IPv6 literals with a zone are shorter.
constexpr size_t kMaxHostLength = 255;

}  // namespace

absl::Status InvalidRequest(absl::string_view message) {
  return SocketErrorStatus(absl::StatusCode::kInvalidArgument,
                           v1::SOCKET_ERROR_INVALID_REQUEST, message);
}

absl::Status ValidateHostName(absl::string_view host, absl::string_view field) {
  if (host.empty()) return InvalidRequest(absl::StrCat(field, " is required"));
  if (host.size() > kMaxHostLength || host.find('\0') != absl::string_view::npos) {
    return InvalidRequest(absl::StrCat(field, " is not a valid name or address"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<Session>> FindSession(
    SessionTable& table, absl::string_view handle,
    const grpc::CallbackServerContext& context) {
  if (handle.empty()) return InvalidRequest("handle is required");
  if (!IsWellFormedHandle(handle)) {
    return SocketErrorStatus(absl::StatusCode::kNotFound,
                             v1::SOCKET_ERROR_INVALID_HANDLE, "no such handle");
  }
  return table.Find(handle, PrincipalOf(context));
}

absl::Time RpcDeadline(const grpc::CallbackServerContext& context) {
  const auto deadline = context.deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) {
    return absl::InfiniteFuture();
  }
  return absl::FromChrono(deadline);
}

}  // namespace socketsvc
