// ServerCreate / ServerReceive / ServerSend / ServerDelete / GetServerInfo:
// HTTP(S) server instances (Synergy %HTTP_SERVER_*). socketd listens and
// parses; callers take requests with ServerReceive and answer them with
// ServerSend. The engine is service/http/; this file validates, looks up
// and converts.
#include <boost/asio/ip/address.hpp>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/socket_error.h"
#include "service/api/call_reactor.h"
#include "service/api/principal.h"
#include "service/api/request_util.h"
#include "service/api/request_validation.h"
#include "service/api/socket_service.h"
#include "service/http/http_limits.h"
#include "service/http/http_tls.h"

namespace socketsvc {
namespace {

namespace asio = boost::asio;

absl::StatusOr<HttpServerSpec> SpecFrom(const v1::ServerCreateRequest& request,
                                        const HttpServerDefaults& defaults) {
  absl::StatusOr<asio::ip::tcp::endpoint> endpoint = ServerEndpoint(request);
  if (!endpoint.ok()) return endpoint.status();
  HttpServerSpec spec;
  spec.endpoint = *endpoint;
  const v1::ServerTls& tls = request.tls();
  if (!tls.cert_pem().empty() || !tls.key_pem().empty() || !tls.client_ca_pem().empty()) {
    absl::StatusOr<std::shared_ptr<asio::ssl::context>> context =
        MakeServerTlsContext(tls);
    if (!context.ok()) return context.status();
    spec.tls = std::move(*context);
  }
  absl::StatusOr<HttpLimits> limits = ResolveHttpLimits(request.limits(), defaults);
  if (!limits.ok()) return limits.status();
  spec.limits = *limits;
  spec.keep_alive = !request.has_keep_alive() || request.keep_alive();
  return spec;
}

absl::StatusOr<std::shared_ptr<HttpServer>> FindServer(
    const HttpServerTable& servers, absl::string_view id,
    const grpc::CallbackServerContext& context) {
  if (id.empty()) return InvalidRequest("server_id is required");
  return servers.Find(id, PrincipalOf(context));
}

// A ServerReceive. A request handed to it that never reaches the caller
// (the call was cancelled, its deadline passed or the client vanished
// before the answer was out) goes back to the head of the queue, so that
// no request is lost between socketd and a caller that gave up.
class ServerReceiveReactor final : public CallReactor {
 public:
  ServerReceiveReactor(grpc::CallbackServerContext* context,
                       v1::ServerReceiveResponse* response)
      : context_(context), response_(response) {}

  // On the server's strand: false (request not taken) once cancelled.
  bool Take(std::shared_ptr<HttpServer> server,
            const std::shared_ptr<HttpRequest>& request) ABSL_LOCKS_EXCLUDED(mu_) {
    if (cancelled()) return false;
    {
      absl::MutexLock lock(&mu_);
      server_ = std::move(server);
      request_ = request;
      handle_ = request->handle;
    }
    // Moves the request (body included) into the answer without copying; it
    // comes back in OnDone if the answer did not get through.
    response_->Swap(&request->message);
    Complete(absl::OkStatus());
    return true;
  }

  void OnDone() override ABSL_LOCKS_EXCLUDED(mu_) {
    {
      absl::MutexLock lock(&mu_);
      // IsCancelled: the call failed before its status reached the client.
      if (request_ && context_->IsCancelled()) {
        request_->message.Swap(response_);
        server_->Requeue(std::move(request_), std::move(handle_));
      }
    }
    CallReactor::OnDone();  // Deletes this.
  }

