#include "service/api/request_util.h"

#include "common/socket_error.h"
#include "service/api/principal.h"
#include "service/sessions/handle.h"

namespace socketsvc {

absl::StatusOr<std::shared_ptr<Session>> FindSession(
    SessionTable& table, absl::string_view handle,
    const grpc::CallbackServerContext& context) {
  absl::Status shape = CheckHandleShape(handle, "handle");
  if (!shape.ok()) return shape;
  return table.Find(handle, PrincipalOf(context));
}

absl::Status CheckTimeToAnswer(const grpc::CallbackServerContext& context) {
  if (RpcDeadline(context) - absl::Now() >= kAnswerMargin) return absl::OkStatus();
  return SocketErrorStatus(absl::StatusCode::kDeadlineExceeded, v1::SOCKET_ERROR_TIMED_OUT,
                           "the call's deadline leaves no time for its answer");
}

absl::Time RpcDeadline(const grpc::CallbackServerContext& context) {
  const auto deadline = context.deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) {
    return absl::InfiniteFuture();
  }
  return absl::FromChrono(deadline);
}

}  // namespace socketsvc
