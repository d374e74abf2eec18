// The one conversion between absl::Status and grpc::Status.
//
// absl and gRPC share code numbers. The ErrorDetail payload of an absl::Status
// travels as a socketsvc.v1.Status (wire-compatible with google.rpc.Status) in
// grpc::Status::error_details, i.e. the `grpc-status-details-bin` trailer.
#ifndef SOCKETSVC_COMMON_GRPC_STATUS_H_
#define SOCKETSVC_COMMON_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace socketsvc {

// Used by socketd at the edge of every RPC.
grpc::Status ToGrpcStatus(const absl::Status& status);

// Used by the client SDK on every failed RPC.
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace socketsvc

#endif  // SOCKETSVC_COMMON_GRPC_STATUS_H_
