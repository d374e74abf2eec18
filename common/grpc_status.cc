#include "common/grpc_status.h"

#include <string>

#include "absl/strings/cord.h"
#include "common/socket_error.h"
#include "socketsvc/v1/errors.pb.h"

namespace socketsvc {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const auto code = static_cast<grpc::StatusCode>(status.code());
  const std::string message(status.message());
  std::optional<v1::ErrorDetail> detail = GetErrorDetail(status);
  if (!detail) return grpc::Status(code, message);
  v1::Status wire;
  wire.set_code(static_cast<int>(status.code()));
  wire.set_message(message);
  wire.add_details()->PackFrom(*detail);
  return grpc::Status(code, message, wire.SerializeAsString());
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  absl::Status result(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
  v1::Status wire;
  if (status.error_details().empty() ||
      !wire.ParseFromString(status.error_details())) {
    return result;
  }
  for (const auto& any : wire.details()) {
    v1::ErrorDetail detail;
    if (any.UnpackTo(&detail)) {
      result.SetPayload(kErrorDetailTypeUrl,
                        absl::Cord(detail.SerializeAsString()));
      break;
    }
  }
  return result;
}

}  // namespace socketsvc
