// The SocketService a replica that forwards puts behind its AuthGate:
// calls for this replica's handles go to the local service, calls for a
// peer's handles go to that peer (forward_call.h, pipe_bridge.h).
//
// Routing follows the handle in the request: Send, Receive, Close,
// GetInfo, StartTls, SetOptions, GetOptions (socket or listener handle),
// Accept (listener), ServerReceive/ServerDelete/GetServerInfo (server id),
// ServerSend (request handle), Pipe (the first message's handle) and Poll
// (see RoutePoll). Connect, Resolve, Listen and ServerCreate create
// something and always run here: where they land is the client's load
// balancing. A handle that is malformed, or names a replica that is no
// peer, stays here and gets the local NOT_FOUND: it exists nowhere.
//
// The principal is the one AuthGate bound (PrincipalOf); the owner trusts
// it because the call reaches its peer listener over mutual TLS.
// Fail-closed like AuthGate: an RPC not listed here answers UNIMPLEMENTED.
// Thread-safe.
#ifndef SOCKETSVC_SERVICE_ROUTING_ROUTING_GATE_H_
#define SOCKETSVC_SERVICE_ROUTING_ROUTING_GATE_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "service/api/principal.h"
#include "service/routing/forward_call.h"
#include "service/routing/peer_directory.h"
#include "socketsvc/v1/sockets.grpc.pb.h"

namespace socketsvc {

class RoutingGate final : public v1::SocketService::CallbackService {
 public:
  using Service = v1::SocketService::CallbackService;

  // `local` (SocketServiceImpl) and `directory` must outlive the gate.
  // `self` reaches this replica's own service through the peer server's
  // in-process channel, with `internal_metadata` on every call (Pipe).
  RoutingGate(Service& local, PeerDirectory& directory, PeerRoute self,
              std::pair<std::string, std::string> internal_metadata)
      : local_(local),
        directory_(directory),
        self_(std::move(self)),
        internal_metadata_(std::move(internal_metadata)) {}

#define SOCKETSVC_LOCAL_RPC(Method, Request, Response)                                 \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* context,               \
                                   const v1::Request* request, v1::Response* response) \
      override {                                                                       \
    return local_.Method(context, request, response);                                  \
  }
#define SOCKETSVC_ROUTED_RPC(Method, Request, Response, field)                          \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* context,                \
                                   const v1::Request* request, v1::Response* response)  \
      override {                                                                        \
    std::optional<PeerRoute> route = directory_.RouteFor(request->field());             \
    if (!route) return local_.Method(context, request, response);                       \
    return ForwardReactor::Start(                                                       \
        context, PrincipalOf(*context), *std::move(route),                              \
        [request, response](v1::SocketService::Stub* stub, grpc::ClientContext* client, \
                            std::function<void(grpc::Status)> done) {                   \
          stub->async()->Method(client, request, response, std::move(done));            \
        });                                                                             \
  }
  SOCKETSVC_LOCAL_RPC(Connect, ConnectRequest, ConnectResponse)
  SOCKETSVC_LOCAL_RPC(Resolve, ResolveRequest, ResolveResponse)
  SOCKETSVC_LOCAL_RPC(Listen, ListenRequest, ListenResponse)
  SOCKETSVC_LOCAL_RPC(ServerCreate, ServerCreateRequest, ServerCreateResponse)
  SOCKETSVC_ROUTED_RPC(Send, SendRequest, SendResponse, handle)
  SOCKETSVC_ROUTED_RPC(Receive, ReceiveRequest, ReceiveResponse, handle)
  SOCKETSVC_ROUTED_RPC(Close, CloseRequest, CloseResponse, handle)
  SOCKETSVC_ROUTED_RPC(GetInfo, GetInfoRequest, SocketInfo, handle)
  SOCKETSVC_ROUTED_RPC(StartTls, StartTlsRequest, StartTlsResponse, handle)
  SOCKETSVC_ROUTED_RPC(SetOptions, SetOptionsRequest, SocketOptions, handle)
  SOCKETSVC_ROUTED_RPC(GetOptions, GetOptionsRequest, SocketOptions, handle)
  SOCKETSVC_ROUTED_RPC(Accept, AcceptRequest, AcceptResponse, listener)
  SOCKETSVC_ROUTED_RPC(ServerReceive, ServerReceiveRequest, ServerReceiveResponse,
                       server_id)
  SOCKETSVC_ROUTED_RPC(ServerSend, ServerSendRequest, ServerSendResponse, request_handle)
  SOCKETSVC_ROUTED_RPC(ServerDelete, ServerDeleteRequest, ServerDeleteResponse, server_id)
  SOCKETSVC_ROUTED_RPC(GetServerInfo, GetServerInfoRequest, ServerInfo, server_id)
#undef SOCKETSVC_ROUTED_RPC
#undef SOCKETSVC_LOCAL_RPC

  // One Poll waits on one replica: every handle of the request that exists
  // anywhere must belong to the same replica (this one or one peer), which
  // answers the whole request; handles that exist nowhere go along and are
  // reported POLL_EVENT_INVALID by it. Handles of two or more replicas:
  // INVALID_ARGUMENT/INVALID_REQUEST naming them (a Poll spread over
  // replicas would have to wait on all of them and cancel the rest).
  grpc::ServerUnaryReactor* Poll(grpc::CallbackServerContext* context,
                                 const v1::PollRequest* request,
                                 v1::PollResponse* response) override;

  // The first message names the handle. With kPipeHandleHeader naming one
  // of this replica's handles (or one that exists nowhere) the local
  // service takes the stream at once; otherwise PipeBridge reads the first
  // message and relays the stream to the owner (itself included, through
  // the in-process channel).
  grpc::ServerBidiReactor<v1::PipeRequest, v1::PipeResponse>* Pipe(
      grpc::CallbackServerContext* context) override;

 private:
  Service& local_;
  PeerDirectory& directory_;
  const PeerRoute self_;
  const std::pair<std::string, std::string> internal_metadata_;
};

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_ROUTING_ROUTING_GATE_H_
