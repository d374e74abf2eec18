#include "service/api/pipe_reactor.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "common/socket_error.h"
#include "service/api/request_validation.h"

namespace socketsvc {
namespace {

// As for Send: one request's data at most --max_send_bytes.
absl::Status CheckDataSize(const v1::PipeRequest& request, uint32_t max_bytes) {
  if (request.data().size() <= max_bytes) return absl::OkStatus();
  return SocketErrorStatus(
      absl::StatusCode::kResourceExhausted, v1::SOCKET_ERROR_LIMIT_EXCEEDED,
      absl::StrCat("PipeRequest data is ", request.data().size(),
                   " bytes; one request takes at most ", max_bytes,
                   " (--max_send_bytes)"));
}

absl::Status CancelledStatus() {
  return SocketErrorStatus(absl::StatusCode::kCancelled, v1::SOCKET_ERROR_CANCELLED,
                           "the Pipe was cancelled");
}

}  // namespace

PipeReactor::PipeReactor(grpc::CallbackServerContext* context, SessionTable& table,
                         std::string principal, PipeLimits limits)
    : context_(context),
      table_(table),
      principal_(std::move(principal)),
      limits_(limits) {
  live_.fetch_add(1, std::memory_order_relaxed);
  // gRPC starts it once the handler has returned the reactor.
  StartRead(&request_);
}

void PipeReactor::OnReadDone(bool ok) {
  absl::MutexLock lock(&mu_);
  if (finished_) return;
  if (!first_read_done_) {
    first_read_done_ = true;
    return Begin(ok);
  }
  if (ending_) return;
  if (!ok) {
    // A cancelled stream fails its read too; OnCancel ends that one. A
    // half-close ends the writes only: reading goes on until EOF. (gRPC
    // reports a message that does not parse the same way as a half-close.)
    if (cancelled_ || context_->IsCancelled()) return;
    session_->PipeWritesDone(pipe_);
    return;
  }
  Continue();
}

void PipeReactor::Begin(bool ok) {
  if (cancelled_) return FinishNow(CancelledStatus());
  if (!ok) {
    if (context_->IsCancelled()) return FinishNow(CancelledStatus());
    // gRPC reports a message that does not parse as the stream's end.
    return FinishNow(InvalidRequest(
        "no PipeRequest naming the socket came first (the stream ended, or its "
        "first message is not a PipeRequest)"));
  }
  absl::Status status = CheckHandleShape(request_.handle(), "handle");
  if (status.ok()) {
    status = CheckDataSize(request_, limits_.max_data_bytes);
  }
  absl::StatusOr<std::shared_ptr<Session>> session =
      status.ok() ? table_.Find(request_.handle(), principal_) : status;
  if (!session.ok()) return FinishNow(session.status());

  handle_ = request_.handle();
  half_close_on_end_ = request_.half_close_on_end();
  max_chunk_bytes_ = request_.max_chunk_bytes();
  const size_t chunk = max_chunk_bytes_ == 0
                           ? limits_.default_chunk_bytes
                           : std::min(max_chunk_bytes_, limits_.max_chunk_bytes);
  PipeCall::Handlers handlers;
  handlers.read = [this](bool eof, uint64_t bytes_written) {
    return OnChunk(eof, bytes_written);
  };
  handlers.written = [this](uint64_t) { OnWritten(); };
  handlers.ended = [this](absl::Status status) { OnEnded(status); };
  pipe_ = std::make_shared<PipeCall>(response_.mutable_data(), std::max<size_t>(chunk, 1),
                                     half_close_on_end_, std::move(handlers));
  session_ = *std::move(session);
  session_->AttachPipe(pipe_);
  WriteOrReadNext();
}

void PipeReactor::Continue() {
  // The first request's fields may be repeated, not changed.
  if ((!request_.handle().empty() && request_.handle() != handle_) ||
      (request_.half_close_on_end() && !half_close_on_end_) ||
      (request_.max_chunk_bytes() != 0 && request_.max_chunk_bytes() != max_chunk_bytes_)) {
    return EndThroughSession(InvalidRequest(
        "handle, half_close_on_end and max_chunk_bytes belong to the first "
        "PipeRequest; later ones leave them unset or repeat them"));
  }
  absl::Status size = CheckDataSize(request_, limits_.max_data_bytes);
  if (!size.ok()) return EndThroughSession(size);
  WriteOrReadNext();
}

void PipeReactor::WriteOrReadNext() {
  if (request_.data().empty()) {
    StartRead(&request_);
    return;
  }
  // request_ stays untouched until the session says every byte is written.
  session_->PipeWrite(pipe_, request_.data());
}

void PipeReactor::FinishNow(const absl::Status& status) {
  // Only inside a reaction (OnReadDone), so OnDone cannot run before it
  // returns, even though the lock is still held.
  finished_ = true;
  ending_ = true;
  Finish(ToGrpcStatus(status));
}

void PipeReactor::EndThroughSession(const absl::Status& status) {
  if (ending_) return;
  ending_ = true;
  session_->DetachPipe(pipe_, status);
}

void PipeReactor::OnWriteDone(bool ok) {
  absl::MutexLock lock(&mu_);
  // A failed write means the stream is gone: OnCancel ends the pipe.
  if (!ok || ending_ || finished_) return;
  session_->PipeReadNext(pipe_);
}

void PipeReactor::OnCancel() {
  absl::MutexLock lock(&mu_);
  cancelled_ = true;
  // Before the attach, the pending first read fails and Begin finishes.
  if (pipe_ != nullptr) EndThroughSession(CancelledStatus());
}

bool PipeReactor::OnChunk(bool eof, uint64_t bytes_written) {
  absl::MutexLock lock(&mu_);
  // Going away: the bytes stay with the socket for its next reader.
  if (ending_ || cancelled_) return false;
  response_.set_eof(eof);
  response_.set_bytes_written(bytes_written);
  // On EOF the session ends the pipe right after this (OK): Finish then
  // follows this last write.
  StartWrite(&response_);
  return true;
}

void PipeReactor::OnWritten() {
  absl::MutexLock lock(&mu_);
  if (ending_) return;
  StartRead(&request_);
}

void PipeReactor::OnEnded(const absl::Status& status) {
  {
    absl::MutexLock lock(&mu_);
    ending_ = true;
    if (finished_) return;
    finished_ = true;
  }
  // Last: once Finish is called, OnDone may delete this on another thread.
  Finish(ToGrpcStatus(status));
}

void PipeReactor::OnDone() {
  live_.fetch_sub(1, std::memory_order_relaxed);
  delete this;
}

}  // namespace socketsvc
