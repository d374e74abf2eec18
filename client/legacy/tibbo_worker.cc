// The Tibbo sock's worker thread (Tibbo's "master process"): opens the
// connection, moves bytes between socketd and the RX/TX buffers, follows
// the peer's FIN/RST, enforces connectiontout and carries out
// close/reset/discard. One connection at a time; state changes go through
// SetStateLocked, which queues on_sock_event events.
#include <algorithm>
#include <optional>

#include "client/legacy/omnis_http_framing.h"
#include "client/legacy/tibbo.h"
#include "common/socket_error.h"

namespace socketsvc::tibbo {
namespace {

// Longest single Send: the worker comes back between chunks for commands.
constexpr size_t kSendChunk = 256 * 1024;
constexpr int64_t kSendSliceMs = 100;
// Drain of the final Close(COMPLETE) once the peer's FIN was seen.
constexpr int64_t kFinalCloseMs = 5000;

// Why an active open failed, in Tibbo's terms.
pl_sock_state StateForConnectFailure(const absl::Status& status) {
  switch (GetSocketError(status)) {
    case v1::SOCKET_ERROR_CONNECTION_REFUSED:
    case v1::SOCKET_ERROR_CONNECTION_RESET:
      return PL_SST_CL_PRESET_AOPENING;  // The peer answered with RST.
    case v1::SOCKET_ERROR_TIMED_OUT:
      return PL_SST_CL_ARESET_RE_AO;  // Retransmissions ran out.
    case v1::SOCKET_ERROR_HOST_NOT_FOUND:
    case v1::SOCKET_ERROR_HOST_UNREACHABLE:
    case v1::SOCKET_ERROR_NETWORK_UNREACHABLE:
      return PL_SST_CL_DISCARDED_ARPFL;  // The destination cannot be reached.
    default:
      return status.code() == absl::StatusCode::kDeadlineExceeded ? PL_SST_CL_ARESET_RE_AO
                                                                  : PL_SST_CL_DISCARDED_AO_WCS;
  }
}

bool IsReset(const absl::Status& status) {
  const v1::SocketError error = GetSocketError(status);
  return error == v1::SOCKET_ERROR_CONNECTION_RESET || error == v1::SOCKET_ERROR_BROKEN_PIPE;
}

}  // namespace

void Sock::WorkerMain() {
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        // Tibbo: no new connection before the program saw the old one end.
        return stopping_ || (connect_requested_ &&
                             (delivered_seq_ >= connect_gate_ || command_ != Command::kNone));
      };
      mu_.Await(absl::Condition(&ready));
      if (stopping_) return;
      connect_requested_ = false;
    }
    RunConnection();
  }
}

// connect() → Connect{targetip, targetport, timeout_ms}.
void Sock::RunConnection() {
  v1::ConnectRequest request;
  auto cancel = std::make_shared<CancelToken>();
  {
    absl::MutexLock lock(&mu_);
    if (command_ != Command::kNone) {  // close/reset/discard before it began.
      SetStateLocked(command_ == Command::kDiscard ? PL_SST_CL_DISCARDED_CMD
                                                   : PL_SST_CL_ARESET_CMD);
      if (command_ != Command::kStop) command_ = Command::kNone;
      return;
    }
    request.set_host(targetip_);
    request.set_port(targetport_);
    request.set_timeout_ms(options_.connect_timeout_ms);
    rpc_ = Rpc::kConnect;
    rpc_cancel_ = cancel;
  }
  CallOptions call;
  call.cancel = cancel;
  absl::StatusOr<v1::ConnectResponse> connected = client_.Connect(request, call);
  Command command;
  {
    absl::MutexLock lock(&mu_);
    rpc_ = Rpc::kNone;
    rpc_cancel_ = nullptr;
    command = command_;
    if (command != Command::kStop) command_ = Command::kNone;
    if (command == Command::kNone && connected.ok()) {
      handle_ = connected->handle();
      remoteip_ = connected->remote_address();
      remoteport_ = static_cast<uint16_t>(connected->remote_port());
      last_activity_ = absl::Now();
      SetStateLocked(PL_SST_EST_AOPENED);
    } else if (command == Command::kNone) {
      SetStateLocked(StateForConnectFailure(connected.status()));
      return;
    }
  }
  if (command != Command::kNone) {  // Closing while opening resets (Tibbo).
    const bool discard = command == Command::kDiscard;
    if (connected.ok()) {
      client_.Close(connected->handle(), discard ? v1::CLOSE_MODE_DISCARD : v1::CLOSE_MODE_ABORT)
          .IgnoreError();
    }
    absl::MutexLock lock(&mu_);
    SetStateLocked(discard ? PL_SST_CL_DISCARDED_CMD : PL_SST_CL_ARESET_CMD);
    return;
  }
  ApplyIdleTimeout(connected->handle());
  Converse(connected->handle());
}

