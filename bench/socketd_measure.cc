// socketd's unary rows and the bare gRPC baseline they are compared with.
// Both use the generated stubs' sync unary calls, a new ClientContext with a
// 10 s deadline per call: the same client cost on both sides of a ratio.
#include <grpcpp/client_context.h>

#include <atomic>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "bench/measure.h"
#include "common/grpc_status.h"
#include "common/status_macros.h"

namespace socketsvc::bench {
namespace {

constexpr auto kCallDeadline = std::chrono::seconds(10);

void SetDeadline(grpc::ClientContext& context) {
  context.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
}

absl::Status CallStatus(const grpc::Status& status, absl::string_view what) {
  if (status.ok()) return absl::OkStatus();
  const absl::Status s = FromGrpcStatus(status);
  return absl::Status(s.code(), absl::StrCat(what, ": ", s.message()));
}

int64_t Nanos(Clock::duration d) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
}

}  // namespace

absl::StatusOr<std::string> ConnectSession(v1::SocketService::Stub& stub,
                                           uint16_t peer_port) {
  grpc::ClientContext context;
  SetDeadline(context);
  v1::ConnectRequest request;
  request.set_host("127.0.0.1");
  request.set_port(peer_port);
  request.set_timeout_ms(5000);
  v1::ConnectResponse response;
  RETURN_IF_ERROR(CallStatus(stub.Connect(&context, request, &response), "Connect"));
  return response.handle();
}

void DiscardSession(v1::SocketService::Stub& stub, const std::string& handle) {
  grpc::ClientContext context;
  SetDeadline(context);
  v1::CloseRequest request;
  request.set_handle(handle);
  request.set_mode(v1::CLOSE_MODE_DISCARD);
  v1::CloseResponse response;
  (void)stub.Close(&context, request, &response);
}

absl::StatusOr<Latency> GrpcEchoRoundTrip(bench_echo::v1::Echo::Stub& stub,
                                          size_t size, absl::Duration duration,
                                          EchoMethod method) {
  bench_echo::v1::EchoMessage request;
  request.set_data(Payload(size));
  bench_echo::v1::EchoMessage response;
  std::vector<int64_t> samples;
  const Clock::time_point end = Clock::now() + absl::ToChronoNanoseconds(duration);
  for (Clock::time_point t0 = Clock::now(); t0 < end; t0 = Clock::now()) {
    grpc::ClientContext context;
    SetDeadline(context);
    grpc::Status status;
    switch (method) {
      case EchoMethod::kInline:
        status = stub.Echo(&context, request, &response);
        break;
      case EchoMethod::kViaThread:
        status = stub.EchoViaThread(&context, request, &response);
        break;
      case EchoMethod::kViaThreadOwnReactor:
        status = stub.EchoViaThreadOwnReactor(&context, request, &response);
        break;
    }
    RETURN_IF_ERROR(CallStatus(status, "Echo"));
    samples.push_back(Nanos(Clock::now() - t0));
    if (response.data() != request.data()) {
      return absl::DataLossError("gRPC echo returned other bytes");
    }
  }
  return Summarize(samples);
}

absl::StatusOr<Latency> SendReceiveRoundTrip(v1::SocketService::Stub& stub,
                                             uint16_t peer_port, size_t size,
                                             absl::Duration duration) {
  ASSIGN_OR_RETURN(const std::string handle, ConnectSession(stub, peer_port));
  absl::Cleanup discard = [&] { DiscardSession(stub, handle); };
  return SendReceiveLoop(stub, handle, size, duration);
}

absl::StatusOr<Latency> SendReceiveLoop(v1::SocketService::Stub& stub,
                                        const std::string& handle, size_t size,
                                        absl::Duration duration) {
  v1::SendRequest send;
  send.set_handle(handle);
  send.set_data(Payload(size));
  send.set_timeout_ms(5000);
  v1::ReceiveRequest receive;
  receive.set_handle(handle);
  receive.set_max_bytes(static_cast<uint32_t>(size));
  receive.set_min_bytes(static_cast<uint32_t>(size));
  receive.set_timeout_ms(5000);
  v1::SendResponse sent;
  v1::ReceiveResponse received;
  std::vector<int64_t> samples;
  const Clock::time_point end = Clock::now() + absl::ToChronoNanoseconds(duration);
  for (Clock::time_point t0 = Clock::now(); t0 < end; t0 = Clock::now()) {
    {
      grpc::ClientContext context;
      SetDeadline(context);
      RETURN_IF_ERROR(CallStatus(stub.Send(&context, send, &sent), "Send"));
    }
    {
      grpc::ClientContext context;
      SetDeadline(context);
      RETURN_IF_ERROR(
          CallStatus(stub.Receive(&context, receive, &received), "Receive"));
    }
    samples.push_back(Nanos(Clock::now() - t0));
    if (sent.bytes_sent() != size || received.data() != send.data()) {
      return absl::DataLossError(absl::StrCat(
          "Send+Receive: sent ", sent.bytes_sent(), " of ", size, ", got back ",
          received.data().size(), received.timed_out() ? " (timed out)" : ""));
    }
  }
  return Summarize(samples);
}

