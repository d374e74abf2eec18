// One connected socket owned by socketd on behalf of a caller.
//
// A Session serializes everything on its own Asio strand: queued Receive,
// Send and Close calls, readiness waits and deadline timers. One Send and one
// Receive run at once (TCP is full duplex); further calls of the same
// direction wait in arrival order. Nothing is buffered beyond the kernel's,
// except the bytes of a Receive cancelled after it had read some (or of a
// peek waiting for min_bytes), which the next Receive returns first, and the
// last answer of a Receive with an offset, kept for its retry
// (StreamOffsets).
//
// Thread-safe: public methods may be called from any thread; they post to
// the strand. Completions run on the strand and must not block.
#ifndef SOCKETSVC_SERVICE_SESSIONS_SESSION_H_
#define SOCKETSVC_SERVICE_SESSIONS_SESSION_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "service/net/transport.h"
#include "service/tls/tls_handshake.h"
#include "service/sessions/pending_call.h"
#include "service/sessions/poll_watch.h"
#include "service/sessions/stream_offsets.h"
#include "service/sessions/pipe_call.h"
#include "socketsvc/v1/sockets.pb.h"

namespace socketsvc {

struct SessionLimits {
  // Sessions the table holds at most, over all callers.
  size_t max_sessions = 100000;
  // Sessions one principal holds at most; 0: only max_sessions applies.
  size_t max_sessions_per_principal = 0;
  // Calls of one direction that may wait behind the running one.
  size_t max_queued_calls = 16;
  // A session through which no byte moved for this long is reset and
  // released (Tibbo connectiontout); zero: never. SetOptions changes it per
  // session.
  absl::Duration idle_timeout = absl::Hours(1);
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  using Strand = boost::asio::strand<boost::asio::any_io_executor>;

  // `peer_name` is the host the caller connected to (the default TLS name).
  Session(std::string handle, std::string owner, std::string peer_name,
          std::unique_ptr<Transport> transport, SessionLimits limits);
  ~Session();

  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const std::string& handle() const { return handle_; }
  const std::string& owner() const { return owner_; }
  const std::string& peer_name() const { return peer_name_; }
  // Both ends, as connected (fixed at creation).
  const std::string& local_address() const { return local_address_; }
  uint16_t local_port() const { return local_port_; }
  const std::string& remote_address() const { return remote_address_; }
  uint16_t remote_port() const { return remote_port_; }

  // Runs once, on the strand, when the session is released (Close or
  // Shutdown), so that its table can forget it.
  void SetReleaseHook(absl::AnyInvocable<void()> hook);

  // Queue a call; its completion runs exactly once on the strand.
  void StartReceive(std::shared_ptr<ReceiveCall> call);
  void StartSend(std::shared_ptr<SendCall> call);
  void StartClose(std::shared_ptr<CloseCall> call);
  // Upgrades the idle plain connection to TLS in place (session_tls.cc).
  void StartTlsUpgrade(std::shared_ptr<TlsUpgradeCall> call);
  void GetInfo(absl::AnyInvocable<void(absl::StatusOr<v1::SocketInfo>)> done);

  // Finishes `call` with CANCELLED if it is still pending. Bytes a Receive
  // had already read are kept for the next Receive.
  void Cancel(std::shared_ptr<PendingCall> call);

  // Aborts the connection and fails every pending call (socketd stopping).
  void Shutdown();

  // Pipe (session_pipe.cc). AttachPipe gives `pipe` the socket's Receive
  // and Send turns until it ends: calls queued before it run first, later
  // ones wait behind it. One pipe at a time; a refused attach ends it at
  // once (FAILED_PRECONDITION/HANDLE_BUSY for a second pipe). The pipe
  // reads its first chunk as soon as its Receive turn comes.
  void AttachPipe(std::shared_ptr<PipeCall> pipe);
  // The stream took the last chunk: read the next one.
  void PipeReadNext(std::shared_ptr<PipeCall> pipe);
  // Writes all of `data` (valid until `written` or `ended`); non-empty.
  void PipeWrite(std::shared_ptr<PipeCall> pipe, absl::string_view data);
  // The stream's writes are over (the client half-closed): the pipe gives
  // up its Send turn, after shutdown(WR) if it was made half_close_on_end.
  void PipeWritesDone(std::shared_ptr<PipeCall> pipe);
  // Ends the pipe with `status` (stream cancelled, bad request); the socket
  // stays as it is and no byte the pipe did not hand out is lost.
  void DetachPipe(std::shared_ptr<PipeCall> pipe, absl::Status status);

