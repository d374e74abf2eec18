#include "service/routing/routing_gate.h"

#include "absl/strings/str_cat.h"
#include "common/socket_error.h"
#include "service/api/call_reactor.h"
#include "service/routing/pipe_bridge.h"

namespace socketsvc {

grpc::ServerUnaryReactor* RoutingGate::Poll(grpc::CallbackServerContext* context,
                                            const v1::PollRequest* request,
                                            v1::PollResponse* response) {
  // The replica that answers: none yet, this one (own) or a peer (target).
  std::optional<PeerRoute> target;
  bool own = false;
  for (const v1::PollItem& item : request->items()) {
    std::string first, second;  // Two replicas that cannot both answer.
    if (directory_.IsOwn(item.handle())) {
      own = true;
      if (target) first = target->replica_id, second = directory_.own_replica_id();
    } else if (std::optional<PeerRoute> route = directory_.RouteFor(item.handle())) {
      if (own) {
        first = directory_.own_replica_id(), second = route->replica_id;
      } else if (target && target->replica_id != route->replica_id) {
        first = target->replica_id, second = route->replica_id;
      } else if (!target) {
        target = std::move(route);
      }
    }
    if (!second.empty()) {
      auto* reactor = new CallReactor();
      reactor->Complete(SocketErrorStatus(
          absl::StatusCode::kInvalidArgument, v1::SOCKET_ERROR_INVALID_REQUEST,
          absl::StrCat("Poll handles belong to replicas ", first, " and ", second,
                       ": one Poll waits on the handles of one replica (poll "
                       "each replica's handles in a call of its own)")));
      return reactor;
    }
  }
  if (!target) return local_.Poll(context, request, response);
  return ForwardReactor::Start(
      context, PrincipalOf(*context), *std::move(target),
      [request, response](v1::SocketService::Stub* stub, grpc::ClientContext* client,
                          std::function<void(grpc::Status)> done) {
        stub->async()->Poll(client, request, response, std::move(done));
      });
}

grpc::ServerBidiReactor<v1::PipeRequest, v1::PipeResponse>* RoutingGate::Pipe(
    grpc::CallbackServerContext* context) {
  const auto hint = context->client_metadata().find(kPipeHandleHeader);
  if (hint != context->client_metadata().end() &&
      !directory_.RouteFor(absl::string_view(hint->second.data(), hint->second.size()))) {
    return local_.Pipe(context);
  }
  return new PipeBridge(
      context, PrincipalOf(*context),
      [this](absl::string_view handle) { return directory_.RouteFor(handle); }, self_,
      internal_metadata_);
}

}  // namespace socketsvc
