// The timeout_ms convention of every blocking RPC, as a deadline.
#ifndef SOCKETSVC_SERVICE_API_TIMEOUTS_H_
#define SOCKETSVC_SERVICE_API_TIMEOUTS_H_

#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace socketsvc {

// unset → now + `unset_limit` (InfiniteFuture if that is infinite);
// 0 → InfinitePast ("do not block"); -1 → InfiniteFuture ("no own limit");
// > 0 → now + timeout_ms; anything else is INVALID_ARGUMENT.
absl::StatusOr<absl::Time> DeadlineFromTimeout(
    std::optional<int64_t> timeout_ms, absl::Duration unset_limit,
    absl::Time now);

// Moves `deadline` to shortly before `rpc_deadline` (the gRPC deadline;
// InfiniteFuture if none) when that comes first, so that socketd answers with
// what it has (timed_out, bytes_sent) before the client gives up on the RPC
// and the answer is lost. The margin is 5% of the time left, at least 20 ms.
absl::Time ClampToRpcDeadline(absl::Time deadline, absl::Time rpc_deadline,
                              absl::Time now);

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_API_TIMEOUTS_H_
