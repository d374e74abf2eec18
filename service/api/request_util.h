// What every RPC handler does with its request before the real work:
// validate fields, compute the call's deadline, find the caller's session.
#ifndef SOCKETSVC_SERVICE_API_REQUEST_UTIL_H_
#define SOCKETSVC_SERVICE_API_REQUEST_UTIL_H_

#include <grpcpp/server_context.h>

#include <chrono>
#include <memory>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "service/api/request_validation.h"
#include "service/api/timeouts.h"
#include "service/sessions/session_table.h"

namespace socketsvc {

// InvalidRequest, ValidateHostName and the other pure field checks are in
// request_validation.h.

// Validates a handle and finds the caller's session behind it. A malformed
// handle gets the same NOT_FOUND as an unknown one: never an oracle.
absl::StatusOr<std::shared_ptr<Session>> FindSession(
    SessionTable& table, absl::string_view handle,
    const grpc::CallbackServerContext& context);

// The gRPC deadline as absl::Time (InfiniteFuture when none).
absl::Time RpcDeadline(const grpc::CallbackServerContext& context);

// A call that creates something and hands out its handle at once (Listen,
// ServerCreate) needs time for its answer to reach the caller: with less
// than kAnswerMargin (ClampToRpcDeadline's smallest margin) before the gRPC
// deadline it fails DEADLINE_EXCEEDED/TIMED_OUT and creates nothing, rather
// than create something whose handle arrives after the caller gave up. An
// answer that visibly fails is undone (CallReactor::SetUndoIfUndelivered).
inline constexpr absl::Duration kAnswerMargin = absl::Milliseconds(20);
absl::Status CheckTimeToAnswer(const grpc::CallbackServerContext& context);

// The deadline of a blocking call: its timeout_ms (unset: `unset_limit`),
// answered shortly before the gRPC deadline at the latest.
template <typename Request>
absl::StatusOr<absl::Time> CallDeadline(const Request& request,
                                        absl::Duration unset_limit,
                                        const grpc::CallbackServerContext& context) {
  const absl::Time now = absl::Now();
  std::optional<int64_t> timeout_ms;
  if (request.has_timeout_ms()) timeout_ms = request.timeout_ms();
  absl::StatusOr<absl::Time> deadline =
      DeadlineFromTimeout(timeout_ms, unset_limit, now);
  if (!deadline.ok()) return deadline;
  return ClampToRpcDeadline(*deadline, RpcDeadline(context), now);
}

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_API_REQUEST_UTIL_H_
