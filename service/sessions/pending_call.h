// The calls a Session queues: one Receive, Send or Close each.
//
// A call is created by the RPC layer, handed to its Session and finished
// exactly once on the Session's strand, which runs its completion. The RPC
// layer keeps a shared_ptr only to cancel it. Not thread-safe: after
// creation every field is touched on the owning Session's strand only.
#ifndef SOCKETSVC_SERVICE_SESSIONS_PENDING_CALL_H_
#define SOCKETSVC_SERVICE_SESSIONS_PENDING_CALL_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <boost/asio/steady_timer.hpp>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "service/tls/openssl_util.h"
#include "socketsvc/v1/sockets.pb.h"

namespace socketsvc {

struct ReceiveResult {
  std::string data;
  bool eof = false;
  bool timed_out = false;
  // Stream position of data[0] (ReceiveResponse.offset).
  uint64_t offset = 0;
};

struct SendResult {
  uint64_t bytes_sent = 0;
  bool timed_out = false;
  // Bytes of the stream written so far (SendResponse.offset).
  uint64_t offset = 0;
};

struct CloseResult {
  bool released = false;
  uint64_t drained_bytes = 0;
  bool drain_timed_out = false;
};

template <typename Result>
using Completion = absl::AnyInvocable<void(absl::StatusOr<Result>)>;

// Deadline conventions: absl::InfinitePast() means "do not block",
// absl::InfiniteFuture() means "no own limit".
class PendingCall {
 public:
  explicit PendingCall(absl::Time deadline) : deadline_(deadline) {}
  virtual ~PendingCall() = default;

  absl::Time deadline() const { return deadline_; }
  bool finished() const { return finished_; }
  // Set by the Session when it arms the call's deadline timer.
  std::unique_ptr<boost::asio::steady_timer>& timer() { return timer_; }

 protected:
  // Marks the call finished and stops its timer; true the first time only.
  bool MarkFinished() {
    if (finished_) return false;
    finished_ = true;
    if (timer_) timer_->cancel();
    return true;
  }

 private:
  const absl::Time deadline_;
  bool finished_ = false;
  std::unique_ptr<boost::asio::steady_timer> timer_;
};

// Finishes `Result`-producing calls exactly once.
template <typename Result>
class CompletingCall : public PendingCall {
 public:
  CompletingCall(absl::Time deadline, Completion<Result> done)
      : PendingCall(deadline), done_(std::move(done)) {}

  void Finish(absl::StatusOr<Result> result) {
    if (!MarkFinished()) return;
    Completion<Result> done = std::move(done_);
    done(std::move(result));
  }

 private:
  Completion<Result> done_;
};

class ReceiveCall : public CompletingCall<ReceiveResult> {
 public:
  ReceiveCall(size_t max_bytes, size_t min_bytes, absl::Time deadline,
              Completion<ReceiveResult> done)
      : CompletingCall(deadline, std::move(done)),
        max_bytes(max_bytes),
        min_bytes(min_bytes) {}

  const size_t max_bytes;
  const size_t min_bytes;
  // Set before the call is started (ReceiveRequest.offset / peek).
  std::optional<uint64_t> offset;
  bool peek = false;
  // Bytes read so far for this call (a peek holds none while it waits).
  ReceiveResult result;
  // It reached the head of the queue and its offset was accepted.
  bool started = false;
};

class SendCall : public CompletingCall<SendResult> {
 public:
  // `data` must stay valid until the call finishes (the RPC's request owns it).
  SendCall(absl::string_view data, absl::Time deadline,
           Completion<SendResult> done)
      : CompletingCall(deadline, std::move(done)), data(data) {}

  const absl::string_view data;
  // Set before the call is started (SendRequest.offset).
  std::optional<uint64_t> offset;
  // Bytes of `data` in the kernel, a duplicate prefix skipped by the offset
  // included.
  size_t sent = 0;
  // It reached the head of the queue (its offset was checked).
  bool started = false;
};

class CloseCall : public CompletingCall<CloseResult> {
 public:
  CloseCall(v1::CloseMode mode, absl::Time deadline,
            Completion<CloseResult> done)
      : CompletingCall(deadline, std::move(done)), mode(mode) {}

  const v1::CloseMode mode;
  // Set before the call is started (CloseRequest.send_offset).
  std::optional<uint64_t> send_offset;
  CloseResult result;
};

class TlsUpgradeCall : public CompletingCall<v1::TlsInfo> {
 public:
  // `ssl` from TlsClientContext::NewSsl; `server_name` is what it verifies.
  TlsUpgradeCall(UniqueSsl ssl, std::string server_name, bool verify,
                 absl::Time deadline, Completion<v1::TlsInfo> done)
      : CompletingCall(deadline, std::move(done)),
        ssl(std::move(ssl)),
        server_name(std::move(server_name)),
        verify(verify) {}

  UniqueSsl ssl;
  const std::string server_name;
  const bool verify;
};

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_SESSIONS_PENDING_CALL_H_
