// A Pipe stream attached to a Session (the Pipe RPC, session_pipe.cc).
//
// The session reads the socket into the stream's response buffer one chunk at
// a time and writes the stream's request data, each only when the stream
// asks: the RPC layer asks for the next chunk once gRPC took the previous
// response, and hands over the next request once the previous data is in the
// kernel. So socketd holds at most one chunk and one request per pipe; TCP
// and gRPC flow control carry the backpressure the rest of the way.
//
// While attached, the pipe holds the socket's Receive and Send turns (see
// Session::AttachPipe). Created by the RPC layer; every handler runs on the
// session's strand; `ended` runs exactly once and last: after it the session
// never touches the call's buffer, data or handlers again. Not thread-safe:
// after creation, fields are touched on the session's strand only.
#ifndef SOCKETSVC_SERVICE_SESSIONS_PIPE_CALL_H_
#define SOCKETSVC_SERVICE_SESSIONS_PIPE_CALL_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "service/sessions/pending_call.h"

namespace socketsvc {

class PipeCall {
 public:
  struct Handlers {
    // The buffer holds bytes read from the socket (at least one), or `eof`
    // is set (the peer's stream ended; the buffer may hold its last bytes).
    // `bytes_written`: bytes of this pipe's writes in the kernel so far.
    // Returning false refuses the bytes (the stream is going away): the
    // session keeps them for the socket's next reader.
    absl::AnyInvocable<bool(bool eof, uint64_t bytes_written)> read;
    // Every byte of the last PipeWrite is in the kernel's send buffer.
    absl::AnyInvocable<void(uint64_t bytes_written)> written;
    // The pipe is detached, for good: OK after the EOF chunk was taken, or
    // why it ended (socket error, Close, idle timeout, socketd stopping,
    // DetachPipe's status, a refused attach).
    absl::AnyInvocable<void(absl::Status)> ended;
  };

  // `buffer` (the response's data) must stay valid until `ended` runs; each
  // chunk replaces its contents and is at most `max_chunk` bytes.
  PipeCall(std::string* buffer, size_t max_chunk, bool half_close_on_end,
           Handlers handlers)
      : buffer_(buffer),
        max_chunk_(max_chunk),
        half_close_on_end_(half_close_on_end),
        handlers_(std::move(handlers)) {}

  PipeCall(const PipeCall&) = delete;
  PipeCall& operator=(const PipeCall&) = delete;

 private:
  friend class Session;

  std::string* const buffer_;
  const size_t max_chunk_;
  const bool half_close_on_end_;
  Handlers handlers_;
  // Its places in the session's Receive and Send queues. Null before attach;
  // the send turn also once the stream's writes are over.
  std::shared_ptr<ReceiveCall> receive_turn_;
  std::shared_ptr<SendCall> send_turn_;
  bool ended_ = false;
  // The stream can take the next chunk (a read may run).
  bool read_wanted_ = true;
  // The request data being written (valid until `written` or `ended`).
  bool write_pending_ = false;
  absl::string_view write_data_;
  size_t write_offset_ = 0;
  // The client half-closed: give up the Send turn (after shutdown(WR) if
  // half_close_on_end_) once the turn comes.
  bool writes_done_ = false;
  uint64_t bytes_written_ = 0;
};

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_SESSIONS_PIPE_CALL_H_
