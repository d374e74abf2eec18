// Close modes (see the session lifecycle in ARCHITECTURE.md):
//   COMPLETE: shutdown(WR), read and discard until EOF or the timeout, release.
//   PARTIAL:  shutdown(WR); the handle stays; a second Close releases.
//   ABORT:    RST (SO_LINGER 0), release at once.
//   DISCARD:  release at once: no drain, no forced RST.
#include <boost/asio/bind_executor.hpp>

#include "common/socket_error.h"
#include "service/sessions/session.h"

namespace socketsvc {
namespace {

// Reads that drain a closing socket are discarded in chunks of this size.
constexpr size_t kDrainChunk = 64 * 1024;
// DISCARD reads at most this many chunks of what is already queued.
constexpr int kMaxDiscardChunks = 64;

absl::Status ClosedByCloseStatus() {
  return SocketErrorStatus(absl::StatusCode::kAborted, v1::SOCKET_ERROR_NOT_CONNECTED,
                           "the handle was closed while the call was pending");
}

absl::Status ShuttingDownStatus() {
  return SocketErrorStatus(absl::StatusCode::kUnavailable,
                           v1::SOCKET_ERROR_SHUTTING_DOWN, "socketd is shutting down");
}

}  // namespace

void Session::AbortOnStrand(const absl::Status& pending_status) {
  if (released_) return;
  AbandonUpgrade();
  transport_->Abort();
  FailAllReceives(pending_status);
  FailAllSends(pending_status);
  if (auto close = std::move(draining_close_)) {
    close->result.released = true;
    close->Finish(close->result);
  }
  Release();
}

void Session::DrainOnStrand(absl::Time deadline) {
  if (released_ || stopping_) return;
  stopping_ = true;
  const absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) {
    return AbortOnStrand(SocketErrorStatus(
        absl::StatusCode::kUnavailable, v1::SOCKET_ERROR_SHUTTING_DOWN,
        "socketd is shutting down; the socket was aborted"));
  }
  stop_timer_ = std::make_unique<boost::asio::steady_timer>(strand_);
  stop_timer_->expires_after(absl::ToChronoNanoseconds(left));
  stop_timer_->async_wait(boost::asio::bind_executor(
      strand_, [self = shared_from_this()](boost::system::error_code ec) {
        if (ec) return;
        // Still open at the deadline: the peer did not close in time.
        self->AbortOnStrand(SocketErrorStatus(
            absl::StatusCode::kUnavailable, v1::SOCKET_ERROR_SHUTTING_DOWN,
            "socketd is shutting down; the drain timeout passed and the socket "
            "was aborted"));
      }));
  AbandonUpgrade();
  // A waiting Receive would hold the shutdown until its own timeout: answer
  // it now. Bytes it already read are delivered (as at a timeout), so none
  // is lost; one with nothing yet fails SHUTTING_DOWN.
  std::deque<std::shared_ptr<ReceiveCall>> receives;
  receives.swap(receives_);
  for (auto& call : receives) {
    if (call->result.data.empty()) {
      call->Finish(ShuttingDownStatus());
    } else {
      call->result.timed_out = true;
      AnswerReceive(*call);
    }
  }
  MaybeBeginStopClose();
}

void Session::MaybeBeginStopClose() {
  if (!stopping_ || released_ || !sends_.empty() || draining_close_ || upgrading_) {
    return;
  }
  // No own deadline: stop_timer_ ends it.
  BeginDrain(std::make_shared<CloseCall>(v1::CLOSE_MODE_COMPLETE,
                                         absl::InfiniteFuture(),
                                         [](absl::StatusOr<CloseResult>) {}));
}

void Session::CloseOnStrand(std::shared_ptr<CloseCall> call) {
  if (call->finished()) return;  // Cancelled before it arrived.
  if (released_) return call->Finish(ReleasedStatus());
  if (call->send_offset.has_value()) {
    // Refused before anything changes: a close never cuts bytes the caller
    // believes sent.
    absl::Status short_close =
        StreamOffsets::CheckFinalSendOffset(*call->send_offset, bytes_sent_);
    if (!short_close.ok()) return call->Finish(short_close);
  }
  AbandonUpgrade();
  switch (call->mode) {
    case v1::CLOSE_MODE_ABORT:
      transport_->Abort();
      return ReleaseNow(*call);
    case v1::CLOSE_MODE_DISCARD:
      DiscardQueued();
      return ReleaseNow(*call);
    case v1::CLOSE_MODE_PARTIAL:
      // A second Close releases, whatever its mode; but a PARTIAL with a
      // send_offset is idempotent (a retry whose first answer was lost must
      // not release the handle): it answers as the first one did.
      if (!send_shut_) return ClosePartial(*call);
      if (call->send_offset.has_value() && !draining_close_) {
        return call->Finish(CloseResult{/*released=*/false, 0, false});
      }
      return BeginDrain(std::move(call));
    default:
      return BeginDrain(std::move(call));
  }
}

