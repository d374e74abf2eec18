// StartTls: upgrade an open plain connection to TLS (SMTP/IMAP/PostgreSQL
// STARTTLS flows). The caller first exchanges the plaintext that asks the
// peer to upgrade, reads its go-ahead, then calls StartTls.
#include "common/socket_error.h"
#include "service/api/call_reactor.h"
#include "service/api/request_util.h"
#include "service/api/socket_service.h"

namespace socketsvc {

grpc::ServerUnaryReactor* SocketServiceImpl::StartTls(
    grpc::CallbackServerContext* context, const v1::StartTlsRequest* request,
    v1::StartTlsResponse* response) {
  auto* reactor = new CallReactor();
  absl::StatusOr<std::shared_ptr<Session>> session =
      FindSession(table_, request->handle(), *context);
  absl::StatusOr<absl::Time> deadline =
      CallDeadline(*request, options_.max_wait, *context);
  absl::Status status = !session.ok() ? session.status() : deadline.status();
  absl::StatusOr<TlsClientSetup> setup;
  if (status.ok()) {
    // The name to verify defaults to the host the caller connected to.
    setup = tls_context_.NewSsl(request->tls(), (*session)->peer_name());
    status = setup.status();
  }
  if (!status.ok()) {
    reactor->Complete(status);
    return reactor;
  }
  auto call = std::make_shared<TlsUpgradeCall>(
      std::move(setup->ssl), setup->server_name, setup->verify, *deadline,
      [reactor, response](absl::StatusOr<v1::TlsInfo> info) {
        if (!info.ok()) return reactor->Complete(info.status());
        *response->mutable_tls() = std::move(*info);
        reactor->Complete(absl::OkStatus());
      });
  reactor->SetCanceller([session = *session, call] { session->Cancel(call); });
  (*session)->StartTlsUpgrade(call);
  return reactor;
}

}  // namespace socketsvc
