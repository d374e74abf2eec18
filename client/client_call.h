// Internal to //client: the call machinery both client.cc and
// client_server_side.cc use (one attempt with deadline, credentials and
// cancel token; idempotent retries). Not part of the public API.
#ifndef SOCKETSVC_CLIENT_CLIENT_CALL_H_
#define SOCKETSVC_CLIENT_CLIENT_CALL_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "client/retrying_stream.h"
#include "common/grpc_status.h"
#include "common/socket_error.h"

namespace socketsvc {
namespace client_internal {

inline absl::Status CancelledStatus(absl::string_view message) {
  return SocketErrorStatus(absl::StatusCode::kCancelled,
                           v1::SOCKET_ERROR_CANCELLED, message);
}

inline absl::Status EmptyHandleStatus() {
  return SocketErrorStatus(absl::StatusCode::kInvalidArgument,
                           v1::SOCKET_ERROR_INVALID_REQUEST, "handle is empty");
}

}  // namespace client_internal

template <typename Response, typename Rpc>
absl::StatusOr<Response> Client::Invoke(const CallOptions& options,
                                        Rpc rpc) const {
  grpc::ClientContext context;
  if (!authorization_.empty()) context.AddMetadata("authorization", authorization_);
  if (options.rpc_timeout != absl::InfiniteDuration()) {
    context.set_deadline(absl::ToChronoTime(absl::Now() + options.rpc_timeout));
  }
  if (options.wait_for_ready) context.set_wait_for_ready(true);

  CancelToken* token = options.cancel.get();
  if (token != nullptr && !token->Register(&context)) {
    return client_internal::CancelledStatus("cancelled before the call started");
  }
  Response response;
  grpc::Status status = rpc(&context, &response);
  if (token != nullptr) token->Unregister(&context);

  if (status.ok()) return response;
  absl::Status result = FromGrpcStatus(status);
  // A call cancelled by the token ends on the client side, without socketd's
  // detail; add the SocketError so callers can test for it uniformly.
  if (result.code() == absl::StatusCode::kCancelled && token != nullptr &&
      token->cancelled() && !GetErrorDetail(result).has_value()) {
    return client_internal::CancelledStatus(result.message());
  }
  return result;
}

template <typename Response, typename Attempt>
absl::StatusOr<Response> Client::Idempotent(const CallOptions& options,
                                            Attempt attempt) const {
  if (!retry_) return attempt(options);
  return RetryIdempotent<Response>(retry_->policy(), options, std::move(attempt));
}


}  // namespace socketsvc

#endif  // SOCKETSVC_CLIENT_CLIENT_CALL_H_
