#include "service/http/http_limits.h"

#include "absl/strings/str_cat.h"
#include "common/socket_error.h"

namespace socketsvc {
namespace {

// Room for the other fields of the message and its framing.
constexpr size_t kMessageOverhead = 64 * 1024;

absl::Status Invalid(absl::string_view message) {
  return SocketErrorStatus(absl::StatusCode::kInvalidArgument,
                           v1::SOCKET_ERROR_INVALID_REQUEST, message);
}

template <typename T>
absl::StatusOr<T> Pick(T requested, T fallback, T bound, absl::string_view name) {
  if (requested == 0) return fallback;
  if (requested > bound) {
    return Invalid(absl::StrCat("limits.", name, " is ", requested,
                                "; socketd allows at most ", bound));
  }
  return requested;
}

absl::StatusOr<absl::Duration> PickTimeout(int64_t requested_ms, absl::Duration fallback,
                                           absl::Duration bound, absl::string_view name) {
  if (requested_ms == 0) return fallback;
  if (requested_ms < 0) {
    return Invalid(absl::StrCat("limits.", name, " must be > 0 (0: default)"));
  }
  const absl::Duration timeout = absl::Milliseconds(requested_ms);
  if (timeout > bound) {
    return Invalid(absl::StrCat("limits.", name, " is ", requested_ms,
                                " ms; socketd allows at most ",
                                absl::ToInt64Milliseconds(bound)));
  }
  return timeout;
}

}  // namespace

absl::StatusOr<HttpLimits> ResolveHttpLimits(const v1::ServerLimits& limits,
                                             const HttpServerDefaults& defaults) {
  HttpLimits out;
  absl::StatusOr<uint32_t> header =
      Pick(limits.max_header_bytes(), defaults.max_header_bytes,
           defaults.max_header_bytes_bound, "max_header_bytes");
  if (!header.ok()) return header.status();
  out.max_header_bytes = *header;
  absl::StatusOr<uint64_t> body = Pick(limits.max_body_bytes(), defaults.max_body_bytes,
                                       defaults.max_body_bytes_bound, "max_body_bytes");
  if (!body.ok()) return body.status();
  out.max_body_bytes = *body;
  absl::StatusOr<absl::Duration> idle =
      PickTimeout(limits.idle_timeout_ms(), defaults.idle_timeout, defaults.timeout_bound,
                  "idle_timeout_ms");
  if (!idle.ok()) return idle.status();
  out.idle_timeout = *idle;
  absl::StatusOr<absl::Duration> response =
      PickTimeout(limits.response_timeout_ms(), defaults.response_timeout,
                  defaults.timeout_bound, "response_timeout_ms");
  if (!response.ok()) return response.status();
  out.response_timeout = *response;
  absl::StatusOr<uint32_t> pending =
      Pick(limits.max_pending_requests(), defaults.max_pending_requests,
           defaults.max_pending_requests_bound, "max_pending_requests");
  if (!pending.ok()) return pending.status();
  out.max_pending_requests = *pending;
  absl::StatusOr<uint32_t> connections =
      Pick(limits.max_connections(), defaults.max_connections,
           defaults.max_connections_bound, "max_connections");
  if (!connections.ok()) return connections.status();
  out.max_connections = *connections;
  out.linger = defaults.linger;
  return out;
}

size_t MaxHttpMessageBytes(const HttpServerDefaults& defaults) {
  return static_cast<size_t>(defaults.max_body_bytes_bound) +
         defaults.max_header_bytes_bound + kMessageOverhead;
}

}  // namespace socketsvc
