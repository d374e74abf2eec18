// The SocketService socketd registers with gRPC: authenticates every call,
// then hands it to SocketServiceImpl.
//
// Each RPC is authenticated here exactly once, before its handler runs. A
// call that fails is answered UNAUTHENTICATED/SOCKET_ERROR_UNAUTHENTICATED
// and never reaches the handler, so no handler does work for a caller it
// does not know; one that passes runs its handler with the principal bound
// (PrincipalOf, principal.h).
//
// Fail-closed: an RPC this class does not forward answers UNIMPLEMENTED (the
// generated default), so a new RPC must be listed here as well as
// implemented in SocketServiceImpl; tests/e2e/auth_test.cc calls every
// method of the service descriptor to catch one that is missing.
// Thread-safe.
#ifndef SOCKETSVC_SERVICE_API_AUTH_GATE_H_
#define SOCKETSVC_SERVICE_API_AUTH_GATE_H_

#include <string>

#include "absl/status/statusor.h"
#include "service/api/call_reactor.h"
#include "service/api/principal.h"
#include "service/auth/authenticator.h"
#include "socketsvc/v1/sockets.grpc.pb.h"

namespace socketsvc {

class AuthGate final : public v1::SocketService::CallbackService {
 public:
  using Service = v1::SocketService::CallbackService;

  // `service` (SocketServiceImpl) and `authenticator` must outlive the gate.
  AuthGate(Service& service, const Authenticator& authenticator)
      : service_(service), authenticator_(authenticator) {}

#define SOCKETSVC_GATED_RPC(Method, Request, Response)                   \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* context, \
                                   const v1::Request* request,           \
                                   v1::Response* response) override {    \
    return Admit(context, request, response, &Service::Method);          \
  }
  SOCKETSVC_GATED_RPC(Connect, ConnectRequest, ConnectResponse)
  SOCKETSVC_GATED_RPC(Send, SendRequest, SendResponse)
  SOCKETSVC_GATED_RPC(Receive, ReceiveRequest, ReceiveResponse)
  SOCKETSVC_GATED_RPC(Close, CloseRequest, CloseResponse)
  SOCKETSVC_GATED_RPC(GetInfo, GetInfoRequest, SocketInfo)
  SOCKETSVC_GATED_RPC(StartTls, StartTlsRequest, StartTlsResponse)
  SOCKETSVC_GATED_RPC(Resolve, ResolveRequest, ResolveResponse)
  SOCKETSVC_GATED_RPC(SetOptions, SetOptionsRequest, SocketOptions)
  SOCKETSVC_GATED_RPC(GetOptions, GetOptionsRequest, SocketOptions)
  SOCKETSVC_GATED_RPC(Listen, ListenRequest, ListenResponse)
  SOCKETSVC_GATED_RPC(Accept, AcceptRequest, AcceptResponse)
  SOCKETSVC_GATED_RPC(ServerCreate, ServerCreateRequest, ServerCreateResponse)
  SOCKETSVC_GATED_RPC(ServerReceive, ServerReceiveRequest,
                      ServerReceiveResponse)
  SOCKETSVC_GATED_RPC(ServerSend, ServerSendRequest, ServerSendResponse)
  SOCKETSVC_GATED_RPC(ServerDelete, ServerDeleteRequest, ServerDeleteResponse)
  SOCKETSVC_GATED_RPC(GetServerInfo, GetServerInfoRequest, ServerInfo)
  SOCKETSVC_GATED_RPC(Poll, PollRequest, PollResponse)
#undef SOCKETSVC_GATED_RPC

  // Streaming: authenticated once, when the stream starts.
  grpc::ServerBidiReactor<v1::PipeRequest, v1::PipeResponse>* Pipe(
      grpc::CallbackServerContext* context) override;

 private:
  // Authenticates the call; runs `handler` on `service_` with the principal
  // bound, or refuses the call without running it.
  template <typename Request, typename Response>
  grpc::ServerUnaryReactor* Admit(grpc::CallbackServerContext* context,
                                  const Request* request, Response* response,
                                  grpc::ServerUnaryReactor* (Service::*handler)(
                                      grpc::CallbackServerContext*,
                                      const Request*, Response*)) {
    absl::StatusOr<std::string> principal = Authenticate(*context);
    if (!principal.ok()) return RefusedCall(principal.status());
    ScopedPrincipal bound(context, &*principal);
    return (service_.*handler)(context, request, response);
  }

  // The caller's principal from its metadata and TLS client certificate.
  absl::StatusOr<std::string> Authenticate(
      const grpc::CallbackServerContext& context) const;

  Service& service_;
  const Authenticator& authenticator_;
};

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_API_AUTH_GATE_H_
