// Pipe throughput through the generated stub's ClientReaderWriter (not an
// SDK wrapper): one thread writes, this one reads, as a bulk-transfer client
// would.
#include <grpcpp/client_context.h>

#include <atomic>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "bench/measure.h"
#include "common/grpc_status.h"
#include "common/status_macros.h"

namespace socketsvc::bench {

absl::StatusOr<double> PipeThroughput(v1::SocketService::Stub& stub,
                                      uint16_t peer_port, size_t chunk,
                                      absl::Duration duration) {
  ASSIGN_OR_RETURN(const std::string handle, ConnectSession(stub, peer_port));
  absl::Cleanup discard = [&] { DiscardSession(stub, handle); };
  grpc::ClientContext context;
  // A stalled stream fails the run instead of hanging the benchmark.
  context.set_deadline(std::chrono::system_clock::now() +
                       absl::ToChronoNanoseconds(duration) +
                       std::chrono::seconds(20));
  std::unique_ptr<grpc::ClientReaderWriter<v1::PipeRequest, v1::PipeResponse>>
      stream = stub.Pipe(&context);
  std::atomic<uint64_t> sent{0};
  const Clock::time_point start = Clock::now();
  const Clock::time_point end = start + absl::ToChronoNanoseconds(duration);
  std::thread writer([&] {
    v1::PipeRequest request;
    request.set_handle(handle);
    // The end of our writes becomes the peer's EOF, which the echo peer
    // answers by closing: socketd then ends the stream with `eof`.
    request.set_half_close_on_end(true);
    request.set_max_chunk_bytes(static_cast<uint32_t>(chunk));
    request.set_data(Payload(chunk));
    while (Clock::now() < end) {
      if (!stream->Write(request)) break;  // The stream ended: Finish says why.
      sent += chunk;
      if (!request.handle().empty()) {
        request.clear_handle();
        request.clear_half_close_on_end();
        request.clear_max_chunk_bytes();
      }
    }
    stream->WritesDone();
  });
  v1::PipeResponse response;
  uint64_t received = 0;
  bool eof = false;
  Clock::time_point last = start;
  while (stream->Read(&response)) {
    if (!response.data().empty()) {
      received += response.data().size();
      last = Clock::now();
    }
    eof = eof || response.eof();
  }
  writer.join();
  const grpc::Status status = stream->Finish();
  if (!status.ok()) {
    const absl::Status s = FromGrpcStatus(status);
    return absl::Status(s.code(), absl::StrCat("Pipe: ", s.message()));
  }
  if (!eof || received != sent || received == 0) {
    return absl::DataLossError(absl::StrCat("Pipe: sent ", sent.load(), ", got back ",
                                            received, eof ? "" : ", no eof"));
  }
  return MibPerSecond(received, last - start);
}

absl::StatusOr<Latency> PipeRoundTrip(v1::SocketService::Stub& stub,
                                      uint16_t peer_port, size_t size,
                                      absl::Duration duration) {
  ASSIGN_OR_RETURN(const std::string handle, ConnectSession(stub, peer_port));
  absl::Cleanup discard = [&] { DiscardSession(stub, handle); };
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       absl::ToChronoNanoseconds(duration) +
                       std::chrono::seconds(20));
  std::unique_ptr<grpc::ClientReaderWriter<v1::PipeRequest, v1::PipeResponse>>
      stream = stub.Pipe(&context);
  v1::PipeRequest request;
  request.set_handle(handle);
  request.set_half_close_on_end(true);
  request.set_data(Payload(size));
  v1::PipeResponse response;
  std::string echo;
  std::vector<int64_t> samples;
  bool broken = false;
  const Clock::time_point end = Clock::now() + absl::ToChronoNanoseconds(duration);
  for (Clock::time_point t0 = Clock::now(); t0 < end && !broken; t0 = Clock::now()) {
    if (!stream->Write(request)) break;
    echo.clear();
    while (echo.size() < size) {
      if (!stream->Read(&response) || response.eof()) {
        broken = true;
        break;
      }
      echo += response.data();
    }
    if (broken) break;
    samples.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(
                          Clock::now() - t0)
                          .count());
    if (echo != request.data()) return absl::DataLossError("Pipe echo returned other bytes");
    if (!request.handle().empty()) {
      request.clear_handle();
      request.clear_half_close_on_end();
    }
  }
  stream->WritesDone();
  while (stream->Read(&response)) {
  }
  const grpc::Status status = stream->Finish();
  if (!status.ok()) {
    const absl::Status s = FromGrpcStatus(status);
    return absl::Status(s.code(), absl::StrCat("Pipe: ", s.message()));
  }
  if (broken || samples.empty()) return absl::DataLossError("Pipe: the echo stopped");
  return Summarize(samples);
}

}  // namespace socketsvc::bench
