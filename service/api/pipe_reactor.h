// The server side of one Pipe stream (sockets.proto, rpc Pipe).
//
// The first request names the socket; the reactor validates it, finds the
// caller's session and attaches a PipeCall (service/sessions/pipe_call.h) to
// it. From then on two loops run, each with one operation in flight:
//   socket → client: the session reads a chunk into response_, the reactor
//     writes it (StartWrite); only OnWriteDone asks for the next chunk.
//   client → socket: StartRead fills request_, the session writes its data;
//     only once every byte is in the kernel does the reactor read the next.
// So socketd holds at most one chunk and one request per stream, and gRPC's
// and TCP's flow control carry the backpressure. No thread waits anywhere.
//
// Every end after the attach goes through the session (Session::DetachPipe
// or the session's own end), which runs PipeCall's `ended` exactly once on
// its strand; only there does the reactor Finish, so the session never calls
// into a finished reactor. Thread-safe; deletes itself in OnDone.
#ifndef SOCKETSVC_SERVICE_API_PIPE_REACTOR_H_
#define SOCKETSVC_SERVICE_API_PIPE_REACTOR_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "service/sessions/session_table.h"
#include "socketsvc/v1/sockets.pb.h"

namespace socketsvc {

struct PipeLimits {
  // Chunk size when the first request's max_chunk_bytes is 0.
  uint32_t default_chunk_bytes = 64 * 1024;
  // Larger max_chunk_bytes are lowered to this (--max_receive_bytes).
  uint32_t max_chunk_bytes = 4 * 1024 * 1024 - 64 * 1024;
  // Larger request data fails RESOURCE_EXHAUSTED (--max_send_bytes).
  uint32_t max_data_bytes = 4 * 1024 * 1024;
};

class PipeReactor : public grpc::ServerBidiReactor<v1::PipeRequest, v1::PipeResponse> {
 public:
  // `context` is the RPC's; `table` must outlive the reactor; `principal`
  // is the caller's (the handler captures it: PrincipalOf works only there).
  PipeReactor(grpc::CallbackServerContext* context, SessionTable& table,
              std::string principal, PipeLimits limits);

  // Pipe streams gRPC is not done with yet (socketd's shutdown waits).
  static size_t Live() { return live_.load(std::memory_order_relaxed); }

  void OnReadDone(bool ok) override ABSL_LOCKS_EXCLUDED(mu_);
  void OnWriteDone(bool ok) override ABSL_LOCKS_EXCLUDED(mu_);
  void OnCancel() override ABSL_LOCKS_EXCLUDED(mu_);
  void OnDone() override;

 private:
  // The first request: validate, find the session, attach.
  void Begin(bool ok) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A later request: its data goes to the socket, then the next is read.
  void Continue() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Hands the data of request_ to the session, or reads the next request.
  void WriteOrReadNext() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Before the attach: finishes the stream at once.
  void FinishNow(const absl::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // After the attach: asks the session to end the pipe (then `ended`).
  void EndThroughSession(const absl::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // PipeCall handlers, on the session's strand.
  bool OnChunk(bool eof, uint64_t bytes_written) ABSL_LOCKS_EXCLUDED(mu_);
  void OnWritten() ABSL_LOCKS_EXCLUDED(mu_);
  void OnEnded(const absl::Status& status) ABSL_LOCKS_EXCLUDED(mu_);

  static inline std::atomic<size_t> live_{0};

  grpc::CallbackServerContext* const context_;
  SessionTable& table_;
  const std::string principal_;
  const PipeLimits limits_;

  absl::Mutex mu_;
  // gRPC reads into request_ (one StartRead at a time); the session writes
  // its data and is done with it before the next StartRead.
  v1::PipeRequest request_;
  // The session reads chunks straight into response_'s data; gRPC holds it
  // from StartWrite to OnWriteDone, the session only after that.
  v1::PipeResponse response_;
  // Set by Begin once attached; the first request's fields.
  std::shared_ptr<Session> session_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<PipeCall> pipe_ ABSL_GUARDED_BY(mu_);
  std::string handle_ ABSL_GUARDED_BY(mu_);
  bool half_close_on_end_ ABSL_GUARDED_BY(mu_) = false;
  uint32_t max_chunk_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  bool first_read_done_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  // An end was asked of the session (or it ended the pipe itself).
  bool ending_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_API_PIPE_REACTOR_H_
