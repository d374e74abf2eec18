// A unary reactor for RPCs that wait on a socket.
//
// The RPC's work finishes it exactly once through Complete(); a gRPC
// cancellation (client cancel, deadline, server shutdown) runs the canceller,
// which makes the pending socket operation finish, which calls Complete().
// Thread-safe. Deletes itself when gRPC is done with the call.
#ifndef SOCKETSVC_SERVICE_API_CALL_REACTOR_H_
#define SOCKETSVC_SERVICE_API_CALL_REACTOR_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <atomic>
#include <cstddef>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/grpc_status.h"

namespace socketsvc {

class CallReactor : public grpc::ServerUnaryReactor {
 public:
  CallReactor() { live_.fetch_add(1, std::memory_order_relaxed); }

  // Reactors of this process whose RPC gRPC is not done with yet (socketd's
  // shutdown waits for them).
  static size_t Live() { return live_.load(std::memory_order_relaxed); }
  // Must be called before the work that will call Complete() is started:
  // afterwards the reactor may already be gone. Runs `cancel` at once if the
  // RPC was already cancelled.
  void SetCanceller(absl::AnyInvocable<void()> cancel) ABSL_LOCKS_EXCLUDED(mu_);

  // Finishes the RPC with `status`, converted at the edge (grpc_status.h).
  void Complete(const absl::Status& status) ABSL_LOCKS_EXCLUDED(mu_);

  // Runs `observer` once with the final status, just before the RPC
  // finishes (the audit log). Set it before anything can call Complete().
  void SetCompletionObserver(absl::AnyInvocable<void(const absl::Status&)> observer)
      ABSL_LOCKS_EXCLUDED(mu_);

  // True once gRPC reported the RPC cancelled.
  bool cancelled() const ABSL_LOCKS_EXCLUDED(mu_);

  // For an answer that hands out something new (a socket, listener or
  // server handle): runs `undo` in OnDone if the answer never reached the
  // client (its deadline passed, it cancelled or went away while the answer
  // was on its way), so that nothing stays behind whose handle nobody knows.
  // `context` is the RPC's; call before Complete(OkStatus()).
  void SetUndoIfUndelivered(grpc::CallbackServerContext* context,
                            absl::AnyInvocable<void()> undo) ABSL_LOCKS_EXCLUDED(mu_);

  void OnCancel() override ABSL_LOCKS_EXCLUDED(mu_);
  void OnDone() override ABSL_LOCKS_EXCLUDED(mu_);

 private:
  static inline std::atomic<size_t> live_{0};

  mutable absl::Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool completed_ ABSL_GUARDED_BY(mu_) = false;
  absl::AnyInvocable<void()> canceller_ ABSL_GUARDED_BY(mu_);
  absl::AnyInvocable<void(const absl::Status&)> observer_ ABSL_GUARDED_BY(mu_);
  grpc::CallbackServerContext* undo_context_ ABSL_GUARDED_BY(mu_) = nullptr;
  absl::AnyInvocable<void()> undo_ ABSL_GUARDED_BY(mu_);
};

// A unary call refused before any work (authentication): finished at once
// with `status`.
inline grpc::ServerUnaryReactor* RefusedCall(const absl::Status& status) {
  auto* reactor = new CallReactor();
  reactor->Complete(status);
  return reactor;
}

// A stream refused before its handler: finished at once with `status`.
template <typename Request, typename Response>
class RefusedStream final : public grpc::ServerBidiReactor<Request, Response> {
 public:
  explicit RefusedStream(const absl::Status& status) {
    this->Finish(ToGrpcStatus(status));
  }
  void OnDone() override { delete this; }
};

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_API_CALL_REACTOR_H_
