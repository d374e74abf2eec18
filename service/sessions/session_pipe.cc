// Pipe: a stream that holds the socket's Receive and Send turns and moves its
// bytes both ways, one chunk at a time (pipe_call.h).
//
// The pipe's turns are entries in receives_ and sends_ like any call's, so
// calls queued before the pipe run first and calls arriving later wait behind
// it, in order; Close, the idle timeout and socketd's shutdown reach the pipe
// through the same FailAll*/Drain paths that reach every pending call.
#include <algorithm>
#include <cerrno>

#include <boost/asio/post.hpp>

#include "absl/strings/str_cat.h"
#include "common/socket_error.h"
#include "service/sessions/session.h"

namespace socketsvc {
namespace {

template <typename Queue, typename Call>
void RemoveTurn(Queue& queue, const Call& call) {
  auto it = std::find(queue.begin(), queue.end(), call);
  if (it != queue.end()) queue.erase(it);
}

absl::Status NotConnected(absl::string_view message) {
  return SocketErrorStatus(absl::StatusCode::kFailedPrecondition,
                           v1::SOCKET_ERROR_NOT_CONNECTED, message);
}

absl::Status PipeBrokenPipe() {
  return SocketErrorStatus(absl::StatusCode::kFailedPrecondition,
                           v1::SOCKET_ERROR_BROKEN_PIPE,
                           "the sending side was closed (Close PARTIAL)", EPIPE);
}

// Refusals of an attach that never held a turn: nothing to undo.
void EndUnattached(PipeCall::Handlers& handlers, const absl::Status& status) {
  absl::AnyInvocable<void(absl::Status)> ended = std::move(handlers.ended);
  handlers = PipeCall::Handlers();
  ended(status);
}

}  // namespace

void Session::AttachPipe(std::shared_ptr<PipeCall> pipe) {
  boost::asio::post(strand_,
                    [self = shared_from_this(), pipe = std::move(pipe)]() mutable {
                      self->AttachPipeOnStrand(std::move(pipe));
                    });
}

void Session::PipeReadNext(std::shared_ptr<PipeCall> pipe) {
  boost::asio::post(strand_, [self = shared_from_this(), pipe = std::move(pipe)] {
    if (pipe != self->pipe_) return;  // Ended meanwhile.
    pipe->read_wanted_ = true;
    if (self->HasTurn(self->receives_, pipe->receive_turn_)) self->PumpPipeRead();
  });
}

void Session::PipeWrite(std::shared_ptr<PipeCall> pipe, absl::string_view data) {
  boost::asio::post(strand_, [self = shared_from_this(), pipe = std::move(pipe), data] {
    if (pipe != self->pipe_) return;
    if (!pipe->send_turn_) {
      // Close(PARTIAL) took the pipe's Send turn: writing is over.
      return self->EndPipe(PipeBrokenPipe());
    }
    pipe->write_pending_ = true;
    pipe->write_data_ = data;
    pipe->write_offset_ = 0;
    if (self->HasTurn(self->sends_, pipe->send_turn_)) self->PumpPipeWrite();
  });
}

void Session::PipeWritesDone(std::shared_ptr<PipeCall> pipe) {
  boost::asio::post(strand_, [self = shared_from_this(), pipe = std::move(pipe)] {
    if (pipe != self->pipe_ || !pipe->send_turn_) return;
    pipe->writes_done_ = true;
    if (self->HasTurn(self->sends_, pipe->send_turn_)) self->PumpPipeWrite();
  });
}

void Session::DetachPipe(std::shared_ptr<PipeCall> pipe, absl::Status status) {
  boost::asio::post(strand_, [self = shared_from_this(), pipe = std::move(pipe),
                              status = std::move(status)] {
    if (pipe == self->pipe_) self->EndPipe(status);
  });
}

void Session::AttachPipeOnStrand(std::shared_ptr<PipeCall> pipe) {
  absl::Status refused;
  if (released_) {
    refused = ReleasedStatus();
  } else if (stopping_) {
    refused = SocketErrorStatus(absl::StatusCode::kUnavailable,
                                v1::SOCKET_ERROR_SHUTTING_DOWN, "socketd is shutting down");
  } else if (draining_close_) {
    refused = NotConnected("the handle is being closed");
  } else if (upgrading_) {
    refused = NotConnected("a TLS handshake (StartTls) is in progress");
  } else if (pipe_) {
    refused = SocketErrorStatus(
        absl::StatusCode::kFailedPrecondition, v1::SOCKET_ERROR_HANDLE_BUSY,
        "another Pipe is attached to this socket (one Pipe per socket at a time)");
  }
  if (!refused.ok()) return EndUnattached(pipe->handlers_, refused);

  pipe_ = pipe;
  // The turns' completions run only when a Close, the idle timeout or
  // socketd's shutdown fails every pending call: they end the pipe (or, for
  // the Send turn alone, its writing). A turn the pipe gives up itself is
  // finished after pipe_ moved on, which they ignore.
  PipeCall* const raw = pipe.get();
  pipe->receive_turn_ = std::make_shared<ReceiveCall>(
      0, 0, absl::InfiniteFuture(), [this, raw](absl::StatusOr<ReceiveResult> result) {
        OnPipeTurnTaken(raw, /*receive_turn=*/true, result.status());
      });
  pipe->send_turn_ = std::make_shared<SendCall>(
      absl::string_view(), absl::InfiniteFuture(),
      [this, raw](absl::StatusOr<SendResult> result) {
        OnPipeTurnTaken(raw, /*receive_turn=*/false, result.status());
      });
  receives_.push_back(pipe->receive_turn_);
  sends_.push_back(pipe->send_turn_);
  if (HasTurn(receives_, pipe->receive_turn_)) PumpPipeRead();
  if (pipe_ == pipe && HasTurn(sends_, pipe->send_turn_)) PumpPipeWrite();
}

void Session::OnPipeTurnTaken(PipeCall* pipe, bool receive_turn, absl::Status status) {
  if (pipe_.get() != pipe) return;
  if (status.ok()) status = NotConnected("the socket was closed while the Pipe ran");
  if (receive_turn) return EndPipe(status);
  // Close(PARTIAL) failed the pending Sends: the pipe can no longer write,
  // but it keeps reading until EOF.
  pipe_->send_turn_.reset();
  if (pipe_->write_pending_) EndPipe(status);
}

void Session::EndPipe(const absl::Status& status) {
  std::shared_ptr<PipeCall> pipe = std::move(pipe_);
  pipe_.reset();
  if (!pipe) return;
  pipe->ended_ = true;
  pipe->write_data_ = absl::string_view();
  // Inert now (pipe_ moved on): finishing only stops them for good.
  const absl::Status over = NotConnected("the Pipe ended");
  if (std::shared_ptr<ReceiveCall> turn = std::move(pipe->receive_turn_)) {
    RemoveTurn(receives_, turn);
    turn->Finish(over);
  }
  if (std::shared_ptr<SendCall> turn = std::move(pipe->send_turn_)) {
    RemoveTurn(sends_, turn);
    turn->Finish(over);
  }
  // Calls queued behind the pipe go next. Posted: EndPipe may run inside a
  // FailAll* loop (Close, abort), whose remaining calls must get that
  // loop's status rather than a fresh try on a closing socket.
  boost::asio::post(strand_, [self = shared_from_this()] {
    self->PumpReceives();
    self->PumpSends();
  });
  PipeCall::Handlers handlers = std::move(pipe->handlers_);
  pipe->handlers_ = PipeCall::Handlers();
  handlers.ended(status);
}

void Session::PumpPipeRead() {
  PipeCall& pipe = *pipe_;
  if (!pipe.read_wanted_) return;  // The stream has not taken the last chunk.
  std::string& out = *pipe.buffer_;
  out.clear();
  // Bytes a cancelled Receive or Pipe left behind come first.
  if (!unclaimed_.empty()) {
    const size_t take = std::min(unclaimed_.size(), pipe.max_chunk_);
    out.append(unclaimed_, 0, take);
    unclaimed_.erase(0, take);
  }
  while (out.size() < pipe.max_chunk_ && unclaimed_.empty() && !peer_eof_) {
    if (!broken_.ok()) {
      // Bytes read before the failure are delivered; the error comes next.
      if (out.empty()) return EndPipe(broken_);
      break;
    }
    // Reads straight into the response's buffer, grown only by what arrived.
    absl::StatusOr<IoProgress> progress =
        transport_->TryRead(out, pipe.max_chunk_ - out.size());
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
      if (!out.empty()) break;
      // Nothing yet: wait. Abandoning this wait (the pipe ends) loses
      // nothing, the bytes stay in the kernel.
      receive_waits_writable_ = progress->wants_other_direction;
      return receive_waits_writable_ ? WaitWritable() : WaitReadable();
    }
  }
  const bool eof = peer_eof_ && unclaimed_.empty();
  const bool has_bytes = !out.empty();  // `out` is gRPC's once handed over.
  pipe.read_wanted_ = false;
  if (!pipe.handlers_.read(eof, pipe.bytes_written_)) {
    // The stream is going away: keep the bytes for the next reader.
    unclaimed_.insert(0, out);
    out.clear();
    // Bytes held here are readable, and no kernel event says so.
    if (!unclaimed_.empty()) poll_watchers_.WakeAll();
    return;
  }
  // The pipe reads without offsets: a retained Receive answer (exactly-once
  // retries) is no longer the stream's latest, so it goes, as it does for
  // a Receive without an offset.
  if (has_bytes) offsets_.Drop();
  if (eof) EndPipe(absl::OkStatus());
}

