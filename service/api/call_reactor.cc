#include "service/api/call_reactor.h"

#include "common/grpc_status.h"

namespace socketsvc {

void CallReactor::SetCanceller(absl::AnyInvocable<void()> cancel) {
  {
    absl::MutexLock lock(&mu_);
    if (!cancelled_) {
      canceller_ = std::move(cancel);
      return;
    }
  }
  cancel();
}

void CallReactor::Complete(const absl::Status& status) {
  absl::AnyInvocable<void()> dropped;
  absl::AnyInvocable<void(const absl::Status&)> observer;
  {
    absl::MutexLock lock(&mu_);
    if (completed_) return;
    completed_ = true;
    // Drop references to the session and the call now, not at OnDone.
    dropped = std::move(canceller_);
    observer = std::move(observer_);
  }
  if (observer) observer(status);
  Finish(ToGrpcStatus(status));
}

void CallReactor::SetCompletionObserver(
    absl::AnyInvocable<void(const absl::Status&)> observer) {
  absl::MutexLock lock(&mu_);
  observer_ = std::move(observer);
}

bool CallReactor::cancelled() const {
  absl::MutexLock lock(&mu_);
  return cancelled_;
}

void CallReactor::SetUndoIfUndelivered(grpc::CallbackServerContext* context,
                                       absl::AnyInvocable<void()> undo) {
  absl::MutexLock lock(&mu_);
  undo_context_ = context;
  undo_ = std::move(undo);
}

void CallReactor::OnDone() {
  absl::AnyInvocable<void()> undo;
  {
    absl::MutexLock lock(&mu_);
    // IsCancelled() in OnDone: the RPC failed before its status reached the
    // client. An error status that did reach it does not count.
    if (undo_ && undo_context_ != nullptr && undo_context_->IsCancelled()) {
      undo = std::move(undo_);
    }
    undo_ = nullptr;
  }
  if (undo) undo();
  live_.fetch_sub(1, std::memory_order_relaxed);
  delete this;
}

void CallReactor::OnCancel() {
  absl::AnyInvocable<void()> cancel;
  {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
    if (completed_) return;
    cancel = std::move(canceller_);
  }
  if (cancel) cancel();
}

}  // namespace socketsvc
