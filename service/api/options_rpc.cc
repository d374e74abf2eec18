// SetOptions / GetOptions of connected sockets, and the audit hook of the
// handlers that hand out sockets, listeners and servers.
#include "absl/strings/str_cat.h"
#include "common/socket_error.h"
#include "service/api/call_reactor.h"
#include "service/api/principal.h"
#include "service/api/request_util.h"
#include "service/api/socket_service.h"
#include "service/net/socket_options.h"
#include "service/ops/call_registry.h"
#include "service/sessions/handle.h"

namespace socketsvc {
namespace {

// Options belong to connections; a listener has none a caller may change.
absl::Status NotForListeners(absl::string_view rpc) {
  return SocketErrorStatus(
      absl::StatusCode::kInvalidArgument, v1::SOCKET_ERROR_INVALID_REQUEST,
      absl::StrCat(rpc,
                   " applies to connected sockets (Connect, Accept), not to "
                   "listeners"));
}

}  // namespace

grpc::ServerUnaryReactor* SocketServiceImpl::SetOptions(
    grpc::CallbackServerContext* context, const v1::SetOptionsRequest* request,
    v1::SocketOptions* response) {
  auto* reactor = new CallReactor();
  if (IsListenerHandle(request->handle())) {
    reactor->Complete(NotForListeners("SetOptions"));
    return reactor;
  }
  absl::StatusOr<std::shared_ptr<Session>> session =
      FindSession(table_, request->handle(), *context);
  absl::Status status = session.status();
  if (status.ok()) status = ValidateSocketOptions(request->options());
  if (!status.ok()) {
    reactor->Complete(status);
    return reactor;
  }
  (*session)->SetOptions(request->options(),
                         [reactor, response](absl::StatusOr<v1::SocketOptions> options) {
                           if (options.ok()) *response = std::move(*options);
                           reactor->Complete(options.status());
                         });
  return reactor;
}

grpc::ServerUnaryReactor* SocketServiceImpl::GetOptions(
    grpc::CallbackServerContext* context, const v1::GetOptionsRequest* request,
    v1::SocketOptions* response) {
  auto* reactor = new CallReactor();
  if (IsListenerHandle(request->handle())) {
    reactor->Complete(NotForListeners("GetOptions"));
    return reactor;
  }
  absl::StatusOr<std::shared_ptr<Session>> session =
      FindSession(table_, request->handle(), *context);
  if (!session.ok()) {
    reactor->Complete(session.status());
    return reactor;
  }
  (*session)->GetOptions([reactor, response](absl::StatusOr<v1::SocketOptions> options) {
    if (options.ok()) *response = std::move(*options);
    reactor->Complete(options.status());
  });
  return reactor;
}

void SocketServiceImpl::Audit(CallReactor* reactor,
                              const grpc::CallbackServerContext& context,
                              absl::string_view op, std::string target,
                              absl::AnyInvocable<void(AuditEvent&)> outcome) {
  if (!audit_.enabled()) return;
  AuditEvent event;
  event.op = std::string(op);
  event.principal = PrincipalOf(context);
  event.request_id = CallRequestId(&context);
  event.caller = context.peer();
  event.target = std::move(target);
  reactor->SetCompletionObserver(
      [this, event = std::move(event),
       outcome = std::move(outcome)](const absl::Status& status) mutable {
        if (status.ok() && outcome) outcome(event);
        audit_.Record(event, status);
      });
}

}  // namespace socketsvc