  // socketd stopping gracefully: new calls fail UNAVAILABLE/SHUTTING_DOWN,
  // waiting Receives are answered now (with the bytes they hold, else
  // SHUTTING_DOWN), running Sends may finish; then a COMPLETE close (FIN,
  // drain until the peer's EOF) releases the session. Whatever is still
  // open at `deadline` is aborted (RST). Idempotent.
  void Drain(absl::Time deadline);

  // Arms the idle timeout (SessionLimits::idle_timeout); the table calls it
  // once the session is registered (session_idle.cc).
  void StartIdleTimeout();

  // SetOptions / GetOptions (session_idle.cc): applies the fields set, then
  // answers every option as read back from the socket.
  void SetOptions(v1::SocketOptions options,
                  absl::AnyInvocable<void(absl::StatusOr<v1::SocketOptions>)> done);
  void GetOptions(absl::AnyInvocable<void(absl::StatusOr<v1::SocketOptions>)> done);

  // Poll (session_poll.cc): reports the socket's PollEvent bits to `waiter`
  // from the strand, without taking a byte; with `watch` the waiter is also
  // woken when bytes socketd holds, a finished handshake or the release
  // change them.
  void CheckPoll(std::shared_ptr<PollWaiter> waiter, size_t target, bool watch);

 private:
  // --- strand only, session.cc ---
  v1::SocketState CurrentState() const;
  void FillInfo(v1::SocketInfo& info) const;
  void ArmDeadline(const std::shared_ptr<PendingCall>& call);
  void OnDeadline(const std::shared_ptr<PendingCall>& call);
  void CancelOnStrand(const std::shared_ptr<PendingCall>& call);
  void FailAllReceives(const absl::Status& status);
  void FailAllSends(const absl::Status& status);
  void Release();
  void NoteActivity() { last_activity_ = absl::Now(); }
  absl::Status ReleasedStatus() const;

  // --- strand only, session_io.cc ---
  void EnqueueReceive(std::shared_ptr<ReceiveCall> call);
  void EnqueueSend(std::shared_ptr<SendCall> call);
  void PumpReceives();
  // Returns false if the head call must wait for readability.
  bool ServiceReceive(ReceiveCall& call);
  // --- strand only, session_offsets.cc: offsets and peek ---
  // The head Receive starts: checks its offset (a retry gets the retained
  // chunk back in front of the unread bytes) or drops the retention.
  absl::Status BeginReceive(ReceiveCall& call);
  bool ServicePeek(ReceiveCall& call);
  // Finishes a Receive with its result: sets the offset, retains the answer
  // of a Receive with an offset.
  void AnswerReceive(ReceiveCall& call);
  // The head Send starts: skips the duplicate prefix of its offset. False if
  // that finished the call.
  bool BeginSend(SendCall& call);
  void AnswerSend(SendCall& call, bool timed_out);
  // Bytes of the stream answered by Receives so far (read, not unclaimed,
  // not held by the head Receive).
  uint64_t DeliveredPosition() const;
  void PumpSends();
  bool ServiceSend(SendCall& call);
  void WaitReadable();
  void WaitWritable();
  void OnReadable();
  void OnWritable();
  void MarkBroken(const absl::Status& status);

  // --- strand only, session_pipe.cc ---
  void AttachPipeOnStrand(std::shared_ptr<PipeCall> pipe);
  // PumpReceives/PumpSends hand their turn to these while the pipe holds it.
  void PumpPipeRead();
  void PumpPipeWrite();
  // A Close, the idle timeout or the shutdown failed one of the pipe's turns.
  void OnPipeTurnTaken(PipeCall* pipe, bool receive_turn, absl::Status status);
  // Detaches the pipe (turns leave the queues) and runs its `ended`.
  void EndPipe(const absl::Status& status);
  bool IsPipeTurn(const std::shared_ptr<ReceiveCall>& call) const {
    return pipe_ && call == pipe_->receive_turn_;
  }
  bool IsPipeTurn(const std::shared_ptr<SendCall>& call) const {
    return pipe_ && call == pipe_->send_turn_;
  }
  template <typename Queue, typename Turn>
  static bool HasTurn(const Queue& queue, const Turn& turn) {
    return turn && !queue.empty() && queue.front() == turn;
  }