 private:
  grpc::CallbackServerContext* const context_;
  v1::ServerReceiveResponse* const response_;
  absl::Mutex mu_;
  std::shared_ptr<HttpServer> server_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<HttpRequest> request_ ABSL_GUARDED_BY(mu_);
  std::string handle_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

grpc::ServerUnaryReactor* SocketServiceImpl::ServerCreate(
    grpc::CallbackServerContext* context, const v1::ServerCreateRequest* request,
    v1::ServerCreateResponse* response) {
  auto* reactor = new CallReactor();
  Audit(reactor, *context, "ServerCreate",
        HostPort(request->bind_address().empty() ? "127.0.0.1" : request->bind_address(),
                 absl::StrCat(request->port())),
        [response](AuditEvent& event) {
          event.handle = response->server_id();
          event.address =
              HostPort(response->bound_address(), absl::StrCat(response->port()));
        });
  absl::StatusOr<HttpServerSpec> spec = SpecFrom(*request, http_servers_.defaults());
  if (!spec.ok()) {
    reactor->Complete(spec.status());
    return reactor;
  }
  if (absl::Status allowed =
          policy_.Snapshot()->CheckListen(PrincipalOf(*context), spec->endpoint);
      !allowed.ok()) {
    reactor->Complete(allowed);
    return reactor;
  }
  if (absl::Status time = CheckTimeToAnswer(*context); !time.ok()) {
    reactor->Complete(time);
    return reactor;
  }
  absl::StatusOr<std::shared_ptr<HttpServer>> server =
      http_servers_.Create(PrincipalOf(*context), std::move(*spec));
  if (server.ok()) {
    response->set_server_id((*server)->id());
    response->set_bound_address((*server)->bound_address());
    response->set_port((*server)->port());
    reactor->SetUndoIfUndelivered(
        context, [this, id = (*server)->id(), principal = PrincipalOf(*context)] {
          (void)http_servers_.Delete(id, principal, [](uint32_t) {});
        });
  }
  reactor->Complete(server.status());
  return reactor;
}

grpc::ServerUnaryReactor* SocketServiceImpl::ServerReceive(
    grpc::CallbackServerContext* context, const v1::ServerReceiveRequest* request,
    v1::ServerReceiveResponse* response) {
  auto* reactor = new ServerReceiveReactor(context, response);
  absl::StatusOr<std::shared_ptr<HttpServer>> server =
      FindServer(http_servers_, request->server_id(), *context);
  absl::StatusOr<absl::Time> deadline =
      CallDeadline(*request, options_.max_wait, *context);
  absl::Status status = !server.ok() ? server.status() : deadline.status();
  if (!status.ok()) {
    reactor->Complete(status);
    return reactor;
  }
  auto waiter = std::make_shared<ReceiveWaiter>(
      *deadline,
      [reactor, server = *server](const std::shared_ptr<HttpRequest>& taken) {
        return reactor->Take(server, taken);
      },
      [reactor, response](const absl::Status& status) {
        if (status.ok()) response->set_timed_out(true);
        reactor->Complete(status);
      });
  reactor->SetCanceller([server = *server, waiter] { server->CancelReceive(waiter); });
  (*server)->Receive(std::move(waiter));
  return reactor;
}

grpc::ServerUnaryReactor* SocketServiceImpl::ServerSend(
    grpc::CallbackServerContext* context, const v1::ServerSendRequest* request,
    v1::ServerSendResponse* response) {
  auto* reactor = new CallReactor();
  absl::StatusOr<std::shared_ptr<HttpServer>> server =
      request->request_handle().empty()
          ? InvalidRequest("request_handle is required")
          : http_servers_.FindByRequest(request->request_handle(), PrincipalOf(*context));
  absl::StatusOr<absl::Time> deadline =
      CallDeadline(*request, options_.max_wait, *context);
  absl::Status status = !server.ok() ? server.status() : deadline.status();
  if (!status.ok()) {
    reactor->Complete(status);
    return reactor;
  }
  reactor->SetCanceller([server = *server, handle = request->request_handle()] {
    server->CancelSend(handle);
  });
  (*server)->Send(request->request_handle(), request, *deadline,
                  [reactor, response](absl::StatusOr<uint64_t> sent) {
                    if (!sent.ok()) return reactor->Complete(sent.status());
                    response->set_bytes_sent(*sent);
                    reactor->Complete(absl::OkStatus());
                  });
  return reactor;
}

grpc::ServerUnaryReactor* SocketServiceImpl::ServerDelete(
    grpc::CallbackServerContext* context, const v1::ServerDeleteRequest* request,
    v1::ServerDeleteResponse* response) {
  auto* reactor = new CallReactor();
  absl::Status status =
      request->server_id().empty()
          ? InvalidRequest("server_id is required")
          : http_servers_.Delete(request->server_id(), PrincipalOf(*context),
                                 [reactor, response](uint32_t rejected) {
                                   response->set_rejected_requests(rejected);
                                   reactor->Complete(absl::OkStatus());
                                 });
  if (!status.ok()) reactor->Complete(status);
  return reactor;
}

grpc::ServerUnaryReactor* SocketServiceImpl::GetServerInfo(
    grpc::CallbackServerContext* context, const v1::GetServerInfoRequest* request,
    v1::ServerInfo* response) {
  auto* reactor = new CallReactor();
  absl::StatusOr<std::shared_ptr<HttpServer>> server =
      FindServer(http_servers_, request->server_id(), *context);
  if (!server.ok()) {
    reactor->Complete(server.status());
    return reactor;
  }
  (*server)->GetInfo([reactor, response](absl::StatusOr<v1::ServerInfo> info) {
    if (info.ok()) *response = std::move(*info);
    reactor->Complete(info.status());
  });
  return reactor;
}

}  // namespace socketsvc