void Session::DiscardQueued() {
  // close() with unread bytes makes the kernel send RST; DISCARD means "no
  // drain, no RST", so throw away what is already here without waiting.
  std::string scratch;
  for (int i = 0; i < kMaxDiscardChunks && broken_.ok() && !peer_eof_; ++i) {
    scratch.clear();
    absl::StatusOr<IoProgress> progress =
        transport_->TryRead(scratch, kDrainChunk);
    if (!progress.ok() || progress->would_block) break;
    if (progress->eof) peer_eof_ = true;
  }
  unclaimed_.clear();
}

void Session::ClosePartial(CloseCall& call) {
  if (draining_close_) {
    return call.Finish(SocketErrorStatus(absl::StatusCode::kFailedPrecondition,
                                         v1::SOCKET_ERROR_NOT_CONNECTED,
                                         "the handle is being closed"));
  }
  FailAllSends(SocketErrorStatus(
      absl::StatusCode::kFailedPrecondition, v1::SOCKET_ERROR_BROKEN_PIPE,
      "the sending side was closed by Close(PARTIAL)", EPIPE));
  send_shut_ = true;
  if (absl::Status status = transport_->ShutdownSend(); !status.ok()) {
    MarkBroken(status);
  }
  call.Finish(CloseResult{/*released=*/false, 0, false});
}

void Session::BeginDrain(std::shared_ptr<CloseCall> call) {
  if (draining_close_) {
    // Two COMPLETE closes at once: the first one releases the handle.
    return call->Finish(SocketErrorStatus(absl::StatusCode::kFailedPrecondition,
                                          v1::SOCKET_ERROR_NOT_CONNECTED,
                                          "the handle is already being closed"));
  }
  FailAllReceives(ClosedByCloseStatus());
  FailAllSends(ClosedByCloseStatus());
  // Bytes nobody claimed count as drained: the caller chose not to read them.
  call->result.drained_bytes = unclaimed_.size();
  unclaimed_.clear();
  if (!send_shut_) {
    send_shut_ = true;
    if (absl::Status status = transport_->ShutdownSend(); !status.ok()) {
      MarkBroken(status);
    }
  }
  draining_close_ = call;
  PumpDrain();
  if (!call->finished()) ArmDeadline(call);
}

void Session::PumpDrain() {
  if (!draining_close_) return;
  std::string scratch;
  while (!peer_eof_ && broken_.ok()) {
    scratch.clear();
    absl::StatusOr<IoProgress> progress =
        transport_->TryRead(scratch, kDrainChunk);
    if (!progress.ok()) {
      MarkBroken(progress.status());
      break;
    }
    draining_close_->result.drained_bytes += progress->bytes;
    bytes_received_ += progress->bytes;
    if (progress->eof) peer_eof_ = true;
    if (progress->would_block) {
      if (draining_close_->deadline() == absl::InfinitePast()) break;
      return progress->wants_other_direction ? WaitWritable() : WaitReadable();
    }
  }
  FinishDrain(/*timed_out=*/!peer_eof_ && broken_.ok());
}

void Session::FinishDrain(bool timed_out) {
  std::shared_ptr<CloseCall> call = std::move(draining_close_);
  if (!call) return;
  call->result.drain_timed_out = timed_out;
  ReleaseNow(*call);
}

void Session::ReleaseNow(CloseCall& call) {
  FailAllReceives(ClosedByCloseStatus());
  FailAllSends(ClosedByCloseStatus());
  if (auto other = std::move(draining_close_)) {
    // An ABORT or DISCARD overtook a draining COMPLETE: both succeed.
    other->result.released = true;
    other->Finish(other->result);
  }
  call.result.released = true;
  Release();
  call.Finish(call.result);
}

}  // namespace socketsvc