// connectiontout → SetOptions{idle_timeout_ms}; where socketd lacks
// SetOptions (UNIMPLEMENTED) the worker enforces it (Options::IdleTimeout).
void Sock::ApplyIdleTimeout(const std::string& handle) {
  if (options_.idle_timeout == Options::IdleTimeout::kClient) return;
  for (;;) {
    uint16_t tout;
    {
      absl::MutexLock lock(&mu_);
      tout = connectiontout_;
    }
    v1::SocketOptions socket_options;
    socket_options.set_idle_timeout_ms(int64_t{tout} * 500);
    absl::StatusOr<v1::SocketOptions> set = client_.SetOptions(handle, socket_options);
    absl::MutexLock lock(&mu_);
    if (!set.ok()) {
      idle_by_socketd_ = options_.idle_timeout == Options::IdleTimeout::kSocketd ||
                         set.status().code() != absl::StatusCode::kUnimplemented;
      return;
    }
    idle_by_socketd_ = true;
    if (connectiontout_ == tout) return;  // Else it changed meanwhile: again.
  }
}

void Sock::Converse(const std::string& handle) {
  bool closing = false;    // PL_SST_AC: close() (or an HTTP reply) began it.
  bool shut_down = false;  // Close(PARTIAL) sent our FIN.
  for (;;) {
    Command command;
    bool tx_pending;
    size_t rx_space;
    int64_t timeout_ms = -1;
    uint16_t tout;
    bool client_idle;  // This facade enforces connectiontout.
    {
      absl::MutexLock lock(&mu_);
      command = command_;
      if (command == Command::kReset || command == Command::kDiscard) command_ = Command::kNone;
      if (command == Command::kClose) {
        command_ = Command::kNone;
        closing = true;
      }
      const bool reply_done = httpmode_ == YES && HttpReplyDoneLocked();
      if (reply_done && httpnoclose_ == NO) closing = true;
      if (closing && state_ != PL_SST_AC) SetStateLocked(PL_SST_AC);
      tx_pending = !tx_.empty() && !shut_down;
      rx_space = options_.rx_buffer_bytes - std::min(rx_.size(), options_.rx_buffer_bytes);
      tout = connectiontout_;
      client_idle = !idle_by_socketd_ && tout != 0;
      if (client_idle) {
        const absl::Duration left = last_activity_ + absl::Milliseconds(tout * 500) - absl::Now();
        timeout_ms = std::max<int64_t>(0, absl::ToInt64Milliseconds(left));
      }
    }
    if (command == Command::kStop || command == Command::kReset) {
      return Finish(handle, v1::CLOSE_MODE_ABORT, PL_SST_CL_ARESET_CMD);
    }
    if (command == Command::kDiscard) {
      return Finish(handle, v1::CLOSE_MODE_DISCARD, PL_SST_CL_DISCARDED_CMD);
    }
    if (tx_pending) {
      if (!SendPending(handle)) return;
      bool more;
      {
        absl::MutexLock lock(&mu_);
        more = !tx_.empty();
      }
      // All sent: look again (an HTTP reply may be complete, a close may
      // now send its FIN). Else keep reading while the peer is slow.
      if (!more) continue;
      timeout_ms = 0;
    } else if (closing && !shut_down) {
      absl::StatusOr<v1::CloseResponse> half = client_.Close(handle, v1::CLOSE_MODE_PARTIAL);
      if (!half.ok()) {
        return Finish(handle, v1::CLOSE_MODE_DISCARD,
                      IsReset(half.status()) ? PL_SST_CL_PRESET_ACLOSING : PL_SST_CL_ARESET_DERR);
      }
      shut_down = true;
    }
    if (rx_space == 0) {  // RX full: wait for getdata (backpressure to the peer).
      if (client_idle && timeout_ms == 0 && IdleTimedOut(handle, tout)) {
        return Finish(handle, v1::CLOSE_MODE_ABORT, PL_SST_CL_ARESET_TOUT);
      }
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return rx_.size() < options_.rx_buffer_bytes || command_ != Command::kNone || !tx_.empty();
      };
      mu_.AwaitWithTimeout(absl::Condition(&ready), absl::Milliseconds(100));
      continue;
    }
    auto cancel = std::make_shared<CancelToken>();
    {
      absl::MutexLock lock(&mu_);
      if (command_ != Command::kNone) continue;
      rpc_ = Rpc::kReceive;
      rpc_cancel_ = cancel;
    }
    CallOptions call;
    call.cancel = cancel;
    absl::StatusOr<v1::ReceiveResponse> received = client_.Receive(
        handle, static_cast<uint32_t>(std::min<size_t>(rx_space, UINT32_MAX)), 1, timeout_ms, call);
    {
      absl::MutexLock lock(&mu_);
      rpc_ = Rpc::kNone;
      rpc_cancel_ = nullptr;
      if (received.ok() && !received->data().empty()) {
        rx_ += received->data();
        last_activity_ = absl::Now();
      }
    }
    if (!received.ok()) {
      const absl::Status& status = received.status();
      if (status.code() == absl::StatusCode::kCancelled) continue;  // Woken up.
      if (GetSocketError(status) == v1::SOCKET_ERROR_TIMED_OUT) {
        // socketd's idle timeout reset the connection and released it.
        return Finish(handle, v1::CLOSE_MODE_ABORT, PL_SST_CL_ARESET_TOUT);
      }
      if (IsReset(status)) {
        return Finish(handle, v1::CLOSE_MODE_DISCARD,
                      closing ? PL_SST_CL_PRESET_ACLOSING : PL_SST_CL_PRESET_EST);
      }
      return Finish(handle, v1::CLOSE_MODE_ABORT, PL_SST_CL_ARESET_DERR);
    }
    if (received->eof()) {
      if (closing) return Finish(handle, v1::CLOSE_MODE_COMPLETE, PL_SST_CL_ACLOSED);
      {  // The peer's FIN: Tibbo closes its side by itself.
        absl::MutexLock lock(&mu_);
        SetStateLocked(PL_SST_PC);
      }
      for (;;) {  // What the program committed still goes out first.
        Command during;
        {
          absl::MutexLock lock(&mu_);
          during = command_;
          if (tx_.empty() && during == Command::kNone) break;
        }
        if (during == Command::kDiscard) {
          return Finish(handle, v1::CLOSE_MODE_DISCARD, PL_SST_CL_DISCARDED_CMD);
        }
        if (during != Command::kNone) {  // reset, or close while closing.
          return Finish(handle, v1::CLOSE_MODE_ABORT, PL_SST_CL_ARESET_CMD);
        }
        if (!SendPending(handle)) return;
      }
      return Finish(handle, v1::CLOSE_MODE_COMPLETE, PL_SST_CL_PCLOSED);
    }
    if (received->timed_out() && client_idle && IdleTimedOut(handle, tout)) {
      return Finish(handle, v1::CLOSE_MODE_ABORT, PL_SST_CL_ARESET_TOUT);
    }
  }
}

