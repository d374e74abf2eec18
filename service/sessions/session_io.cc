// Receive and Send: non-blocking reads and writes on the strand, readiness
// waits when the socket has nothing to give or no room to take.
#include <algorithm>

#include <boost/asio/bind_executor.hpp>

#include "absl/strings/str_cat.h"
#include "common/socket_error.h"
#include "service/sessions/session.h"

namespace socketsvc {
namespace {

bool DeadlinePassed(const PendingCall& call) {
  return call.deadline() == absl::InfinitePast() ||
         (call.deadline() != absl::InfiniteFuture() &&
          call.deadline() <= absl::Now());
}

absl::Status TooManyQueued(size_t limit) {
  return SocketErrorStatus(
      absl::StatusCode::kResourceExhausted, v1::SOCKET_ERROR_HANDLE_BUSY,
      absl::StrCat("more than ", limit,
                   " calls of this direction are already waiting on the handle "
                   "(--max_queued_calls)"));
}

absl::Status UpgradingStatus() {
  return SocketErrorStatus(absl::StatusCode::kFailedPrecondition,
                           v1::SOCKET_ERROR_NOT_CONNECTED,
                           "a TLS handshake (StartTls) is in progress");
}

absl::Status StoppingStatus() {
  return SocketErrorStatus(absl::StatusCode::kUnavailable,
                           v1::SOCKET_ERROR_SHUTTING_DOWN, "socketd is shutting down");
}

absl::Status ClosingStatus() {
  return SocketErrorStatus(absl::StatusCode::kFailedPrecondition,
                           v1::SOCKET_ERROR_NOT_CONNECTED, "the handle is being closed");
}

}  // namespace

void Session::EnqueueReceive(std::shared_ptr<ReceiveCall> call) {
  if (call->finished()) return;  // Cancelled before it arrived.
  if (released_) return call->Finish(ReleasedStatus());
  if (stopping_) return call->Finish(StoppingStatus());
  if (draining_close_) return call->Finish(ClosingStatus());
  if (upgrading_) return call->Finish(UpgradingStatus());
  if (receives_.size() > limits_.max_queued_calls) {
    return call->Finish(TooManyQueued(limits_.max_queued_calls));
  }
  receives_.push_back(call);
  if (receives_.size() == 1) PumpReceives();
  // Most calls finish right away; only waiting ones need a timer. A "do not
  // block" call queued behind another gets one that fires at once.
  if (!call->finished()) ArmDeadline(call);
}

void Session::EnqueueSend(std::shared_ptr<SendCall> call) {
  if (call->finished()) return;  // Cancelled before it arrived.
  if (released_) return call->Finish(ReleasedStatus());
  if (stopping_) return call->Finish(StoppingStatus());
  if (draining_close_) return call->Finish(ClosingStatus());
  if (upgrading_) return call->Finish(UpgradingStatus());
  if (sends_.size() > limits_.max_queued_calls) {
    return call->Finish(TooManyQueued(limits_.max_queued_calls));
  }
  sends_.push_back(call);
  if (sends_.size() == 1) PumpSends();
  if (!call->finished()) ArmDeadline(call);
}

void Session::PumpReceives() {
  while (!receives_.empty()) {
    std::shared_ptr<ReceiveCall> head = receives_.front();
    // A Pipe holds the turn until it ends (session_pipe.cc).
    if (IsPipeTurn(head)) return PumpPipeRead();
    if (!ServiceReceive(*head)) {
      return receive_waits_writable_ ? WaitWritable() : WaitReadable();
    }
    receives_.pop_front();
  }
}

bool Session::ServiceReceive(ReceiveCall& call) {
  if (!call.started) {
    if (absl::Status status = BeginReceive(call); !status.ok()) {
      call.Finish(status);
      return true;
    }
  }
  if (call.peek) return ServicePeek(call);
  ReceiveResult& result = call.result;
  if (!unclaimed_.empty()) {
    const size_t take =
        std::min(unclaimed_.size(), call.max_bytes - result.data.size());
    result.data.append(unclaimed_, 0, take);
    unclaimed_.erase(0, take);
  }
  while (result.data.size() < call.max_bytes && unclaimed_.empty()) {
    if (peer_eof_) {
      result.eof = true;
      break;
    }
    if (!broken_.ok()) {
      // Bytes read before the failure are delivered; the error comes next.
      if (result.data.empty()) call.Finish(broken_);
      break;
    }
    absl::StatusOr<IoProgress> progress =
        transport_->TryRead(result.data, call.max_bytes - result.data.size());
    if (!progress.ok()) {
      MarkBroken(progress.status());
      continue;
    }
    if (progress->bytes > 0) {
      bytes_received_ += progress->bytes;
      NoteActivity();
    }
    if (progress->eof) peer_eof_ = true;
    if (progress->would_block) {
      receive_waits_writable_ = progress->wants_other_direction;
      if (result.data.size() >= call.min_bytes) break;
      if (!DeadlinePassed(call)) return false;
      result.timed_out = true;
      break;
    }
  }
  AnswerReceive(call);  // No-op if already finished with an error.
  return true;
}

void Session::PumpSends() {
  while (!sends_.empty()) {
    std::shared_ptr<SendCall> head = sends_.front();
    if (IsPipeTurn(head)) return PumpPipeWrite();
    if (!ServiceSend(*head)) {
      return send_waits_readable_ ? WaitReadable() : WaitWritable();
    }
    sends_.pop_front();
  }
  // socketd stopping: the last running Send is done, the close can begin.
  if (stopping_) MaybeBeginStopClose();
}

bool Session::ServiceSend(SendCall& call) {
  if (!call.started && !BeginSend(call)) return true;
  if (send_shut_) {
    call.Finish(SocketErrorStatus(
        absl::StatusCode::kFailedPrecondition, v1::SOCKET_ERROR_BROKEN_PIPE,
        "the sending side was closed by Close(PARTIAL)", EPIPE));
    return true;
  }
  while (call.sent < call.data.size()) {
    if (!broken_.ok()) {
      call.Finish(broken_);
      return true;
    }
    absl::StatusOr<IoProgress> progress =
        transport_->TryWrite(call.data.substr(call.sent));
    if (!progress.ok()) {
      MarkBroken(progress.status());
      continue;
    }
    if (progress->bytes > 0) {
      call.sent += progress->bytes;
      bytes_sent_ += progress->bytes;
      NoteActivity();
    }
    if (progress->would_block && call.sent < call.data.size()) {
      send_waits_readable_ = progress->wants_other_direction;
      if (!DeadlinePassed(call)) return false;
      AnswerSend(call, /*timed_out=*/true);
      return true;
    }
  }
  AnswerSend(call, /*timed_out=*/false);
  return true;
}

void Session::WaitReadable() {
  if (read_wait_armed_ || released_) return;
  read_wait_armed_ = true;
  transport_->socket().async_wait(
      boost::asio::ip::tcp::socket::wait_read,
      boost::asio::bind_executor(
          strand_, [self = shared_from_this()](boost::system::error_code) {
            self->read_wait_armed_ = false;
            self->OnReadable();
          }));
}

void Session::WaitWritable() {
  if (write_wait_armed_ || released_) return;
  write_wait_armed_ = true;
  transport_->socket().async_wait(
      boost::asio::ip::tcp::socket::wait_write,
      boost::asio::bind_executor(
          strand_, [self = shared_from_this()](boost::system::error_code) {
            self->write_wait_armed_ = false;
            self->OnWritable();
          }));
}

// A TLS read may wait for writability and a TLS write for readability, so
// each readiness event serves whichever side waits for it.
void Session::OnReadable() {
  if (released_ || upgrading_) return;
  if (draining_close_) return PumpDrain();
  PumpReceives();
  if (send_waits_readable_) PumpSends();
}

void Session::OnWritable() {
  if (released_ || upgrading_) return;
  if (draining_close_) return PumpDrain();
  PumpSends();
  if (receive_waits_writable_) PumpReceives();
}

void Session::MarkBroken(const absl::Status& status) {
  if (broken_.ok()) broken_ = status;
}

}  // namespace socketsvc