  // --- strand only, session_tls.cc ---
  void UpgradeOnStrand(std::shared_ptr<TlsUpgradeCall> call);
  absl::Status UpgradeBlocker() const;
  void AbandonUpgrade();

  // --- strand only, session_idle.cc ---
  // Arms for last_activity_ + idle_timeout_, or for `left` from now.
  void ArmIdleTimer();
  void ArmIdleTimerIn(absl::Duration left);
  void OnIdleTimer();
  absl::StatusOr<v1::SocketOptions> ReadOptions() const;

  // --- strand only, session_poll.cc ---
  // The PollEvent bits that hold now; `fd` the descriptor the kernel can
  // watch for the rest, or -1.
  uint32_t PollEventsOnStrand(int& fd);

  // --- strand only, session_close.cc ---
  void AbortOnStrand(const absl::Status& pending_status);
  void DrainOnStrand(absl::Time deadline);
  // Starts the COMPLETE close of a draining (stopping) session once no Send
  // runs any more.
  void MaybeBeginStopClose();
  void CloseOnStrand(std::shared_ptr<CloseCall> call);
  void ClosePartial(CloseCall& call);
  void DiscardQueued();
  void BeginDrain(std::shared_ptr<CloseCall> call);
  void PumpDrain();
  void FinishDrain(bool timed_out);
  void ReleaseNow(CloseCall& call);

  const std::string handle_;
  const std::string owner_;
  const std::string peer_name_;
  const SessionLimits limits_;
  const absl::Time created_;
  Strand strand_;
  std::unique_ptr<Transport> transport_;

  // Addresses, captured at creation (a reset socket no longer reports them)
  // and never changed: readable from any thread.
  std::string local_address_;
  uint16_t local_port_ = 0;
  std::string remote_address_;
  uint16_t remote_port_ = 0;

  // Everything below is touched on strand_ only.
  std::deque<std::shared_ptr<ReceiveCall>> receives_;
  std::deque<std::shared_ptr<SendCall>> sends_;
  std::shared_ptr<CloseCall> draining_close_;
  // A StartTls in progress, and the handshake driving it.
  std::shared_ptr<TlsUpgradeCall> upgrading_;
  std::shared_ptr<TlsHandshake> handshake_;
  // The attached Pipe stream, if any; its turns are in receives_ and sends_.
  std::shared_ptr<PipeCall> pipe_;
  // Bytes read by a cancelled Receive, returned first by the next one.
  std::string unclaimed_;
  // Exactly-once offsets: the retained chunk of the last Receive with an
  // offset (bytes_sent_ is the send offset).
  StreamOffsets offsets_;
  bool read_wait_armed_ = false;
  bool write_wait_armed_ = false;
  // What the last blocked read or write waits for (TLS can cross them).
  bool receive_waits_writable_ = false;
  bool send_waits_readable_ = false;
  bool send_shut_ = false;
  bool peer_eof_ = false;
  bool released_ = false;
  // The error that broke the connection; later calls see it again.
  absl::Status broken_;
  uint64_t bytes_sent_ = 0;
  uint64_t bytes_received_ = 0;
  absl::Time last_activity_;
  absl::AnyInvocable<void()> release_hook_;
  // Idle timeout: one timer, armed for last_activity_ + idle_timeout_ and
  // re-armed for the remainder when it fires early; activity itself only
  // stamps last_activity_. Zero: no timeout. A fire whose generation is not
  // the current one was superseded by a re-arm.
  absl::Duration idle_timeout_;
  boost::asio::steady_timer idle_timer_;
  uint64_t idle_generation_ = 0;
  // Set by Drain (socketd stopping); stop_timer_ aborts at its deadline.
  bool stopping_ = false;
  std::unique_ptr<boost::asio::steady_timer> stop_timer_;
  // Polls waiting on this socket (CheckPoll with watch), woken on changes
  // the kernel does not show.
  PollWatchers poll_watchers_;
};

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_SESSIONS_SESSION_H_