// The facade's own connectiontout: whether socketd's idle_ms reached it
// (if not, the worker's deadline follows socketd's clock).
bool Sock::IdleTimedOut(const std::string& handle, uint16_t tout) {
  absl::StatusOr<v1::SocketInfo> info = client_.GetInfo(handle);
  if (!info.ok()) return false;
  if (info->idle_ms() >= int64_t{tout} * 500) return true;
  absl::MutexLock lock(&mu_);
  last_activity_ = absl::Now() - absl::Milliseconds(info->idle_ms());
  return false;
}

// Sends one chunk of the committed TX data; false if that ended the
// connection (Finish already ran).
bool Sock::SendPending(const std::string& handle) {
  std::string chunk;
  pl_sock_state if_reset;
  {
    absl::MutexLock lock(&mu_);
    chunk = tx_.substr(0, kSendChunk);
    if_reset = state_ == PL_SST_PC   ? PL_SST_CL_PRESET_PCLOSING
               : state_ == PL_SST_AC ? PL_SST_CL_PRESET_ACLOSING
                                     : PL_SST_CL_PRESET_EST;
  }
  if (chunk.empty()) return true;
  absl::StatusOr<v1::SendResponse> sent = client_.Send(handle, chunk, kSendSliceMs);
  if (!sent.ok()) {
    if (GetSocketError(sent.status()) == v1::SOCKET_ERROR_TIMED_OUT) {
      Finish(handle, v1::CLOSE_MODE_ABORT, PL_SST_CL_ARESET_TOUT);
    } else {
      Finish(handle, v1::CLOSE_MODE_DISCARD,
             IsReset(sent.status()) ? if_reset : PL_SST_CL_ARESET_DERR);
    }
    return false;
  }
  absl::MutexLock lock(&mu_);
  const size_t n = std::min<size_t>(sent->bytes_sent(), tx_.size());
  if (httpmode_ == YES) http_out_.append(tx_, 0, n);
  tx_.erase(0, n);
  if (n > 0) last_activity_ = absl::Now();
  return true;
}

