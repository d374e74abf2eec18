// Exactly-once offsets and peek (docs/semantics.md "Exactly-once offsets"):
// where Send, Receive and Close meet StreamOffsets, and Receive's MSG_PEEK.
#include <algorithm>

#include "common/socket_error.h"
#include "service/sessions/session.h"

namespace socketsvc {
namespace {

bool PeekDeadlinePassed(const PendingCall& call) {
  return call.deadline() == absl::InfinitePast() ||
         (call.deadline() != absl::InfiniteFuture() &&
          call.deadline() <= absl::Now());
}

}  // namespace

uint64_t Session::DeliveredPosition() const {
  return bytes_received_ - unclaimed_.size();
}

absl::Status Session::BeginReceive(ReceiveCall& call) {
  call.started = true;
  // A peek consumes nothing, so it leaves the retained chunk alone.
  if (call.peek) return absl::OkStatus();
  if (!call.offset.has_value()) {
    // No offset: the caller will not retry; keep nothing for it.
    offsets_.Drop();
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> tail = offsets_.Rewind(*call.offset, DeliveredPosition());
  if (!tail.ok()) return tail.status();
  // A retry of an answer that was lost: its bytes become unread again, in
  // front of any read since, and this Receive answers them (and whatever
  // else max_bytes allows) by the ordinary rules.
  if (!tail->empty()) {
    if (unclaimed_.empty()) {
      unclaimed_ = std::move(*tail);
    } else {
      unclaimed_.insert(0, *tail);
    }
  }
  return absl::OkStatus();
}

// A peek answers a copy of the unread bytes: first those socketd holds
// (unclaimed_), then what the transport can peek without consuming. Only when
// that is less than min_bytes does it read (into unclaimed_, where the next
// Receive finds the bytes): a level-triggered readiness wait on bytes left in
// the kernel would fire at once, again and again, and a TLS peek sees one
// record at most.
bool Session::ServicePeek(ReceiveCall& call) {
  for (;;) {
    std::string data(unclaimed_, 0, std::min(unclaimed_.size(), call.max_bytes));
    if (data.size() < call.max_bytes && broken_.ok() && !peer_eof_) {
      absl::StatusOr<IoProgress> progress =
          transport_->TryPeek(data, call.max_bytes - data.size());
      if (!progress.ok()) {
        MarkBroken(progress.status());
      } else if (progress->eof) {
        // Nothing is queued behind the end: the stream is over.
        peer_eof_ = true;
      }
    }
    const bool eof = peer_eof_ && data.size() == unclaimed_.size();
    if (data.size() >= call.min_bytes || eof || !broken_.ok()) {
      if (data.empty() && !eof) {
        call.Finish(broken_);
        return true;
      }
      call.result.data = std::move(data);
      call.result.eof = eof;
      AnswerReceive(call);
      return true;
    }
    // Fewer than min_bytes: take what is queued into unclaimed_, so that
    // the next readiness means new bytes.
    const size_t before = unclaimed_.size();
    while (unclaimed_.size() < call.max_bytes && broken_.ok() && !peer_eof_) {
      absl::StatusOr<IoProgress> progress =
          transport_->TryRead(unclaimed_, call.max_bytes - unclaimed_.size());
      if (!progress.ok()) {
        MarkBroken(progress.status());
        break;
      }
      if (progress->bytes > 0) {
        bytes_received_ += progress->bytes;
        NoteActivity();
      }
      if (progress->eof) peer_eof_ = true;
      if (progress->would_block) {
        receive_waits_writable_ = progress->wants_other_direction;
        break;
      }
    }
    if (unclaimed_.size() > before || peer_eof_ || !broken_.ok()) continue;
    if (!PeekDeadlinePassed(call)) return false;
    call.result.timed_out = true;
    AnswerReceive(call);  // A copy of what is there.
    return true;
  }
}

void Session::AnswerReceive(ReceiveCall& call) {
  if (call.finished()) return;
  ReceiveResult& result = call.result;
  if (call.peek) {
    // Answered at its deadline: a copy of what it would have returned.
    if (call.started && result.data.empty()) {
      result.data.assign(unclaimed_, 0, std::min(unclaimed_.size(), call.max_bytes));
    }
    result.offset = DeliveredPosition();
  } else if (!call.started) {
    // Timed out in the queue: nothing was delivered, the caller's position
    // stands.
    result.offset = call.offset.value_or(DeliveredPosition());
  } else {
    result.offset = DeliveredPosition() - result.data.size();
    if (call.offset.has_value()) offsets_.Retain(result.offset, result.data);
  }
  call.Finish(std::move(result));
}

bool Session::BeginSend(SendCall& call) {
  call.started = true;
  if (!call.offset.has_value()) return true;
  absl::StatusOr<size_t> duplicate =
      StreamOffsets::DuplicatePrefix(*call.offset, call.data.size(), bytes_sent_);
  if (!duplicate.ok()) {
    call.Finish(duplicate.status());
    return false;
  }
  call.sent = *duplicate;
  if (call.sent < call.data.size()) return true;
  // Every byte went out before (a retry whose answer was lost), or there
  // are none: answered without touching the socket, whatever its state.
  AnswerSend(call, /*timed_out=*/false);
  return false;
}

void Session::AnswerSend(SendCall& call, bool timed_out) {
  SendResult result;
  result.timed_out = timed_out;
  result.offset = bytes_sent_;
  result.bytes_sent = call.sent;
  if (!call.started && call.offset.has_value() && bytes_sent_ > *call.offset) {
    // Timed out in the queue behind an earlier attempt of the same bytes:
    // what of `data` the stream holds, as if it had started now.
    result.bytes_sent = std::min<uint64_t>(call.data.size(), bytes_sent_ - *call.offset);
  }
  call.Finish(result);
}

}  // namespace socketsvc
