#include "client/retrying_stream.h"

#include <algorithm>
#include <atomic>
#include <random>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/socket_error.h"

namespace socketsvc {
namespace {

// Sentinel of the published offsets: not known.
constexpr uint64_t kUnknown = UINT64_MAX;

// Sleeps are cut into slices this long so that a CancelToken ends them soon.
constexpr absl::Duration kSleepSlice = absl::Milliseconds(20);

uint64_t RandomBits() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return generator();
}

bool IsCode(const absl::Status& status, absl::StatusCode code, v1::SocketError error) {
  return status.code() == code && GetSocketError(status) == error;
}

// Whether `data` can be the caller repeating `failed` (the Send that failed
// before it): one is a prefix of the other.
bool RepeatsFailedSend(absl::string_view failed, absl::string_view data) {
  const size_t common = std::min(failed.size(), data.size());
  return failed.substr(0, common) == data.substr(0, common);
}

absl::Status NoOffsetSupport(absl::string_view what) {
  return SocketErrorStatus(absl::StatusCode::kFailedPrecondition,
                           v1::SOCKET_ERROR_INTERNAL_ERROR,
                           absl::StrCat(what,
                                        ": socketd's answer does not follow the "
                                        "offset; it may predate offsets (issue 10)"));
}

}  // namespace

// --- RetryLoop ---------------------------------------------------------------

RetryLoop::RetryLoop(const RetryPolicy& policy, const CallOptions& options)
    : policy_(policy),
      options_(options),
      start_(absl::Now()),
      deadline_(options.rpc_timeout == absl::InfiniteDuration()
                    ? absl::InfiniteFuture()
                    : start_ + options.rpc_timeout) {}

CallOptions RetryLoop::NextAttempt() {
  ++attempts_;
  const absl::Time now = absl::Now();
  absl::Time attempt_deadline = deadline_;
  if (policy_.attempt_timeout != absl::InfiniteDuration()) {
    attempt_deadline = std::min(attempt_deadline, now + policy_.attempt_timeout);
  }
  CallOptions attempt = options_;
  attempt.rpc_timeout = attempt_deadline == absl::InfiniteFuture()
                            ? absl::InfiniteDuration()
                            : std::max(attempt_deadline - now, absl::Milliseconds(1));
  // A retry follows a broken connection: wait for the channel to connect
  // again rather than fail fast while it does, as long as a deadline bounds
  // the wait.
  if (attempts_ > 1 && attempt_deadline != absl::InfiniteFuture()) {
    attempt.wait_for_ready = true;
  }
  return attempt;
}

bool RetryLoop::Retry(const absl::Status& status, bool force) {
  if (attempts_ >= policy_.max_attempts) return false;
  if (!force && !IsTransportFailure(status)) return false;
  if (options_.cancel && options_.cancel->cancelled()) return false;
  const absl::Time now = absl::Now();
  // The call's own deadline passed: DEADLINE_EXCEEDED is the answer.
  if (now >= deadline_ || now >= start_ + policy_.budget) return false;
  const absl::Time wake = now + BackoffBefore(policy_, attempts_, RandomBits());
  if (wake >= deadline_) return false;
  while (absl::Now() < wake) {
    if (options_.cancel && options_.cancel->cancelled()) return false;
    absl::SleepFor(std::min(kSleepSlice, wake - absl::Now()));
  }
  return true;
}

std::optional<int64_t> RetryLoop::Remaining(std::optional<int64_t> timeout_ms) const {
  if (!timeout_ms.has_value() || *timeout_ms <= 0) return timeout_ms;
  const int64_t spent = absl::ToInt64Milliseconds(absl::Now() - start_);
  return std::max<int64_t>(0, *timeout_ms - spent);
}

absl::Status RetryLoop::Final(const absl::Status& status) const {
  if (attempts_ <= 1 || status.ok()) return status;
  absl::Status annotated(status.code(),
                         absl::StrCat(status.message(), " (after ", attempts_,
                                      " attempts)"));
  status.ForEachPayload([&](absl::string_view url, const absl::Cord& payload) {
    annotated.SetPayload(url, payload);
  });
  return annotated;
}

// --- RetryingStreams ---------------------------------------------------------

struct RetryingStreams::Handle {
  // One Send at a time: each one's offset is where the one before ended.
  absl::Mutex send_mu;
  bool send_known ABSL_GUARDED_BY(send_mu) = false;
  uint64_t sent ABSL_GUARDED_BY(send_mu) = 0;
  // The bytes of the last Send that failed (socketd may have written any
  // prefix of them), until the next Send.
  std::string unconfirmed ABSL_GUARDED_BY(send_mu);

