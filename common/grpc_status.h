// The one conversion between absl::Status and grpc::Status.
//
// absl and gRPC share code numbers. The ErrorDetail payload of an absl::Status
// travels as a socketsvc.v1.Status (wire-compatible with google.rpc.Status) in
// grpc::Status::error_details, i.e. the `grpc-status-details-bin` trailer.
#ifndef SOCKETSVC_COMMON_GRPC_STATUS_H_
#define SOCKETSVC_COMMON_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace socketsvc {

// Used by socketd at the edge of every RPC. The message is cut to
// kMaxEdgeMessageBytes and made valid UTF-8 (see EdgeMessage).
grpc::Status ToGrpcStatus(const absl::Status& status);

// Messages may quote what a caller sent (an address, a header value). The
// status travels in the trailers, twice (grpc-message and the details), and
// gRPC clients take 8 KiB of metadata by default: a longer one fails on the
// client's side as RESOURCE_EXHAUSTED instead of the real error, and can
// take the client's connection with every other call on it down. Bytes that
// are not UTF-8 would make the details undecodable (a proto3 string).
inline constexpr size_t kMaxEdgeMessageBytes = 1024;

// `message` cut to kMaxEdgeMessageBytes (at a character boundary, marked
// "...(N bytes)"), with every byte that is not part of valid UTF-8 replaced
// by '?'.
std::string EdgeMessage(absl::string_view message);

// Used by the client SDK on every failed RPC.
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace socketsvc

#endif  // SOCKETSVC_COMMON_GRPC_STATUS_H_
