#include "client/pipe_stream.h"

#include <utility>

#include "common/grpc_status.h"
#include "common/socket_error.h"

namespace socketsvc {

PipeStream::~PipeStream() {
  if (!status_.has_value() && stream_ != nullptr) {
    context_.TryCancel();
    (void)Finish();
  }
  if (unregister_) unregister_();
}

bool PipeStream::Write(std::string data) {
  v1::PipeRequest request;
  request.set_data(std::move(data));
  return stream_->Write(request);
}

bool PipeStream::WritesDone() { return stream_->WritesDone(); }

std::optional<PipeChunk> PipeStream::Read() {
  v1::PipeResponse response;
  if (!stream_->Read(&response)) return std::nullopt;
  PipeChunk chunk;
  chunk.data = std::move(*response.mutable_data());
  chunk.eof = response.eof();
  chunk.bytes_written = response.bytes_written();
  return chunk;
}

absl::Status PipeStream::Finish() {
  if (status_.has_value()) return *status_;
  // gRPC's Finish waits for the status, which follows every chunk socketd
  // sent: take them off the stream first.
  v1::PipeResponse ignored;
  while (stream_->Read(&ignored)) {
  }
  absl::Status status = FromGrpcStatus(stream_->Finish());
  // A stream cancelled here ends without socketd's detail; add it, as
  // Client does for unary calls.
  if (status.code() == absl::StatusCode::kCancelled &&
      !GetErrorDetail(status).has_value()) {
    status = SocketErrorStatus(absl::StatusCode::kCancelled,
                               v1::SOCKET_ERROR_CANCELLED, status.message());
  }
  status_ = status;
  return status;
}

void PipeStream::Cancel() { context_.TryCancel(); }

}  // namespace socketsvc
