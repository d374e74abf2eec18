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

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_API_TIMEOUTS_H_
