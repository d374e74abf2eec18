#include "service/api/socket_service.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/socket_error.h"
#include "common/status_macros.h"
#include "service/api/call_reactor.h"
#include "service/api/principal.h"
#include "service/api/request_util.h"
#include "service/api/request_validation.h"
#include "service/net/dialer.h"
#include "service/sessions/handle.h"

namespace socketsvc {

SocketServiceImpl::SocketServiceImpl(boost::asio::any_io_executor executor,
                                     SessionTable& table, ListenerTable& listeners,
                                     Resolver& resolver,
                                     const TlsClientContext& tls_context,
                                     ServiceOptions options,
                                     HttpServerTable& http_servers,
                                     const PolicyStore& policy)
    : executor_(std::move(executor)),
      table_(table),
      listeners_(listeners),
      resolver_(resolver),
      tls_context_(tls_context),
      options_(options),
      http_servers_(http_servers),
      policy_(policy) {}

grpc::ServerUnaryReactor* SocketServiceImpl::Connect(
    grpc::CallbackServerContext* context, const v1::ConnectRequest* request,
    v1::ConnectResponse* response) {
  auto* reactor = new CallReactor();
  Audit(reactor, *context, "Connect",
        HostPort(request->host(), request->target_case() == v1::ConnectRequest::kService
                                      ? request->service()
                                      : absl::StrCat(request->port())),
        [response](AuditEvent& event) {
          event.handle = response->handle();
          event.address = HostPort(response->remote_address(),
                                   absl::StrCat(response->remote_port()));
        });
  absl::Status valid = ValidateConnect(*request);
  if (valid.ok()) valid = table_.CheckCapacity(PrincipalOf(*context));
  absl::StatusOr<absl::Time> deadline =
      CallDeadline(*request, options_.max_wait, *context);
  if (!valid.ok() || !deadline.ok()) {
    reactor->Complete(!valid.ok() ? valid : deadline.status());
    return reactor;
  }
  std::optional<TlsClientSetup> tls;
  if (request->tls().enabled()) {
    absl::StatusOr<TlsClientSetup> setup =
        tls_context_.NewSsl(request->tls(), request->host());
    if (!setup.ok()) {
      reactor->Complete(setup.status());
      return reactor;
    }
    tls = std::move(*setup);
  }
  const std::string service = request->target_case() == v1::ConnectRequest::kPort
                                  ? absl::StrCat(request->port())
                                  : request->service();
  const std::string principal = PrincipalOf(*context);
  // The policy in force now judges every address the host resolves to, even
  // if a reload happens while the name resolves.
  EndpointCheck egress_check =
      [policy = policy_.Snapshot(), principal, host = request->host()](
          const boost::asio::ip::tcp::endpoint& endpoint) {
        return policy->CheckEgress(principal, host, endpoint);
      };
  auto dialer = Dialer::Create(
      resolver_, executor_, request->host(), service, std::move(tls),
      [this, context, reactor, response, host = request->host(), principal](
          absl::StatusOr<std::unique_ptr<Transport>> transport) {
        if (!transport.ok()) return reactor->Complete(transport.status());
        std::optional<v1::TlsInfo> tls_info;
        if (const v1::TlsInfo* info = (*transport)->tls_info()) tls_info = *info;
        absl::StatusOr<std::shared_ptr<Session>> session =
            table_.Create(principal, host, std::move(*transport));
        if (!session.ok()) return reactor->Complete(session.status());
        if (reactor->cancelled()) {
          // Nobody will learn this handle: do not leave it behind.
          (*session)->Shutdown();
          return reactor->Complete(absl::CancelledError("cancelled"));
        }
        const Session& s = **session;
        response->set_handle(s.handle());
        response->set_local_address(s.local_address());
        response->set_local_port(s.local_port());
        response->set_remote_address(s.remote_address());
        response->set_remote_port(s.remote_port());
        if (tls_info) *response->mutable_tls() = std::move(*tls_info);
        reactor->SetUndoIfUndelivered(context,
                                      [session = *session] { session->Shutdown(); });
        reactor->Complete(absl::OkStatus());
      },
      std::move(egress_check));
  reactor->SetCanceller([dialer] { dialer->Cancel(); });
  dialer->Start(*deadline);
  return reactor;
}

grpc::ServerUnaryReactor* SocketServiceImpl::Send(
    grpc::CallbackServerContext* context, const v1::SendRequest* request,
    v1::SendResponse* response) {
  auto* reactor = new CallReactor();
  absl::StatusOr<std::shared_ptr<Session>> session =
      FindSession(table_, request->handle(), *context);
  absl::StatusOr<absl::Time> deadline =
      CallDeadline(*request, options_.max_wait, *context);
  absl::Status status = !session.ok() ? session.status() : deadline.status();
  if (status.ok()) {
    status = ValidateSendSize(request->data().size(), options_.max_send_bytes);
  }
  if (status.ok()) status = ValidateSendOffset(*request);
  if (!status.ok()) {
    reactor->Complete(status);
    return reactor;
  }
  auto call = std::make_shared<SendCall>(
      request->data(), *deadline,
      [reactor, response](absl::StatusOr<SendResult> result) {
        if (!result.ok()) return reactor->Complete(result.status());
        response->set_bytes_sent(result->bytes_sent);
        response->set_timed_out(result->timed_out);
        response->set_offset(result->offset);
        reactor->Complete(absl::OkStatus());
      });
  if (request->has_offset()) call->offset = request->offset();
  reactor->SetCanceller([session = *session, call] { session->Cancel(call); });
  (*session)->StartSend(call);
  return reactor;
}

grpc::ServerUnaryReactor* SocketServiceImpl::Receive(
    grpc::CallbackServerContext* context, const v1::ReceiveRequest* request,
    v1::ReceiveResponse* response) {
  auto* reactor = new CallReactor();
  absl::StatusOr<std::shared_ptr<Session>> session =
      FindSession(table_, request->handle(), *context);
  absl::StatusOr<absl::Time> deadline =
      CallDeadline(*request, options_.max_wait, *context);
  absl::Status status = !session.ok() ? session.status() : deadline.status();
  absl::StatusOr<ReceiveSizes> sizes = ReceiveSizesFor(
      *request, options_.default_receive_bytes, options_.max_receive_bytes);
  if (status.ok()) status = sizes.status();
  if (status.ok()) status = ValidateReceiveOffset(*request);
  if (!status.ok()) {
    reactor->Complete(status);
    return reactor;
  }
  auto call = std::make_shared<ReceiveCall>(
      sizes->max_bytes, sizes->min_bytes, *deadline,
      [reactor, response](absl::StatusOr<ReceiveResult> result) {
        if (!result.ok()) return reactor->Complete(result.status());
        response->set_data(std::move(result->data));
        response->set_eof(result->eof);
        response->set_timed_out(result->timed_out);
        response->set_offset(result->offset);
        reactor->Complete(absl::OkStatus());
      });
  if (request->has_offset()) call->offset = request->offset();
  call->peek = request->peek();
  reactor->SetCanceller([session = *session, call] { session->Cancel(call); });
  (*session)->StartReceive(call);
  return reactor;
}

grpc::ServerUnaryReactor* SocketServiceImpl::Close(
    grpc::CallbackServerContext* context, const v1::CloseRequest* request,
    v1::CloseResponse* response) {
  if (IsListenerHandle(request->handle())) {
    if (absl::Status valid = ValidateListenerClose(*request); !valid.ok()) {
      auto* reactor = new CallReactor();
      reactor->Complete(valid);
      return reactor;
    }
    return CloseListener(context, request, response);
  }
  auto* reactor = new CallReactor();
  absl::StatusOr<std::shared_ptr<Session>> session =
      FindSession(table_, request->handle(), *context);
  absl::StatusOr<absl::Time> deadline =
      CallDeadline(*request, options_.close_drain_timeout, *context);
  absl::Status status = !session.ok() ? session.status() : deadline.status();
  if (status.ok()) status = ValidateCloseMode(request->mode());
  if (!status.ok()) {
    reactor->Complete(status);
    return reactor;
  }
  auto call = std::make_shared<CloseCall>(
      request->mode(), *deadline,
      [reactor, response](absl::StatusOr<CloseResult> result) {
        if (!result.ok()) return reactor->Complete(result.status());
        response->set_released(result->released);
        response->set_drained_bytes(result->drained_bytes);
        response->set_drain_timed_out(result->drain_timed_out);
        reactor->Complete(absl::OkStatus());
      });
  if (request->has_send_offset()) call->send_offset = request->send_offset();
  reactor->SetCanceller([session = *session, call] { session->Cancel(call); });
  (*session)->StartClose(call);
  return reactor;
}

grpc::ServerUnaryReactor* SocketServiceImpl::GetInfo(
    grpc::CallbackServerContext* context, const v1::GetInfoRequest* request,
    v1::SocketInfo* response) {
  if (IsListenerHandle(request->handle())) {
    return GetListenerInfo(context, request, response);
  }
  auto* reactor = new CallReactor();
  absl::StatusOr<std::shared_ptr<Session>> session =
      FindSession(table_, request->handle(), *context);
  if (!session.ok()) {
    reactor->Complete(session.status());
    return reactor;
  }
  (*session)->GetInfo(
      [reactor, response](absl::StatusOr<v1::SocketInfo> info) {
        if (!info.ok()) return reactor->Complete(info.status());
        *response = std::move(*info);
        reactor->Complete(absl::OkStatus());
      });
  return reactor;
}

}  // namespace socketsvc
