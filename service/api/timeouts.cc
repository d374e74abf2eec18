#include "service/api/timeouts.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/socket_error.h"

namespace socketsvc {

absl::StatusOr<absl::Time> DeadlineFromTimeout(
    std::optional<int64_t> timeout_ms, absl::Duration unset_limit,
    absl::Time now) {
  if (!timeout_ms.has_value()) {
    if (unset_limit == absl::InfiniteDuration()) return absl::InfiniteFuture();
    return now + unset_limit;
  }
  if (*timeout_ms == 0) return absl::InfinitePast();
  if (*timeout_ms == -1) return absl::InfiniteFuture();
  if (*timeout_ms < 0) {
    return SocketErrorStatus(
        absl::StatusCode::kInvalidArgument, v1::SOCKET_ERROR_INVALID_REQUEST,
        absl::StrCat("timeout_ms must be -1, 0 or positive, not ", *timeout_ms));
  }
  return now + absl::Milliseconds(*timeout_ms);
}

absl::Time ClampToRpcDeadline(absl::Time deadline, absl::Time rpc_deadline,
                              absl::Time now) {
  if (rpc_deadline == absl::InfiniteFuture()) return deadline;
  const absl::Duration margin =
      std::max(absl::Milliseconds(20), (rpc_deadline - now) / 20);
  return std::min(deadline, rpc_deadline - margin);
}

}  // namespace socketsvc