absl::StatusOr<Latency> GetInfoRoundTrip(v1::SocketService::Stub& stub,
                                         uint16_t peer_port, absl::Duration duration) {
  ASSIGN_OR_RETURN(const std::string handle, ConnectSession(stub, peer_port));
  absl::Cleanup discard = [&] { DiscardSession(stub, handle); };
  v1::GetInfoRequest request;
  request.set_handle(handle);
  v1::SocketInfo info;
  std::vector<int64_t> samples;
  const Clock::time_point end = Clock::now() + absl::ToChronoNanoseconds(duration);
  for (Clock::time_point t0 = Clock::now(); t0 < end; t0 = Clock::now()) {
    grpc::ClientContext context;
    SetDeadline(context);
    RETURN_IF_ERROR(CallStatus(stub.GetInfo(&context, request, &info), "GetInfo"));
    samples.push_back(Nanos(Clock::now() - t0));
  }
  return Summarize(samples);
}

absl::StatusOr<double> UnaryThroughput(v1::SocketService::Stub& stub,
                                       uint16_t peer_port, size_t chunk,
                                       absl::Duration duration) {
  ASSIGN_OR_RETURN(const std::string handle, ConnectSession(stub, peer_port));
  absl::Cleanup discard = [&] { DiscardSession(stub, handle); };
  std::atomic<uint64_t> sent_bytes{0};
  std::atomic<bool> sender_done{false};
  absl::Mutex mu;
  absl::Status sender_status;  // Guarded by mu.
  const Clock::time_point start = Clock::now();
  const Clock::time_point end = start + absl::ToChronoNanoseconds(duration);
  std::thread sender([&] {
    v1::SendRequest request;
    request.set_handle(handle);
    request.set_data(Payload(chunk));
    request.set_timeout_ms(10000);
    v1::SendResponse response;
    while (Clock::now() < end) {
      grpc::ClientContext context;
      SetDeadline(context);
      absl::Status status = CallStatus(stub.Send(&context, request, &response), "Send");
      if (status.ok() && response.bytes_sent() != chunk) {
        status = absl::DataLossError("Send wrote part of its data");
      }
      if (!status.ok()) {
        absl::MutexLock lock(&mu);
        sender_status = status;
        break;
      }
      sent_bytes += chunk;
    }
    sender_done = true;
  });
  v1::ReceiveRequest request;
  request.set_handle(handle);
  request.set_max_bytes(static_cast<uint32_t>(chunk));
  request.set_min_bytes(1);
  // Short, so that the receiver notices the end of the sending soon; a
  // timed-out Receive costs nothing in the measurement (`last` is the time
  // of the last byte).
  request.set_timeout_ms(100);
  v1::ReceiveResponse response;
  uint64_t received = 0;
  Clock::time_point last = start;
  absl::Status status;
  while (!(sender_done && received >= sent_bytes)) {
    {
      absl::MutexLock lock(&mu);
      if (!sender_status.ok()) break;
    }
    if (Clock::now() - last > std::chrono::seconds(10)) {
      status = absl::DeadlineExceededError("no echo for 10 s");
      break;
    }
    grpc::ClientContext context;
    SetDeadline(context);
    status = CallStatus(stub.Receive(&context, request, &response), "Receive");
    if (!status.ok()) break;
    if (!response.data().empty()) {
      received += response.data().size();
      last = Clock::now();
    }
    if (response.eof()) {
      status = absl::DataLossError("the echo peer closed during the run");
      break;
    }
  }
  sender.join();
  {
    absl::MutexLock lock(&mu);
    RETURN_IF_ERROR(sender_status);
  }
  RETURN_IF_ERROR(status);
  if (received != sent_bytes || received == 0) {
    return absl::DataLossError(absl::StrCat("unary echo: sent ", sent_bytes.load(),
                                            ", got back ", received));
  }
  return MibPerSecond(received, last - start);
}

absl::StatusOr<double> ConnectCloseRate(v1::SocketService::Stub& stub,
                                        uint16_t peer_port,
                                        absl::Duration duration) {
  int64_t count = 0;
  const Clock::time_point start = Clock::now();
  const Clock::time_point end = start + absl::ToChronoNanoseconds(duration);
  while (Clock::now() < end) {
    ASSIGN_OR_RETURN(const std::string handle, ConnectSession(stub, peer_port));
    grpc::ClientContext context;
    SetDeadline(context);
    v1::CloseRequest request;
    request.set_handle(handle);
    request.set_mode(v1::CLOSE_MODE_DISCARD);
    v1::CloseResponse response;
    RETURN_IF_ERROR(CallStatus(stub.Close(&context, request, &response), "Close"));
    ++count;
  }
  return static_cast<double>(count) /
         std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace socketsvc::bench
