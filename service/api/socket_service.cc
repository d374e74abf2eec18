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
#include "service/net/dialer.h"
#include "service/sessions/handle.h"

namespace socketsvc {
namespace {

absl::Status ValidateConnect(const v1::ConnectRequest& request) {
  RETURN_IF_ERROR(ValidateHostName(request.host(), "host"));
  switch (request.target_case()) {
    case v1::ConnectRequest::kPort:
      if (request.port() == 0 || request.port() > 65535) {
        return InvalidRequest("port must be 1..65535");
      }
      break;
    case v1::ConnectRequest::kService:
      if (request.service().empty() || request.service().size() > 64 ||
          request.service().find('\0') != std::string::npos) {
        return InvalidRequest("service must be a service name such as \"http\"");
      }
      // getaddrinfo would wrap "99999" to another port: numbers go in `port`.
      if (std::all_of(request.service().begin(), request.service().end(),
                      absl::ascii_isdigit)) {
        return InvalidRequest("service is a number: set port instead");
      }
      break;
    default:
      return InvalidRequest("port or service is required");
  }
  if (request.has_timeout_ms() && request.timeout_ms() == 0) {
    return InvalidRequest(
        "Connect cannot finish without waiting: timeout_ms must be > 0 or -1");
  }
  return absl::OkStatus();
}

}  // namespace

SocketServiceImpl::SocketServiceImpl(boost::asio::any_io_executor executor,
                                     SessionTable& table, ListenerTable& listeners,
                                     Resolver& resolver,
                                     const TlsClientContext& tls_context,
                                     ServiceOptions options,
                                     HttpServerTable& http_servers)
    : executor_(std::move(executor)),
      table_(table),
      listeners_(listeners),
      resolver_(resolver),
      tls_context_(tls_context),
      options_(options),
      http_servers_(http_servers) {}

grpc::ServerUnaryReactor* SocketServiceImpl::Connect(
    grpc::CallbackServerContext* context, const v1::ConnectRequest* request,
    v1::ConnectResponse* response) {
  auto* reactor = new CallReactor();
  absl::Status valid = ValidateConnect(*request);
  if (valid.ok()) valid = table_.CheckCapacity();
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
  auto dialer = Dialer::Create(
      resolver_, executor_, request->host(), service, std::move(tls),
      [this, reactor, response, host = request->host(),
       principal = PrincipalOf(*context)](
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
        reactor->Complete(absl::OkStatus());
      });
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
  if (status.ok() && request->data().size() > options_.max_send_bytes) {
    status = SocketErrorStatus(
        absl::StatusCode::kResourceExhausted, v1::SOCKET_ERROR_LIMIT_EXCEEDED,
        absl::StrCat("data is ", request->data().size(),
                     " bytes; one Send takes at most ", options_.max_send_bytes));
  }
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
        reactor->Complete(absl::OkStatus());
      });
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
  if (status.ok() && request->max_bytes() != 0 &&
      request->min_bytes() > request->max_bytes()) {
    status = InvalidRequest(absl::StrCat("min_bytes ", request->min_bytes(),
                                         " exceeds max_bytes ",
                                         request->max_bytes()));
  }
  // Sizes above the cap are lowered, not refused: Receive may return less
  // anyway. max_bytes 0 means the default, or min_bytes if that is larger.
  const uint32_t max_bytes = std::min(
      request->max_bytes() != 0
          ? request->max_bytes()
          : std::max(options_.default_receive_bytes, request->min_bytes()),
      options_.max_receive_bytes);
  const uint32_t min_bytes =
      std::clamp<uint32_t>(request->min_bytes(), 1, max_bytes);
  if (!status.ok()) {
    reactor->Complete(status);
    return reactor;
  }
  auto call = std::make_shared<ReceiveCall>(
      max_bytes, min_bytes, *deadline,
      [reactor, response](absl::StatusOr<ReceiveResult> result) {
        if (!result.ok()) return reactor->Complete(result.status());
        response->set_data(std::move(result->data));
        response->set_eof(result->eof);
        response->set_timed_out(result->timed_out);
        reactor->Complete(absl::OkStatus());
      });
  reactor->SetCanceller([session = *session, call] { session->Cancel(call); });
  (*session)->StartReceive(call);
  return reactor;
}

grpc::ServerUnaryReactor* SocketServiceImpl::Close(
    grpc::CallbackServerContext* context, const v1::CloseRequest* request,
    v1::CloseResponse* response) {
  if (IsListenerHandle(request->handle())) {
    return CloseListener(context, request, response);
  }
  auto* reactor = new CallReactor();
  absl::StatusOr<std::shared_ptr<Session>> session =
      FindSession(table_, request->handle(), *context);
  absl::StatusOr<absl::Time> deadline =
      CallDeadline(*request, options_.close_drain_timeout, *context);
  absl::Status status = !session.ok() ? session.status() : deadline.status();
  if (status.ok() && !v1::CloseMode_IsValid(request->mode())) {
    status = InvalidRequest(
        absl::StrCat("mode ", request->mode(),
                     " is not one of COMPLETE, PARTIAL, ABORT, DISCARD"));
  }
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
