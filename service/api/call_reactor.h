// A unary reactor for RPCs that wait on a socket.
//
// The RPC's work finishes it exactly once through Complete(); a gRPC
// cancellation (client cancel, deadline, server shutdown) runs the canceller,
// which makes the pending socket operation finish, which calls Complete().
// Thread-safe. Deletes itself when gRPC is done with the call.
#ifndef SOCKETSVC_SERVICE_API_CALL_REACTOR_H_
#define SOCKETSVC_SERVICE_API_CALL_REACTOR_H_

#include <grpcpp/support/server_callback.h>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace socketsvc {

class CallReactor : public grpc::ServerUnaryReactor {
 public:
  // Must be called before the work that will call Complete() is started:
  // afterwards the reactor may already be gone. Runs `cancel` at once if the
  // RPC was already cancelled.
  void SetCanceller(absl::AnyInvocable<void()> cancel) ABSL_LOCKS_EXCLUDED(mu_);

  // Finishes the RPC with `status`, converted at the edge (grpc_status.h).
  void Complete(const absl::Status& status) ABSL_LOCKS_EXCLUDED(mu_);

  // True once gRPC reported the RPC cancelled.
  bool cancelled() const ABSL_LOCKS_EXCLUDED(mu_);

  void OnCancel() override ABSL_LOCKS_EXCLUDED(mu_);
  void OnDone() override { delete this; }

 private:
  mutable absl::Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool completed_ ABSL_GUARDED_BY(mu_) = false;
  absl::AnyInvocable<void()> canceller_ ABSL_GUARDED_BY(mu_);
};

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_API_CALL_REACTOR_H_