void Session::PumpPipeWrite() {
  PipeCall& pipe = *pipe_;
  if (pipe.write_pending_) {
    if (send_shut_) return EndPipe(PipeBrokenPipe());
    while (pipe.write_offset_ < pipe.write_data_.size()) {
      if (!broken_.ok()) return EndPipe(broken_);
      absl::StatusOr<IoProgress> progress =
          transport_->TryWrite(pipe.write_data_.substr(pipe.write_offset_));
      if (!progress.ok()) {
        MarkBroken(progress.status());
        continue;
      }
      if (progress->bytes > 0) {
        pipe.write_offset_ += progress->bytes;
        pipe.bytes_written_ += progress->bytes;
        bytes_sent_ += progress->bytes;
        NoteActivity();
      }
      if (progress->would_block && pipe.write_offset_ < pipe.write_data_.size()) {
        send_waits_readable_ = progress->wants_other_direction;
        return send_waits_readable_ ? WaitReadable() : WaitWritable();
      }
    }
    pipe.write_pending_ = false;
    pipe.write_data_ = absl::string_view();
    pipe.write_offset_ = 0;
    pipe.handlers_.written(pipe.bytes_written_);
    return;
  }
  if (!pipe.writes_done_) return;
  // The client half-closed the stream: its writes are over, so the pipe
  // gives up the Send turn; with half_close_on_end first FIN, as
  // Close(PARTIAL) would (Sends queued behind then fail BROKEN_PIPE).
  if (pipe.half_close_on_end_ && !send_shut_) {
    send_shut_ = true;
    if (absl::Status status = transport_->ShutdownSend(); !status.ok()) {
      MarkBroken(status);
    }
  }
  std::shared_ptr<SendCall> turn = std::move(pipe.send_turn_);
  RemoveTurn(sends_, turn);
  turn->Finish(SendResult{});
  PumpSends();
}

}  // namespace socketsvc