  absl::Mutex receive_mu;
  bool receive_known ABSL_GUARDED_BY(receive_mu) = false;
  uint64_t received ABSL_GUARDED_BY(receive_mu) = 0;

  // Copies readable without waiting for a call in flight (Close, Offsets).
  std::atomic<uint64_t> published_sent{kUnknown};
  std::atomic<uint64_t> published_received{kUnknown};
};

std::shared_ptr<RetryingStreams::Handle> RetryingStreams::Find(absl::string_view handle,
                                                               bool create) {
  absl::MutexLock lock(&mu_);
  auto it = handles_.find(handle);
  if (it != handles_.end()) return it->second;
  if (!create) return nullptr;
  auto state = std::make_shared<Handle>();
  handles_.emplace(std::string(handle), state);
  return state;
}

void RetryingStreams::Register(absl::string_view handle) {
  auto state = std::make_shared<Handle>();
  {
    absl::MutexLock send(&state->send_mu);
    state->send_known = true;
  }
  {
    absl::MutexLock receive(&state->receive_mu);
    state->receive_known = true;
  }
  state->published_sent = 0;
  state->published_received = 0;
  absl::MutexLock lock(&mu_);
  handles_[std::string(handle)] = std::move(state);
}

void RetryingStreams::Forget(absl::string_view handle) {
  absl::MutexLock lock(&mu_);
  handles_.erase(handle);
}

void RetryingStreams::ForgetIfCurrent(absl::string_view handle,
                                      const Handle* handle_state) {
  absl::MutexLock lock(&mu_);
  auto it = handles_.find(handle);
  if (it != handles_.end() && it->second.get() == handle_state) handles_.erase(it);
}

TrackedOffsets RetryingStreams::Offsets(absl::string_view handle) const {
  TrackedOffsets offsets;
  absl::MutexLock lock(&mu_);
  auto it = handles_.find(handle);
  if (it == handles_.end()) return offsets;
  const uint64_t sent = it->second->published_sent;
  const uint64_t received = it->second->published_received;
  if (sent != kUnknown) offsets.sent = sent;
  if (received != kUnknown) offsets.received = received;
  return offsets;
}

absl::StatusOr<v1::SendResponse> RetryingStreams::Send(
    const Client& raw, absl::string_view handle, absl::string_view data,
    std::optional<int64_t> timeout_ms, const CallOptions& options) {
  std::shared_ptr<Handle> state = Find(handle, /*create=*/true);
  absl::MutexLock lock(&state->send_mu);
  RetryLoop loop(policy_, options);
  v1::SendRequest request;
  request.set_handle(std::string(handle));

  // Where the stream stands when this client cannot tell: a handle it did
  // not create, or different bytes after a Send that failed (socketd may
  // have written part of those; the new bytes go after whatever it did).
  // An empty Send at a known-good offset answers the total without writing.
  if (!state->send_known ||
      (!state->unconfirmed.empty() && !RepeatsFailedSend(state->unconfirmed, data))) {
    request.set_offset(state->send_known ? state->sent : 0);
    for (;;) {
      absl::StatusOr<v1::SendResponse> probe = raw.Send(request, loop.NextAttempt());
      if (probe.ok()) {
        if (probe->offset() < request.offset()) return NoOffsetSupport("Send");
        state->sent = probe->offset();
        state->send_known = true;
        state->published_sent = state->sent;
        break;
      }
      if (!loop.Retry(probe.status())) return loop.Final(probe.status());
    }
  }
  // A repeat of the failed bytes is sent at the same offset: socketd skips
  // the part it already wrote.
  state->unconfirmed.clear();

  request.set_data(std::string(data));
  request.set_offset(state->sent);
  for (;;) {
    if (std::optional<int64_t> left = loop.Remaining(timeout_ms)) {
      request.set_timeout_ms(*left);
    }
    absl::StatusOr<v1::SendResponse> sent = raw.Send(request, loop.NextAttempt());
    if (sent.ok()) {
      if (sent->offset() < request.offset() + sent->bytes_sent()) {
        state->unconfirmed = std::string(data);
        return NoOffsetSupport("Send");
      }
      state->sent = sent->offset();
      state->published_sent = state->sent;
      return sent;
    }
    if (loop.Retry(sent.status())) continue;
    if (IsCode(sent.status(), absl::StatusCode::kNotFound,
               v1::SOCKET_ERROR_INVALID_HANDLE)) {
      ForgetIfCurrent(handle, state.get());
    } else {
      state->unconfirmed = std::string(data);
    }
    return loop.Final(sent.status());
  }
}

