// Kernel socket options of a connected socket (SetOptions / GetOptions).
//
// Validation is pure; applying and reading work on a file descriptor with
// setsockopt/getsockopt and never block. idle_timeout_ms is not a kernel
// option: the Session keeps it, these functions only validate it.
// Thread-safe (no state).
#ifndef SOCKETSVC_SERVICE_NET_SOCKET_OPTIONS_H_
#define SOCKETSVC_SERVICE_NET_SOCKET_OPTIONS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "socketsvc/v1/sockets.pb.h"

namespace socketsvc {

// Bounds of the settable values (see sockets.proto).
inline constexpr int64_t kMaxIdleTimeoutMs = int64_t{30} * 24 * 3600 * 1000;
inline constexpr int32_t kMaxKeepaliveSeconds = 32767;  // Linux MAX_TCP_KEEPIDLE
inline constexpr int32_t kMaxKeepaliveCount = 127;      // Linux MAX_TCP_KEEPCNT
inline constexpr int32_t kMaxSocketBufferBytes = 64 * 1024 * 1024;

// INVALID_ARGUMENT/INVALID_REQUEST naming the first bad field: a value out
// of its range, or a field this build does not know (an unknown field
// number sent by a newer client), so that nothing is silently ignored.
absl::Status ValidateSocketOptions(const v1::SocketOptions& options);

// Sets the kernel options present in `options` on `fd`, in field order.
// A setsockopt failure stops there and names the field.
absl::Status ApplySocketOptions(int fd, const v1::SocketOptions& options);

// Every kernel option of `fd` as getsockopt reports it (idle_timeout_ms is
// left unset for the caller to fill in).
absl::StatusOr<v1::SocketOptions> ReadSocketOptions(int fd);

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_NET_SOCKET_OPTIONS_H_
