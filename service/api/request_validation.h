// What the RPC handlers check in a request before any lookup or I/O: field
// ranges, names, handle shapes, bind addresses. Split from the handlers
// (which call these) so that unit tests and the fuzzers in tests/fuzz/ can
// feed them arbitrary requests without a server.
//
// Pure functions: thread-safe.
#ifndef SOCKETSVC_SERVICE_API_REQUEST_VALIDATION_H_
#define SOCKETSVC_SERVICE_API_REQUEST_VALIDATION_H_

#include <boost/asio/ip/tcp.hpp>
#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "socketsvc/v1/sockets.pb.h"

namespace socketsvc {

// INVALID_ARGUMENT with SOCKET_ERROR_INVALID_REQUEST.
absl::Status InvalidRequest(absl::string_view message);

// A host name or address a caller may pass: 1..255 bytes, no NUL.
absl::Status ValidateHostName(absl::string_view host, absl::string_view field);

// A handle a caller passes in `field`: INVALID_ARGUMENT if empty; a
// malformed one gets the same NOT_FOUND/INVALID_HANDLE as an unknown one
// (never an oracle). `listener` also requires a listener handle ("l…").
absl::Status CheckHandleShape(absl::string_view handle, absl::string_view field,
                              bool listener = false);

// Connect: host, port or service, timeout_ms (0 cannot connect).
absl::Status ValidateConnect(const v1::ConnectRequest& request);

// Send: RESOURCE_EXHAUSTED/LIMIT_EXCEEDED for more than `max_send_bytes`.
absl::Status ValidateSendSize(size_t bytes, uint32_t max_send_bytes);

// What one Receive reads: at most `max_bytes`, waiting for `min_bytes`.
struct ReceiveSizes {
  uint32_t max_bytes = 1;
  uint32_t min_bytes = 1;
};

// Receive's sizes: INVALID_ARGUMENT if min_bytes exceeds a non-zero
// max_bytes. Sizes above `max_receive_bytes` are lowered, not refused
// (Receive may return less anyway); max_bytes 0 means
// `default_receive_bytes`, or min_bytes if that is larger. Always
// 1 <= min_bytes <= max_bytes.
absl::StatusOr<ReceiveSizes> ReceiveSizesFor(const v1::ReceiveRequest& request,
                                             uint32_t default_receive_bytes,
                                             uint32_t max_receive_bytes);

// Send with an offset: offset + len(data) fits in 64 bits.
absl::Status ValidateSendOffset(const v1::SendRequest& request);

// Receive: `peek` is not combined with `offset` (a peek consumes nothing, so
// there is nothing to retry exactly once).
absl::Status ValidateReceiveOffset(const v1::ReceiveRequest& request);

// Close: mode is one of CloseMode.
absl::Status ValidateCloseMode(int mode);

// Close of a listener: no send_offset (a listener has no byte stream).
absl::Status ValidateListenerClose(const v1::CloseRequest& request);

// Listen: the endpoint to bind (empty address: 127.0.0.1; port 0..65535).
absl::StatusOr<boost::asio::ip::tcp::endpoint> ListenEndpoint(
    const v1::ListenRequest& request);

// ServerCreate: the endpoint to bind (empty address: 127.0.0.1; "[::1]" is
// "::1"; port 0..65535).
absl::StatusOr<boost::asio::ip::tcp::endpoint> ServerEndpoint(
    const v1::ServerCreateRequest& request);

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_API_REQUEST_VALIDATION_H_
