// Listen / Accept: the raw TCP server side (Omnis TCPListen/TCPAccept,
// libdill tcp_listen/tcp_accept). Close and GetInfo of listener handles land
// here too.
#include <boost/asio/ip/address.hpp>

#include "absl/strings/str_cat.h"
#include "common/socket_error.h"
#include "service/api/call_reactor.h"
#include "service/api/principal.h"
#include "service/api/request_util.h"
#include "service/api/request_validation.h"
#include "service/api/socket_service.h"
#include "service/net/tcp_transport.h"
#include "service/sessions/handle.h"

namespace socketsvc {
namespace {

namespace asio = boost::asio;

absl::StatusOr<std::shared_ptr<Listener>> FindListener(
    ListenerTable& listeners, absl::string_view handle,
    const grpc::CallbackServerContext& context) {
  absl::Status shape = CheckHandleShape(handle, "listener", /*listener=*/true);
  if (!shape.ok()) return shape;
  return listeners.Find(handle, PrincipalOf(context));
}

}  // namespace

grpc::ServerUnaryReactor* SocketServiceImpl::Listen(
    grpc::CallbackServerContext* context, const v1::ListenRequest* request,
    v1::ListenResponse* response) {
  auto* reactor = new CallReactor();
  Audit(reactor, *context, "Listen",
        HostPort(request->bind_address().empty() ? "127.0.0.1" : request->bind_address(),
                 absl::StrCat(request->port())),
        [response](AuditEvent& event) {
          event.handle = response->listener();
          event.address =
              HostPort(response->bound_address(), absl::StrCat(response->port()));
        });
  absl::StatusOr<asio::ip::tcp::endpoint> bind = ListenEndpoint(*request);
  if (!bind.ok()) {
    reactor->Complete(bind.status());
    return reactor;
  }
  if (absl::Status allowed =
          policy_.Snapshot()->CheckListen(PrincipalOf(*context), *bind);
      !allowed.ok()) {
    reactor->Complete(allowed);
    return reactor;
  }
  if (absl::Status time = CheckTimeToAnswer(*context); !time.ok()) {
    reactor->Complete(time);
    return reactor;
  }
  absl::StatusOr<std::shared_ptr<Listener>> listener =
      listeners_.Create(PrincipalOf(*context), *bind, request->backlog());
  if (listener.ok()) {
    response->set_listener((*listener)->handle());
    response->set_bound_address((*listener)->local().address().to_string());
    response->set_port((*listener)->local().port());
    reactor->SetUndoIfUndelivered(context,
                                  [listener = *listener] { listener->Close([] {}); });
  }
  reactor->Complete(listener.status());
  return reactor;
}

grpc::ServerUnaryReactor* SocketServiceImpl::Accept(
    grpc::CallbackServerContext* context, const v1::AcceptRequest* request,
    v1::AcceptResponse* response) {
  auto* reactor = new CallReactor();
  Audit(reactor, *context, "Accept", request->listener(), [response](AuditEvent& event) {
    event.timed_out = response->timed_out();
    if (event.timed_out) return;
    event.handle = response->handle();
    event.address = HostPort(response->peer_address(), absl::StrCat(response->peer_port()));
  });
  absl::StatusOr<std::shared_ptr<Listener>> listener =
      FindListener(listeners_, request->listener(), *context);
  absl::StatusOr<absl::Time> deadline =
      CallDeadline(*request, options_.max_wait, *context);
  absl::Status status = !listener.ok() ? listener.status() : deadline.status();
  if (status.ok()) status = table_.CheckCapacity(PrincipalOf(*context));
  if (!status.ok()) {
    reactor->Complete(status);
    return reactor;
  }
  auto call = std::make_shared<AcceptCall>(
      *deadline, [this, context, reactor, response, owner = (*listener)->owner()](
                     absl::StatusOr<AcceptResult> accepted) {
        if (!accepted.ok()) {
          if (GetSocketError(accepted.status()) == v1::SOCKET_ERROR_TIMED_OUT) {
            // Nobody connected in time: an answer, not an error.
            response->set_timed_out(true);
            return reactor->Complete(absl::OkStatus());
          }
          return reactor->Complete(accepted.status());
        }
        boost::system::error_code ignored;
        accepted->socket.set_option(asio::ip::tcp::no_delay(true), ignored);
        const std::string peer_address = accepted->peer.address().to_string();
        absl::StatusOr<std::shared_ptr<Session>> session = table_.Create(
            owner, peer_address,
            std::make_unique<TcpTransport>(std::move(accepted->socket)));
        if (!session.ok()) return reactor->Complete(session.status());
        if (reactor->cancelled()) {
          // The caller is gone: reset the connection rather than orphan it.
          (*session)->Shutdown();
          return reactor->Complete(absl::CancelledError("cancelled"));
        }
        const Session& s = **session;
        response->set_handle(s.handle());
        response->set_peer_address(s.remote_address());
        response->set_peer_port(s.remote_port());
        response->set_local_address(s.local_address());
        response->set_local_port(s.local_port());
        reactor->SetUndoIfUndelivered(context,
                                      [session = *session] { session->Shutdown(); });
        reactor->Complete(absl::OkStatus());
      });
  reactor->SetCanceller([listener = *listener, call] { listener->Cancel(call); });
  (*listener)->StartAccept(call);
  return reactor;
}

grpc::ServerUnaryReactor* SocketServiceImpl::CloseListener(
    grpc::CallbackServerContext* context, const v1::CloseRequest* request,
    v1::CloseResponse* response) {
  auto* reactor = new CallReactor();
  absl::StatusOr<std::shared_ptr<Listener>> listener =
      FindListener(listeners_, request->handle(), *context);
  if (!listener.ok()) {
    reactor->Complete(listener.status());
    return reactor;
  }
  // Every close mode stops a listener the same way: connections still in
  // the backlog are reset by the kernel.
  (*listener)->Close([reactor, response] {
    response->set_released(true);
    reactor->Complete(absl::OkStatus());
  });
  return reactor;
}

grpc::ServerUnaryReactor* SocketServiceImpl::GetListenerInfo(
    grpc::CallbackServerContext* context, const v1::GetInfoRequest* request,
    v1::SocketInfo* response) {
  auto* reactor = new CallReactor();
  absl::StatusOr<std::shared_ptr<Listener>> listener =
      FindListener(listeners_, request->handle(), *context);
  if (!listener.ok()) {
    reactor->Complete(listener.status());
    return reactor;
  }
  (*listener)->GetInfo([reactor, response](absl::StatusOr<v1::SocketInfo> info) {
    if (!info.ok()) return reactor->Complete(info.status());
    *response = std::move(*info);
    reactor->Complete(absl::OkStatus());
  });
  return reactor;
}

}  // namespace socketsvc
