#include "service/routing/forward_call.h"

#include <atomic>

#include "absl/time/clock.h"
#include "common/grpc_status.h"
#include "common/socket_error.h"
#include "service/ops/log.h"
#include "service/routing/routing_options.h"

namespace socketsvc {
namespace {

// Why an owner could not be reached goes to stderr (a peer certificate that
// does not verify looks like a dead peer to the caller), at most every 10 s.
void LogUnreachable(absl::string_view replica_id, const grpc::Status& status) {
  static std::atomic<int64_t> last_ms{0};
  const int64_t now_ms = absl::ToUnixMillis(absl::Now());
  int64_t last = last_ms.load(std::memory_order_relaxed);
  if (now_ms - last < 10000 ||
      !last_ms.compare_exchange_strong(last, now_ms, std::memory_order_relaxed)) {
    return;
  }
  LogLine(LogLevel::kWarning, "owner replica unreachable")
      .Str("replica", replica_id)
      .Str("error", status.error_message())
      .Write();
}

}  // namespace

std::unique_ptr<grpc::ClientContext> ForwardedContext(
    const grpc::CallbackServerContext& context, absl::string_view principal) {
  // The default propagation: deadline, cancellation (and census).
  std::unique_ptr<grpc::ClientContext> client =
      grpc::ClientContext::FromCallbackServerContext(context);
  client->AddMetadata(kPrincipalHeader, std::string(principal));
  // The caller's request id (docs/observability.md) names the call in the
  // owner's log lines too.
  if (const auto id = context.client_metadata().find("x-request-id");
      id != context.client_metadata().end()) {
    client->AddMetadata("x-request-id",
                        std::string(id->second.data(), id->second.size()));
  }
  return client;
}

absl::Status ForwardedStatus(const grpc::Status& status, absl::string_view replica_id) {
  // socketd attaches an ErrorDetail to every status it answers with; an
  // UNAVAILABLE without one came from gRPC: the owner is down, refused the
  // connection, failed the TLS handshake or is shutting down. Its sockets
  // died with it or are closing.
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE &&
      status.error_details().empty()) {
    LogUnreachable(replica_id, status);
    return SocketErrorStatus(absl::StatusCode::kUnavailable,
                             v1::SOCKET_ERROR_NOT_CONNECTED,
                             OwnerUnavailableMessage(replica_id));
  }
  return FromGrpcStatus(status);
}

grpc::ServerUnaryReactor* ForwardReactor::Start(grpc::CallbackServerContext* context,
                                                absl::string_view principal,
                                                PeerRoute route, StartForward start) {
  auto* reactor = new ForwardReactor(std::move(route));
  reactor->client_context_ = ForwardedContext(*context, principal);
  reactor->SetCanceller([reactor] { reactor->client_context_->TryCancel(); });
  // The callback finishes the server call; gRPC runs OnDone (which deletes
  // the reactor and the client context) only after it returned.
  start(reactor->route_.stub.get(), reactor->client_context_.get(),
        [reactor](grpc::Status status) {
          reactor->Complete(ForwardedStatus(status, reactor->route_.replica_id));
        });
  return reactor;
}

}  // namespace socketsvc
