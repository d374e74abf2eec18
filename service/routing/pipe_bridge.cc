#include "service/routing/pipe_bridge.h"

#include "common/grpc_status.h"
#include "common/socket_error.h"
#include "service/routing/forward_call.h"

namespace socketsvc {

PipeBridge::PipeBridge(grpc::CallbackServerContext* context, std::string principal,
                       PipeRouter route, PeerRoute local,
                       std::pair<std::string, std::string> local_metadata)
    : context_(context),
      principal_(std::move(principal)),
      route_(std::move(route)),
      local_(std::move(local)),
      local_metadata_(std::move(local_metadata)) {
  StartRead(&request_);
}

void PipeBridge::OnReadDone(bool ok) {
  std::optional<grpc::Status> finish;
  {
    absl::MutexLock lock(&mu_);
    if (!opened_) {
      if (ok) return Open();
      // As the local Pipe answers a stream without a first request.
      finished_ = true;
      finish = ToGrpcStatus(
          context_->IsCancelled()
              ? SocketErrorStatus(absl::StatusCode::kCancelled,
                                  v1::SOCKET_ERROR_CANCELLED, "the stream was cancelled")
              : SocketErrorStatus(absl::StatusCode::kInvalidArgument,
                                  v1::SOCKET_ERROR_INVALID_REQUEST,
                                  "the stream ended before its first PipeRequest, "
                                  "which names the socket"));
    } else if (!write_hold_) {
      return;  // The upstream is over; nothing more goes to it.
    } else if (ok) {
      upstream_.StartWrite(&request_);
      return;
    } else {
      // The caller half-closed (or went away): so does the upstream.
      StopWritingUpstream();
      return;
    }
  }
  Finish(*finish);
}

void PipeBridge::Open() {
  opened_ = true;
  std::optional<PeerRoute> owner = route_(request_.handle());
  const PeerRoute& target = owner ? *owner : local_;
  replica_id_ = target.replica_id;
  client_context_ = ForwardedContext(*context_, principal_);
  if (!owner) client_context_->AddMetadata(local_metadata_.first, local_metadata_.second);
  target.stub->async()->Pipe(client_context_.get(), &upstream_);
  // One hold per direction (once the reactor is bound to the call): writes
  // come from the caller's reads and reads are restarted by the caller's
  // writes, outside the upstream's reactions.
  upstream_.AddMultipleHolds(2);
  write_hold_ = read_hold_ = true;
  upstream_.StartWrite(&request_);
  upstream_.StartRead(&response_);
  upstream_.StartCall();
}

void PipeBridge::UpstreamWritten(bool ok) {
  absl::MutexLock lock(&mu_);
  if (!write_hold_) return;
  if (ok) {
    StartRead(&request_);  // The next request, now that this one is gone.
  } else {
    StopWritingUpstream();  // The upstream is ending; its status follows.
  }
}

void PipeBridge::UpstreamRead(bool ok) {
  absl::MutexLock lock(&mu_);
  if (ok) {
    writing_to_caller_ = true;
    StartWrite(&response_);
    return;
  }
  // The owner ended the stream: its status comes with OnDone, which waits
  // for both holds. Writes to it would fail now anyway.
  read_hold_ = false;
  upstream_.RemoveHold();
  if (write_hold_) {
    write_hold_ = false;
    upstream_.RemoveHold();
  }
}

void PipeBridge::OnWriteDone(bool ok) {
  std::optional<grpc::Status> finish;
  {
    absl::MutexLock lock(&mu_);
    writing_to_caller_ = false;
    if (ok && read_hold_) {
      upstream_.StartRead(&response_);
      return;
    }
    if (!ok) {
      // The caller is gone: end the upstream too.
      client_context_->TryCancel();
      if (read_hold_) {
        read_hold_ = false;
        upstream_.RemoveHold();
      }
    }
    finish = MaybeFinish();
  }
  if (finish) Finish(*finish);
}

void PipeBridge::UpstreamDone(const grpc::Status& status) {
  std::optional<grpc::Status> finish;
  {
    absl::MutexLock lock(&mu_);
    upstream_status_ = status;
    finish = MaybeFinish();
  }
  if (finish) Finish(*finish);
}

void PipeBridge::OnCancel() {
  absl::MutexLock lock(&mu_);
  // Before the first request there is no upstream: the pending read ends.
  if (client_context_) client_context_->TryCancel();
}

void PipeBridge::OnDone() { delete this; }

void PipeBridge::StopWritingUpstream() {
  if (!write_hold_) return;
  write_hold_ = false;
  upstream_.StartWritesDone();
  upstream_.RemoveHold();
}

std::optional<grpc::Status> PipeBridge::MaybeFinish() {
  if (finished_ || !upstream_status_ || writing_to_caller_) return std::nullopt;
  finished_ = true;
  return ToGrpcStatus(ForwardedStatus(*upstream_status_, replica_id_));
}

}  // namespace socketsvc