absl::StatusOr<v1::ReceiveResponse> RetryingStreams::Receive(
    const Client& raw, absl::string_view handle, uint32_t max_bytes,
    uint32_t min_bytes, std::optional<int64_t> timeout_ms, const CallOptions& options) {
  std::shared_ptr<Handle> state = Find(handle, /*create=*/true);
  absl::MutexLock lock(&state->receive_mu);
  RetryLoop loop(policy_, options);

  if (!state->receive_known) {
    // A peek that does not wait answers the offset of the next unread byte
    // without consuming anything.
    v1::ReceiveRequest peek;
    peek.set_handle(std::string(handle));
    peek.set_max_bytes(1);
    peek.set_timeout_ms(0);
    peek.set_peek(true);
    for (;;) {
      absl::StatusOr<v1::ReceiveResponse> probe = raw.Receive(peek, loop.NextAttempt());
      if (probe.ok()) {
        state->received = probe->offset();
        state->receive_known = true;
        state->published_received = state->received;
        break;
      }
      if (!loop.Retry(probe.status())) return loop.Final(probe.status());
    }
  }

  v1::ReceiveRequest request;
  request.set_handle(std::string(handle));
  request.set_max_bytes(max_bytes);
  request.set_min_bytes(min_bytes);
  request.set_offset(state->received);
  for (;;) {
    if (std::optional<int64_t> left = loop.Remaining(timeout_ms)) {
      request.set_timeout_ms(*left);
    }
    absl::StatusOr<v1::ReceiveResponse> received =
        raw.Receive(request, loop.NextAttempt());
    if (received.ok()) {
      if (received->offset() != request.offset()) {
        return SocketErrorStatus(
            absl::StatusCode::kDataLoss, v1::SOCKET_ERROR_INTERNAL_ERROR,
            absl::StrCat("Receive at offset ", request.offset(),
                         " was answered with bytes at offset ", received->offset(),
                         "; nothing was taken (socketd may predate offsets)"));
      }
      state->received += received->data().size();
      state->published_received = state->received;
      return received;
    }
    if (loop.Retry(received.status())) continue;
    // Gone, or the offset no longer fits (another reader moved the stream):
    // the next call learns the offsets afresh instead of failing for good.
    if (IsCode(received.status(), absl::StatusCode::kNotFound,
               v1::SOCKET_ERROR_INVALID_HANDLE) ||
        IsCode(received.status(), absl::StatusCode::kInvalidArgument,
               v1::SOCKET_ERROR_INVALID_REQUEST)) {
      ForgetIfCurrent(handle, state.get());
    }
    return loop.Final(received.status());
  }
}

absl::StatusOr<v1::CloseResponse> RetryingStreams::Close(
    const Client& raw, absl::string_view handle, v1::CloseMode mode,
    std::optional<int64_t> timeout_ms, const CallOptions& options) {
  v1::CloseRequest request;
  request.set_handle(std::string(handle));
  request.set_mode(mode);
  // Sockets ("s…") always carry a send offset: it makes a retried PARTIAL
  // idempotent, and 0 (nothing known) never refuses. Listeners have none.
  if (absl::StartsWith(handle, "s")) {
    uint64_t sent = 0;
    if (std::shared_ptr<Handle> state = Find(handle, /*create=*/false)) {
      // Not under send_mu: a Close must not wait for a Send stuck on a
      // peer that does not read (it is often what ends that Send).
      const uint64_t published = state->published_sent;
      if (published != kUnknown) sent = published;
    }
    request.set_send_offset(sent);
  }
  RetryLoop loop(policy_, options);
  for (;;) {
    if (std::optional<int64_t> left = loop.Remaining(timeout_ms)) {
      request.set_timeout_ms(*left);
    }
    absl::StatusOr<v1::CloseResponse> closed = raw.Close(request, loop.NextAttempt());
    if (closed.ok()) {
      if (closed->released()) Forget(handle);
      return closed;
    }
    if (loop.attempts() > 1) {
      // An earlier attempt got through and released the handle: the close
      // is done (how much it drained is not known).
      if (IsCode(closed.status(), absl::StatusCode::kNotFound,
                 v1::SOCKET_ERROR_INVALID_HANDLE)) {
        Forget(handle);
        v1::CloseResponse done;
        done.set_released(true);
        return done;
      }
      // An earlier attempt is still draining: wait for it to finish.
      if (IsCode(closed.status(), absl::StatusCode::kFailedPrecondition,
                 v1::SOCKET_ERROR_NOT_CONNECTED) &&
          loop.Retry(closed.status(), /*force=*/true)) {
        continue;
      }
    }
    if (loop.Retry(closed.status())) continue;
    if (IsCode(closed.status(), absl::StatusCode::kNotFound,
               v1::SOCKET_ERROR_INVALID_HANDLE)) {
      Forget(handle);
    }
    return loop.Final(closed.status());
  }
}

}  // namespace socketsvc
