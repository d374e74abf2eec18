// The SocketService of the peer listener (--peer_listen): calls that other
// replicas forward to this one, the owner of their handles.
//
// The listener's credentials already refused every connection without a
// certificate issued by the peer CA; the gate checks that again, then
// takes the caller's principal from kPrincipalHeader and runs the local
// handler with it bound, as AuthGate does for direct callers. Only here is
// that header believed: socketd's client listener never reads it, so a
// client cannot choose its principal by sending it. A forwarded call is
// never forwarded again: the peer listener serves local handles only.
// Fail-closed: an RPC not listed answers UNIMPLEMENTED. Thread-safe.
#ifndef SOCKETSVC_SERVICE_ROUTING_PEER_GATE_H_
#define SOCKETSVC_SERVICE_ROUTING_PEER_GATE_H_

#include <string>

#include "absl/status/statusor.h"
#include "service/api/call_reactor.h"
#include "service/api/principal.h"
#include "socketsvc/v1/sockets.grpc.pb.h"

namespace socketsvc {

// The forwarded principal of a call to the peer server, or
// UNAUTHENTICATED/SOCKET_ERROR_UNAUTHENTICATED when the caller is neither
// an authenticated peer nor this process (kInternalHeader equal to
// `internal_secret`), or the header is missing, repeated, empty, longer
// than 4 KiB or holds control characters.
absl::StatusOr<std::string> ForwardedPrincipal(const grpc::CallbackServerContext& context,
                                               absl::string_view internal_secret);

class PeerGate final : public v1::SocketService::CallbackService {
 public:
  using Service = v1::SocketService::CallbackService;

  // `local` (SocketServiceImpl) must outlive the gate; `internal_secret`
  // (not empty) marks this process's own in-process calls.
  PeerGate(Service& local, std::string internal_secret)
      : local_(local), internal_secret_(std::move(internal_secret)) {}

#define SOCKETSVC_PEER_RPC(Method, Request, Response)                                  \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* context,               \
                                   const v1::Request* request, v1::Response* response) \
      override {                                                                       \
    return Admit(context, request, response, &Service::Method);                        \
  }
  SOCKETSVC_PEER_RPC(Connect, ConnectRequest, ConnectResponse)
  SOCKETSVC_PEER_RPC(Send, SendRequest, SendResponse)
  SOCKETSVC_PEER_RPC(Receive, ReceiveRequest, ReceiveResponse)
  SOCKETSVC_PEER_RPC(Close, CloseRequest, CloseResponse)
  SOCKETSVC_PEER_RPC(GetInfo, GetInfoRequest, SocketInfo)
  SOCKETSVC_PEER_RPC(StartTls, StartTlsRequest, StartTlsResponse)
  SOCKETSVC_PEER_RPC(Resolve, ResolveRequest, ResolveResponse)
  SOCKETSVC_PEER_RPC(SetOptions, SetOptionsRequest, SocketOptions)
  SOCKETSVC_PEER_RPC(GetOptions, GetOptionsRequest, SocketOptions)
  SOCKETSVC_PEER_RPC(Listen, ListenRequest, ListenResponse)
  SOCKETSVC_PEER_RPC(Accept, AcceptRequest, AcceptResponse)
  SOCKETSVC_PEER_RPC(ServerCreate, ServerCreateRequest, ServerCreateResponse)
  SOCKETSVC_PEER_RPC(ServerReceive, ServerReceiveRequest, ServerReceiveResponse)
  SOCKETSVC_PEER_RPC(ServerSend, ServerSendRequest, ServerSendResponse)
  SOCKETSVC_PEER_RPC(ServerDelete, ServerDeleteRequest, ServerDeleteResponse)
  SOCKETSVC_PEER_RPC(GetServerInfo, GetServerInfoRequest, ServerInfo)
  SOCKETSVC_PEER_RPC(Poll, PollRequest, PollResponse)
#undef SOCKETSVC_PEER_RPC

  grpc::ServerBidiReactor<v1::PipeRequest, v1::PipeResponse>* Pipe(
      grpc::CallbackServerContext* context) override;

 private:
  template <typename Request, typename Response>
  grpc::ServerUnaryReactor* Admit(
      grpc::CallbackServerContext* context, const Request* request, Response* response,
      grpc::ServerUnaryReactor* (Service::*handler)(grpc::CallbackServerContext*,
                                                    const Request*, Response*)) {
    absl::StatusOr<std::string> principal =
        ForwardedPrincipal(*context, internal_secret_);
    if (!principal.ok()) return RefusedCall(principal.status());
    ScopedPrincipal bound(context, &*principal);
    return (local_.*handler)(context, request, response);
  }

  Service& local_;
  const std::string internal_secret_;
};

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_ROUTING_PEER_GATE_H_
