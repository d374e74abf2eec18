// The limits of one HTTP server instance: socketd's defaults and bounds, and
// how a ServerCreate request's ServerLimits map onto them.
//
// Pure functions and plain structs: thread-safe.
#ifndef SOCKETSVC_SERVICE_HTTP_HTTP_LIMITS_H_
#define SOCKETSVC_SERVICE_HTTP_HTTP_LIMITS_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "socketsvc/v1/sockets.pb.h"

namespace socketsvc {

// socketd-wide settings of HTTP servers (ServerOptions::http). The defaults
// apply to a ServerLimits field left 0; the bounds refuse larger requests
// with INVALID_ARGUMENT, because a body must fit one gRPC message.
struct HttpServerDefaults {
  uint32_t max_header_bytes = 16 * 1024;
  uint32_t max_header_bytes_bound = 1024 * 1024;
  uint64_t max_body_bytes = 8 * 1024 * 1024;
  uint64_t max_body_bytes_bound = 32 * 1024 * 1024;
  absl::Duration idle_timeout = absl::Seconds(60);
  absl::Duration response_timeout = absl::Seconds(30);
  // Both timeouts may be set to at most this.
  absl::Duration timeout_bound = absl::Hours(24);
  uint32_t max_pending_requests = 64;
  uint32_t max_pending_requests_bound = 65536;
  uint32_t max_connections = 256;
  uint32_t max_connections_bound = 65536;
  // HTTP servers that exist at once, over all callers.
  size_t max_servers = 1024;
  // After a response that closes the connection, how long socketd keeps
  // reading (and discarding) so that a client still sending its body gets
  // the response instead of an RST.
  absl::Duration linger = absl::Seconds(2);
};

// The effective limits of one server.
struct HttpLimits {
  uint32_t max_header_bytes = 0;
  uint64_t max_body_bytes = 0;
  absl::Duration idle_timeout;
  absl::Duration response_timeout;
  uint32_t max_pending_requests = 0;
  uint32_t max_connections = 0;
  absl::Duration linger;
};

// `limits` with zeros replaced by the defaults; INVALID_ARGUMENT for a
// negative timeout or a value above its bound.
absl::StatusOr<HttpLimits> ResolveHttpLimits(const v1::ServerLimits& limits,
                                             const HttpServerDefaults& defaults);

// The largest gRPC message an HTTP server RPC carries under `defaults`: a
// ServerReceiveResponse with the largest header and body, or a ServerSend
// with the largest body. socketd's gRPC server must accept and send it.
size_t MaxHttpMessageBytes(const HttpServerDefaults& defaults);

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_HTTP_HTTP_LIMITS_H_
