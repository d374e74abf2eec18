// A Pipe stream of the C++ SDK: one socket streamed both ways over one gRPC
// call (sockets.proto, rpc Pipe), for bulk transfers without one RPC per
// chunk. Opened with Client::OpenPipe.
//
//   auto pipe = client.OpenPipe(handle, PipeOptions{/*half_close_on_end=*/true});
//   if (!pipe.ok()) return pipe.status();
//   std::thread writer([&] {
//     for (std::string& block : blocks) if (!(*pipe)->Write(std::move(block))) break;
//     (*pipe)->WritesDone();  // FIN to the peer (half_close_on_end)
//   });
//   while (std::optional<PipeChunk> chunk = (*pipe)->Read()) {
//     Consume(chunk->data);
//     if (chunk->eof) break;  // the peer closed its sending side
//   }
//   writer.join();
//   absl::Status status = (*pipe)->Finish();  // OK after EOF, else why
//
// Backpressure: Write blocks while socketd has not yet written the previous
// data to the socket (and gRPC's flow control is full); socketd reads from
// the socket only as fast as Read takes the chunks.
//
// Errors (unknown handle, a second Pipe on the socket, socket reset) end the
// stream: Read returns nullopt, Write returns false, and Finish returns the
// status with its SocketError detail (GetSocketError, common/socket_error.h).
//
// Thread-safety: one thread may Write/WritesDone while another Reads; Cancel
// may be called from any thread. Finish after the last Read and Write.
#ifndef SOCKETSVC_CLIENT_PIPE_STREAM_H_
#define SOCKETSVC_CLIENT_PIPE_STREAM_H_

#include <grpcpp/client_context.h>
#include <grpcpp/support/sync_stream.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "socketsvc/v1/sockets.pb.h"

namespace socketsvc {

class Client;

// The first request's options (sockets.proto PipeRequest).
struct PipeOptions {
  // WritesDone() also shuts the socket's sending side (FIN, like
  // Close(PARTIAL)); reading goes on until the peer's EOF. Without it the
  // socket stays open for writing (unary Send works again).
  bool half_close_on_end = false;
  // Most bytes per chunk; 0: 64 KiB; socketd lowers larger values to its
  // --max_receive_bytes.
  uint32_t max_chunk_bytes = 0;
};

// Bytes read from the socket, in order.
struct PipeChunk {
  std::string data;
  // The peer closed its sending side; this is the last chunk.
  bool eof = false;
  // Bytes of this stream's writes socketd had written to the socket.
  uint64_t bytes_written = 0;
};

class PipeStream {
 public:
  // Cancels the stream if it is still running and waits for its end.
  ~PipeStream();

  PipeStream(const PipeStream&) = delete;
  PipeStream& operator=(const PipeStream&) = delete;

  // Sends `data` to be written to the socket, in order (an empty string
  // writes nothing). Blocks while flow control holds it back. False once the
  // stream is over: Finish() says why.
  bool Write(std::string data);

  // No more writes: socketd gives the socket's sending side back (or shuts
  // it, with half_close_on_end) and keeps reading until the peer's EOF.
  bool WritesDone();

  // The next chunk; nullopt once the stream is over (after the EOF chunk, an
  // error or Cancel: Finish() says which).
  std::optional<PipeChunk> Read();

  // The stream's status: OK after the EOF chunk, else the error (a cancelled
  // stream: CANCELLED/SOCKET_ERROR_CANCELLED). Chunks not read yet are
  // discarded. Blocks until socketd ends the stream: after the peer's EOF, an
  // error, or Cancel(). Idempotent.
  absl::Status Finish();

  // Ends the stream at once (any thread). The socket stays open and usable
  // by unary calls; bytes socketd had not yet put into a chunk stay there
  // for the next Receive.
  void Cancel();

  // The socket's handle.
  const std::string& handle() const { return handle_; }

 private:
  friend class Client;
  using Stream = grpc::ClientReaderWriterInterface<v1::PipeRequest, v1::PipeResponse>;

  explicit PipeStream(std::string handle) : handle_(std::move(handle)) {}

  const std::string handle_;
  grpc::ClientContext context_;
  std::unique_ptr<Stream> stream_;
  // Unregisters context_ from the call's CancelToken (none: empty).
  absl::AnyInvocable<void()> unregister_;
  std::optional<absl::Status> status_;
};

}  // namespace socketsvc

#endif  // SOCKETSVC_CLIENT_PIPE_STREAM_H_
