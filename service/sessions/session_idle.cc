// The idle timeout (Tibbo connectiontout) and SetOptions / GetOptions.
//
// Moving bytes only stamps last_activity_; one timer per session fires at
// last_activity_ + idle_timeout_, and if bytes moved meanwhile it is re-armed
// for the remainder. So a busy session costs one timer wake-up per timeout
// period, never one per byte or call.
#include <algorithm>
#include <cerrno>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>

#include "absl/strings/str_cat.h"
#include "common/socket_error.h"
#include "service/net/socket_options.h"
#include "service/ops/counters.h"
#include "service/sessions/session.h"

namespace socketsvc {

void Session::StartIdleTimeout() {
  boost::asio::post(strand_, [self = shared_from_this()] { self->ArmIdleTimer(); });
}

void Session::ArmIdleTimer() {
  ArmIdleTimerIn(last_activity_ + idle_timeout_ - absl::Now());
}

void Session::ArmIdleTimerIn(absl::Duration left) {
  ++idle_generation_;
  if (released_ || idle_timeout_ <= absl::ZeroDuration()) {
    idle_timer_.cancel();
    return;
  }
  left = std::max(left, absl::ZeroDuration());
  idle_timer_.expires_after(absl::ToChronoNanoseconds(left));
  idle_timer_.async_wait(boost::asio::bind_executor(
      strand_, [self = shared_from_this(),
                generation = idle_generation_](boost::system::error_code ec) {
        if (ec || generation != self->idle_generation_) return;
        self->OnIdleTimer();
      }));
}

void Session::OnIdleTimer() {
  if (released_ || idle_timeout_ <= absl::ZeroDuration()) return;
  const absl::Time now = absl::Now();
  if (draining_close_ || upgrading_ || stopping_) {
    // A close, a TLS handshake or socketd's shutdown is under way, each with
    // its own deadline; look again one period later.
    return ArmIdleTimerIn(idle_timeout_);
  }
  if (now < last_activity_ + idle_timeout_) return ArmIdleTimer();
  // Idle for the whole period: reset, as Tibbo does for TCP, and release.
  CountOps(OpsCounter::kIdleReaps);
  AbortOnStrand(SocketErrorStatus(
      absl::StatusCode::kAborted, v1::SOCKET_ERROR_TIMED_OUT,
      absl::StrCat("idle timeout: no data moved for ",
                   absl::ToInt64Milliseconds(idle_timeout_),
                   " ms (idle_timeout_ms); socketd reset the connection and released "
                   "the handle"),
      ETIMEDOUT));
}

absl::StatusOr<v1::SocketOptions> Session::ReadOptions() const {
  absl::StatusOr<v1::SocketOptions> options =
      ReadSocketOptions(transport_->socket().native_handle());
  if (options.ok()) {
    options->set_idle_timeout_ms(absl::ToInt64Milliseconds(idle_timeout_));
  }
  return options;
}

void Session::SetOptions(
    v1::SocketOptions options,
    absl::AnyInvocable<void(absl::StatusOr<v1::SocketOptions>)> done) {
  boost::asio::post(strand_, [self = shared_from_this(), options = std::move(options),
                              done = std::move(done)]() mutable {
    if (self->released_) return done(self->ReleasedStatus());
    if (options.has_idle_timeout_ms()) {
      self->idle_timeout_ = absl::Milliseconds(options.idle_timeout_ms());
      // Counts from the last activity, as it always does: a session idle
      // for longer than the new timeout goes at once.
      self->ArmIdleTimer();
    }
    absl::Status applied =
        ApplySocketOptions(self->transport_->socket().native_handle(), options);
    if (!applied.ok()) return done(applied);
    done(self->ReadOptions());
  });
}

void Session::GetOptions(
    absl::AnyInvocable<void(absl::StatusOr<v1::SocketOptions>)> done) {
  boost::asio::post(strand_,
                    [self = shared_from_this(), done = std::move(done)]() mutable {
                      if (self->released_) return done(self->ReleasedStatus());
                      done(self->ReadOptions());
                    });
}

}  // namespace socketsvc
