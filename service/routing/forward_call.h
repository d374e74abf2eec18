// Forwards one unary call to the replica that owns its handle.
//
// The caller's request and response objects are handed to the client call
// as they are (no copy): gRPC keeps them alive until the server call is
// done, which is after the client call is. The forwarded call carries the
// caller's principal (kPrincipalHeader), inherits its deadline and is
// cancelled with it (gRPC's parent-call propagation, and OnCancel →
// TryCancel for good measure). The owner's answer, error details included,
// goes back unchanged; only a failure to reach the owner at all becomes
// UNAVAILABLE "owner replica N unavailable: session lost".
#ifndef SOCKETSVC_SERVICE_ROUTING_FORWARD_CALL_H_
#define SOCKETSVC_SERVICE_ROUTING_FORWARD_CALL_H_

#include <grpcpp/client_context.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/status.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/strings/string_view.h"
#include "service/api/call_reactor.h"
#include "service/routing/peer_directory.h"

namespace socketsvc {

// Metadata that carries the caller's principal from the replica it called
// to the owner of its handle. Binary ("-bin"): a certificate identity may
// hold any byte but controls. Only the peer listener reads it, and only
// from a caller whose certificate the peer CA issued (peer_gate.h).
inline constexpr char kPrincipalHeader[] = "x-socketsvc-principal-bin";

// Marks a call of a replica's own in-process channel to its peer server
// (a Pipe bridged to a local socket, pipe_bridge.h) with a random secret
// that never leaves the process.
inline constexpr char kInternalHeader[] = "x-socketsvc-internal-bin";

// Optional metadata of a Pipe call naming the handle of its first message,
// so that a replica can route the stream before reading it (the C++ SDK
// sends it). A stream without it is bridged through this replica.
inline constexpr char kPipeHandleHeader[] = "x-socketsvc-pipe-handle";

// Starts the client call on the owner: (stub, client context, done).
using StartForward = absl::AnyInvocable<void(
    v1::SocketService::Stub*, grpc::ClientContext*, std::function<void(grpc::Status)>)>;

// A forwarded client context for `context`: deadline and cancellation
// propagated, the principal attached.
std::unique_ptr<grpc::ClientContext> ForwardedContext(
    const grpc::CallbackServerContext& context, absl::string_view principal);

// The status the caller gets for the owner's `status`.
absl::Status ForwardedStatus(const grpc::Status& status, absl::string_view replica_id);

// The reactor of a forwarded unary call. Deletes itself (CallReactor).
class ForwardReactor final : public CallReactor {
 public:
  // Starts the forwarded call; `principal` is the caller's
  // (PrincipalOf(*context), taken by the handler).
  static grpc::ServerUnaryReactor* Start(grpc::CallbackServerContext* context,
                                         absl::string_view principal, PeerRoute route,
                                         StartForward start);

 private:
  explicit ForwardReactor(PeerRoute route) : route_(std::move(route)) {}

  const PeerRoute route_;
  // Set once by Start before the call begins; the canceller and the
  // completion callback use it until Complete.
  std::unique_ptr<grpc::ClientContext> client_context_;
};

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_ROUTING_FORWARD_CALL_H_