// Releases the connection with `mode` (a socketd handle already released
// answers NOT_FOUND, which is fine) and records how it ended.
void Sock::Finish(const std::string& handle, v1::CloseMode mode, pl_sock_state state) {
  client_
      .Close(handle, mode,
             mode == v1::CLOSE_MODE_COMPLETE ? std::optional<int64_t>(kFinalCloseMs) : std::nullopt)
      .IgnoreError();
  absl::MutexLock lock(&mu_);
  // A close/reset/discard that came too late has nothing left to act on.
  if (command_ != Command::kStop) command_ = Command::kNone;
  handle_.clear();
  httpmode_ = NO;
  http_out_.clear();
  if (state == PL_SST_CL_ARESET_TOUT) toutcounter_ = connectiontout_;
  SetStateLocked(state);
}

// HTTP mode: whether the bytes sent so far complete an HTTP response
// (Content-Length or chunked framing; without either, Tibbo's end-of-page
// marker CR LF CR LF after the head). Consumes that response.
bool Sock::HttpReplyDoneLocked() {
  const legacy::HttpFrame frame = legacy::FrameHttpMessage(http_out_, /*response=*/true);
  if (frame.status == legacy::HttpFrame::kComplete) {
    http_out_.erase(0, frame.length);
    return true;
  }
  if (frame.status == legacy::HttpFrame::kUntilClose) {
    const size_t marker = http_out_.find("\r\n\r\n", frame.length);
    if (marker != std::string::npos) {
      http_out_.erase(0, marker + 4);
      return true;
    }
  }
  return false;
}

}  // namespace socketsvc::tibbo
