// Pipe through a replica that does not hold the socket: the stream's first
// message names the handle, so this reactor reads it, then opens a Pipe to
// the replica that does (or, for a handle of its own, to its own service
// through an in-process channel) and relays messages both ways, one in
// flight per direction, so gRPC's flow control reaches from the caller to
// the owner and no message queues here.
//
// The upstream call carries the caller's principal and deadline and is
// cancelled with the caller's stream; the caller's half-close becomes the
// upstream's, and the owner's final status (eof and socket errors
// included) becomes the caller's. An owner that cannot be reached ends the
// stream UNAVAILABLE "owner replica N unavailable: session lost".
// Thread-safe; deletes itself in OnDone.
#ifndef SOCKETSVC_SERVICE_ROUTING_PIPE_BRIDGE_H_
#define SOCKETSVC_SERVICE_ROUTING_PIPE_BRIDGE_H_

#include <grpcpp/client_context.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/client_callback.h>
#include <grpcpp/support/server_callback.h>

#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "service/routing/peer_directory.h"
#include "socketsvc/v1/sockets.grpc.pb.h"

namespace socketsvc {

// Where a pipe goes: the owner's route, or nullopt for this replica.
using PipeRouter = absl::AnyInvocable<std::optional<PeerRoute>(absl::string_view handle)>;

class PipeBridge final
    : public grpc::ServerBidiReactor<v1::PipeRequest, v1::PipeResponse> {
 public:
  // `route` decides from the first message's handle; `local` is the route
  // to this replica's own service (its replica id, an in-process stub) and
  // `local_metadata` what such calls carry besides the principal.
  PipeBridge(grpc::CallbackServerContext* context, std::string principal,
             PipeRouter route, PeerRoute local,
             std::pair<std::string, std::string> local_metadata);

  void OnReadDone(bool ok) override ABSL_LOCKS_EXCLUDED(mu_);
  void OnWriteDone(bool ok) override ABSL_LOCKS_EXCLUDED(mu_);
  void OnCancel() override ABSL_LOCKS_EXCLUDED(mu_);
  void OnDone() override;

 private:
  // The client side of the upstream Pipe; its reactions go to the bridge.
  class Upstream final
      : public grpc::ClientBidiReactor<v1::PipeRequest, v1::PipeResponse> {
   public:
    explicit Upstream(PipeBridge* bridge) : bridge_(bridge) {}
    void OnReadDone(bool ok) override { bridge_->UpstreamRead(ok); }
    void OnWriteDone(bool ok) override { bridge_->UpstreamWritten(ok); }
    void OnWritesDoneDone(bool) override {}
    void OnDone(const grpc::Status& status) override { bridge_->UpstreamDone(status); }

   private:
    PipeBridge* const bridge_;
  };

  // The first request arrived: opens the upstream Pipe and sends it.
  void Open() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void UpstreamRead(bool ok) ABSL_LOCKS_EXCLUDED(mu_);
  void UpstreamWritten(bool ok) ABSL_LOCKS_EXCLUDED(mu_);
  void UpstreamDone(const grpc::Status& status) ABSL_LOCKS_EXCLUDED(mu_);
  // No more upstream writes: half-closes it (once) and drops that hold.
  void StopWritingUpstream() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The caller's final status, once (the upstream is done and no write to
  // the caller is in flight); the caller calls Finish with it after
  // unlocking, because OnDone may then delete the bridge at once.
  std::optional<grpc::Status> MaybeFinish() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  grpc::CallbackServerContext* const context_;
  const std::string principal_;
  PipeRouter route_;
  const PeerRoute local_;
  const std::pair<std::string, std::string> local_metadata_;

  absl::Mutex mu_;
  // Caller → owner: gRPC reads into request_; upstream writes from it;
  // the next read starts only when that write is done.
  v1::PipeRequest request_;
  // Owner → caller: the upstream reads into response_; the caller's stream
  // writes from it; the next upstream read starts after that write.
  v1::PipeResponse response_;
  Upstream upstream_{this};
  std::unique_ptr<grpc::ClientContext> client_context_ ABSL_GUARDED_BY(mu_);
  std::string replica_id_ ABSL_GUARDED_BY(mu_);  // Of the upstream's owner.
  bool opened_ ABSL_GUARDED_BY(mu_) = false;
  bool write_hold_ ABSL_GUARDED_BY(mu_) = false;  // Upstream writes may come.
  bool read_hold_ ABSL_GUARDED_BY(mu_) = false;   // Upstream reads may come.
  bool writing_to_caller_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<grpc::Status> upstream_status_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_ROUTING_PIPE_BRIDGE_H_
