// Session lifecycle, deadlines, cancellation and GetInfo. Receive and Send
// are in session_io.cc, Close in session_close.cc.
#include "service/sessions/session.h"

#include <algorithm>
#include <chrono>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>

#include "absl/strings/str_cat.h"
#include "common/socket_error.h"

namespace socketsvc {
namespace {

void Endpoint(const boost::asio::ip::tcp::endpoint& ep, std::string& address,
              uint16_t& port) {
  address = ep.address().to_string();
  port = ep.port();
}

template <typename Queue, typename Call>
bool RemoveFromQueue(Queue& queue, const Call& call) {
  auto it = std::find(queue.begin(), queue.end(), call);
  if (it == queue.end()) return false;
  queue.erase(it);
  return true;
}

}  // namespace

Session::Session(std::string handle, std::string owner, std::string peer_name,
                 std::unique_ptr<Transport> transport, SessionLimits limits)
    : handle_(std::move(handle)),
      owner_(std::move(owner)),
      peer_name_(std::move(peer_name)),
      limits_(limits),
      created_(absl::Now()),
      strand_(boost::asio::make_strand(transport->socket().get_executor())),
      transport_(std::move(transport)),
      last_activity_(created_),
      idle_timeout_(limits.idle_timeout),
      idle_timer_(strand_) {
  boost::system::error_code ec;
  auto local = transport_->socket().local_endpoint(ec);
  if (!ec) Endpoint(local, local_address_, local_port_);
  auto remote = transport_->socket().remote_endpoint(ec);
  if (!ec) Endpoint(remote, remote_address_, remote_port_);
}

Session::~Session() { transport_->Close(); }

void Session::SetReleaseHook(absl::AnyInvocable<void()> hook) {
  boost::asio::post(strand_, [self = shared_from_this(),
                              hook = std::move(hook)]() mutable {
    if (self->released_) {
      hook();
    } else {
      self->release_hook_ = std::move(hook);
    }
  });
}

void Session::StartReceive(std::shared_ptr<ReceiveCall> call) {
  boost::asio::post(strand_,
                    [self = shared_from_this(), call = std::move(call)]() mutable {
                      self->EnqueueReceive(std::move(call));
                    });
}

void Session::StartSend(std::shared_ptr<SendCall> call) {
  boost::asio::post(strand_,
                    [self = shared_from_this(), call = std::move(call)]() mutable {
                      self->EnqueueSend(std::move(call));
                    });
}

void Session::StartClose(std::shared_ptr<CloseCall> call) {
  boost::asio::post(strand_,
                    [self = shared_from_this(), call = std::move(call)]() mutable {
                      self->CloseOnStrand(std::move(call));
                    });
}

void Session::GetInfo(
    absl::AnyInvocable<void(absl::StatusOr<v1::SocketInfo>)> done) {
  boost::asio::post(strand_, [self = shared_from_this(),
                              done = std::move(done)]() mutable {
    if (self->released_) {
      done(self->ReleasedStatus());
      return;
    }
    v1::SocketInfo info;
    self->FillInfo(info);
    done(std::move(info));
  });
}

void Session::Cancel(std::shared_ptr<PendingCall> call) {
  boost::asio::post(strand_,
                    [self = shared_from_this(), call = std::move(call)] {
                      self->CancelOnStrand(call);
                    });
}

void Session::Shutdown() {
  boost::asio::post(strand_, [self = shared_from_this()] {
    self->AbortOnStrand(SocketErrorStatus(
        absl::StatusCode::kUnavailable, v1::SOCKET_ERROR_SHUTTING_DOWN,
        "socketd is shutting down; the socket was aborted"));
  });
}

void Session::Drain(absl::Time deadline) {
  boost::asio::post(strand_, [self = shared_from_this(), deadline] {
    self->DrainOnStrand(deadline);
  });
}

v1::SocketState Session::CurrentState() const {
  if (draining_close_) return v1::SOCKET_STATE_CLOSING;
  if (upgrading_) return v1::SOCKET_STATE_CONNECTING;
  if (!broken_.ok()) return v1::SOCKET_STATE_BROKEN;
  if (send_shut_ && peer_eof_) return v1::SOCKET_STATE_BOTH_CLOSED;
  if (send_shut_) return v1::SOCKET_STATE_HALF_CLOSED;
  if (peer_eof_) return v1::SOCKET_STATE_PEER_CLOSED;
  return v1::SOCKET_STATE_OPEN;
}

void Session::FillInfo(v1::SocketInfo& info) const {
  const absl::Time now = absl::Now();
  info.set_handle(handle_);
  info.set_state(CurrentState());
  info.set_local_address(local_address_);
  info.set_local_port(local_port_);
  info.set_remote_address(remote_address_);
  info.set_remote_port(remote_port_);
  info.set_bytes_sent(bytes_sent_);
  info.set_bytes_received(bytes_received_);
  info.set_idle_ms(absl::ToInt64Milliseconds(now - last_activity_));
  info.set_age_ms(absl::ToInt64Milliseconds(now - created_));
  // A Pipe's turns are not calls: it shows as `piped`.
  const size_t pipe_sends = pipe_ && pipe_->send_turn_ ? 1 : 0;
  const size_t pipe_receives = pipe_ && pipe_->receive_turn_ ? 1 : 0;
  info.set_pending_sends(
      static_cast<uint32_t>(sends_.size() - std::min(sends_.size(), pipe_sends)));
  info.set_pending_receives(static_cast<uint32_t>(
      receives_.size() - std::min(receives_.size(), pipe_receives)));
  info.set_piped(pipe_ != nullptr);
  info.set_retained_receive_bytes(offsets_.retained_bytes());
  if (offsets_.retained_bytes() > 0) {
    info.set_retained_receive_offset(offsets_.retained_offset());
  }
  if (const v1::TlsInfo* tls = transport_->tls_info()) *info.mutable_tls() = *tls;
  if (!broken_.ok()) {
    if (auto detail = GetErrorDetail(broken_)) {
      info.set_last_error(detail->error());
      info.set_last_os_errno(detail->os_errno());
    }
  }
}

void Session::ArmDeadline(const std::shared_ptr<PendingCall>& call) {
  const absl::Time deadline = call->deadline();
  if (deadline == absl::InfiniteFuture()) return;
  const absl::Duration left = std::max(deadline - absl::Now(), absl::ZeroDuration());
  call->timer() = std::make_unique<boost::asio::steady_timer>(strand_);
  call->timer()->expires_after(absl::ToChronoNanoseconds(left));
  call->timer()->async_wait(boost::asio::bind_executor(
      strand_, [self = shared_from_this(), call](boost::system::error_code ec) {
        if (!ec) self->OnDeadline(call);
      }));
}

void Session::OnDeadline(const std::shared_ptr<PendingCall>& call) {
  if (call->finished()) return;
  if (auto receive = std::dynamic_pointer_cast<ReceiveCall>(call)) {
    RemoveFromQueue(receives_, receive);
    receive->result.timed_out = true;
    AnswerReceive(*receive);
    PumpReceives();
  } else if (auto send = std::dynamic_pointer_cast<SendCall>(call)) {
    RemoveFromQueue(sends_, send);
    AnswerSend(*send, /*timed_out=*/true);
    PumpSends();
  } else if (call == draining_close_) {
    FinishDrain(/*timed_out=*/true);
  }
}

void Session::CancelOnStrand(const std::shared_ptr<PendingCall>& call) {
  if (call->finished()) return;
  const absl::Status cancelled = SocketErrorStatus(
      absl::StatusCode::kCancelled, v1::SOCKET_ERROR_CANCELLED, "the call was cancelled");
  // A call cancelled before it was queued is finished here; Enqueue* then
  // ignores it.
  if (auto receive = std::dynamic_pointer_cast<ReceiveCall>(call)) {
    RemoveFromQueue(receives_, receive);
    // Keep what it read: those bytes belong to the stream, not to the call.
    unclaimed_.insert(0, receive->result.data);
    receive->Finish(cancelled);
    PumpReceives();
    // Bytes held here are readable, and no kernel event says so.
    if (!unclaimed_.empty()) poll_watchers_.WakeAll();
  } else if (auto send = std::dynamic_pointer_cast<SendCall>(call)) {
    RemoveFromQueue(sends_, send);
    send->Finish(cancelled);
    PumpSends();
  } else if (call == draining_close_) {
    // A close never stays half done: stop draining and release now.
    FinishDrain(/*timed_out=*/true);
  } else if (call == upgrading_) {
    handshake_->StopOnStrand(cancelled);
  } else if (auto close = std::dynamic_pointer_cast<CloseCall>(call)) {
    close->Finish(cancelled);
  } else if (auto upgrade = std::dynamic_pointer_cast<TlsUpgradeCall>(call)) {
    upgrade->Finish(cancelled);
  }
}

void Session::FailAllReceives(const absl::Status& status) {
  std::deque<std::shared_ptr<ReceiveCall>> calls;
  calls.swap(receives_);
  for (auto& call : calls) {
    unclaimed_.insert(0, call->result.data);
    call->Finish(status);
  }
}

void Session::FailAllSends(const absl::Status& status) {
  std::deque<std::shared_ptr<SendCall>> calls;
  calls.swap(sends_);
  for (auto& call : calls) call->Finish(status);
}

void Session::Release() {
  if (released_) return;
  released_ = true;
  // Their handlers hold the session: let it go now.
  idle_timer_.cancel();
  if (stop_timer_) stop_timer_->cancel();
  transport_->Close();
  poll_watchers_.WakeAll();  // Their handle is gone: POLL_EVENT_INVALID.
  if (release_hook_) {
    auto hook = std::move(release_hook_);
    hook();
  }
}

absl::Status Session::ReleasedStatus() const {
  return SocketErrorStatus(absl::StatusCode::kNotFound, v1::SOCKET_ERROR_INVALID_HANDLE,
                           "no such handle");
}

}  // namespace socketsvc
