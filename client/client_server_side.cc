// Client: the server side (Listen/Accept, HTTP server instances) and Poll.
#include <string>
#include <vector>

#include "client/client.h"
#include "client/client_call.h"

namespace socketsvc {

using client_internal::CancelledStatus;
using client_internal::EmptyHandleStatus;

absl::StatusOr<v1::ListenResponse> Client::Listen(absl::string_view bind_address,
                                                  uint32_t port, uint32_t backlog,
                                                  const CallOptions& options) const {
  v1::ListenRequest request;
  request.set_bind_address(std::string(bind_address));
  request.set_port(port);
  request.set_backlog(backlog);
  return Invoke<v1::ListenResponse>(
      options, [&](grpc::ClientContext* context, v1::ListenResponse* response) {
        return stub_->Listen(context, request, response);
      });
}

absl::StatusOr<v1::AcceptResponse> Client::Accept(
    absl::string_view listener, std::optional<int64_t> timeout_ms,
    const CallOptions& options) const {
  if (listener.empty()) return EmptyHandleStatus();
  v1::AcceptRequest request;
  request.set_listener(std::string(listener));
  if (timeout_ms.has_value()) request.set_timeout_ms(*timeout_ms);
  absl::StatusOr<v1::AcceptResponse> accepted = Invoke<v1::AcceptResponse>(
      options, [&](grpc::ClientContext* context, v1::AcceptResponse* response) {
        return stub_->Accept(context, request, response);
      });
  if (retry_ && accepted.ok() && !accepted->handle().empty()) {
    retry_->Register(accepted->handle());
  }
  return accepted;
}

absl::StatusOr<v1::ServerCreateResponse> Client::ServerCreate(
    const v1::ServerCreateRequest& request, const CallOptions& options) const {
  return Invoke<v1::ServerCreateResponse>(
      options,
      [&](grpc::ClientContext* context, v1::ServerCreateResponse* response) {
        return stub_->ServerCreate(context, request, response);
      });
}

absl::StatusOr<v1::ServerReceiveResponse> Client::ServerReceive(
    absl::string_view server_id, std::optional<int64_t> timeout_ms,
    const CallOptions& options) const {
  if (server_id.empty()) return EmptyHandleStatus();
  v1::ServerReceiveRequest request;
  request.set_server_id(std::string(server_id));
  if (timeout_ms.has_value()) request.set_timeout_ms(*timeout_ms);
  return Invoke<v1::ServerReceiveResponse>(
      options,
      [&](grpc::ClientContext* context, v1::ServerReceiveResponse* response) {
        return stub_->ServerReceive(context, request, response);
      });
}

absl::StatusOr<v1::ServerSendResponse> Client::ServerSend(
    const v1::ServerSendRequest& request, const CallOptions& options) const {
  if (request.request_handle().empty()) return EmptyHandleStatus();
  return Invoke<v1::ServerSendResponse>(
      options, [&](grpc::ClientContext* context, v1::ServerSendResponse* response) {
        return stub_->ServerSend(context, request, response);
      });
}

absl::StatusOr<v1::ServerDeleteResponse> Client::ServerDelete(
    absl::string_view server_id, const CallOptions& options) const {
  if (server_id.empty()) return EmptyHandleStatus();
  v1::ServerDeleteRequest request;
  request.set_server_id(std::string(server_id));
  return Invoke<v1::ServerDeleteResponse>(
      options,
      [&](grpc::ClientContext* context, v1::ServerDeleteResponse* response) {
        return stub_->ServerDelete(context, request, response);
      });
}

absl::StatusOr<v1::ServerInfo> Client::GetServerInfo(
    absl::string_view server_id, const CallOptions& options) const {
  if (server_id.empty()) return EmptyHandleStatus();
  v1::GetServerInfoRequest request;
  request.set_server_id(std::string(server_id));
  return Idempotent<v1::ServerInfo>(options, [&](const CallOptions& attempt) {
    return Invoke<v1::ServerInfo>(
        attempt, [&](grpc::ClientContext* context, v1::ServerInfo* response) {
          return stub_->GetServerInfo(context, request, response);
        });
  });
}

absl::StatusOr<v1::PollResponse> Client::Poll(const std::vector<v1::PollItem>& items,
                                              std::optional<int64_t> timeout_ms,
                                              const CallOptions& options) const {
  v1::PollRequest request;
  request.mutable_items()->Add(items.begin(), items.end());
  if (timeout_ms.has_value()) request.set_timeout_ms(*timeout_ms);
  return Invoke<v1::PollResponse>(
      options, [&](grpc::ClientContext* context, v1::PollResponse* response) {
        return stub_->Poll(context, request, response);
      });
}

}  // namespace socketsvc
