// One run of each benchmark row: what it measures, on which connection.
//
// Every function opens its own connection or socketd session, runs for about
// `duration`, closes what it opened and returns one number for that run (the
// caller takes medians over runs). Throughput is echo throughput: bytes sent
// through the echo peer and received back, per second of the run (each byte
// crosses the loopback twice). Any failure (an RPC error, a short echo) is
// returned as the run's status: a benchmark that quietly measured the wrong
// thing is worse than none.
#ifndef SOCKETSVC_BENCH_MEASURE_H_
#define SOCKETSVC_BENCH_MEASURE_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bench_echo/v1/echo.grpc.pb.h"
#include "socketsvc/v1/sockets.grpc.pb.h"

namespace socketsvc::bench {

using Clock = std::chrono::steady_clock;

// Round-trip times of one run, in microseconds.
struct Latency {
  double p50_us = 0;
  double p99_us = 0;
  int64_t count = 0;
};

// p50/p99 of `samples_ns` (reordered in place).
Latency Summarize(std::vector<int64_t>& samples_ns);
double Median(std::vector<double> values);
// Bytes (both ways counted once) per second, in MiB/s.
double MibPerSecond(uint64_t bytes, Clock::duration elapsed);
// Deterministic filler, so that an echo that returns wrong bytes shows.
std::string Payload(size_t size);

// --- Raw TCP to `port` on 127.0.0.1 (the echo peer directly, or socat in
// front of it): tcp_measure.cc. Blocking sockets, like a plain client.
absl::StatusOr<double> TcpEchoThroughput(uint16_t port, size_t chunk,
                                         absl::Duration duration);
absl::StatusOr<Latency> TcpRoundTrip(uint16_t port, size_t size,
                                     absl::Duration duration);
// connect() + close() per second.
absl::StatusOr<double> TcpConnectRate(uint16_t port, absl::Duration duration);

// --- The bare gRPC baseline (socketd_measure.cc, beside the rows it is
// compared with).
enum class EchoMethod {
  kInline,              // Echo: answered in the handler.
  kViaThread,           // EchoViaThread: answered from an Asio thread.
  kViaThreadOwnReactor  // ... with a reactor of its own, like socketd's.
};
absl::StatusOr<Latency> GrpcEchoRoundTrip(bench_echo::v1::Echo::Stub& stub,
                                          size_t size, absl::Duration duration,
                                          EchoMethod method = EchoMethod::kInline);

// --- socketd, through its generated stub (sync unary, like the baseline),
// against the echo peer on `peer_port`: socketd_measure.cc.
// Send(size) then Receive(min = max = size), one round trip per iteration,
// on a new session.
absl::StatusOr<Latency> SendReceiveRoundTrip(v1::SocketService::Stub& stub,
                                             uint16_t peer_port, size_t size,
                                             absl::Duration duration);
// The same on an existing session `handle`.
absl::StatusOr<Latency> SendReceiveLoop(v1::SocketService::Stub& stub,
                                        const std::string& handle, size_t size,
                                        absl::Duration duration);
// GetInfo on a session in a loop: one socketd RPC through the session's
// strand with no socket I/O, to set against EchoViaThread.
absl::StatusOr<Latency> GetInfoRoundTrip(v1::SocketService::Stub& stub,
                                         uint16_t peer_port, absl::Duration duration);
// One thread Sends `chunk`-sized requests, another Receives (max_bytes =
// chunk) at the same time: what a unary client gets from a full-duplex socket.
absl::StatusOr<double> UnaryThroughput(v1::SocketService::Stub& stub,
                                       uint16_t peer_port, size_t chunk,
                                       absl::Duration duration);
// Connect + Close(DISCARD) per second (DISCARD is plain close(): no drain,
// no RST, like the direct baseline).
absl::StatusOr<double> ConnectCloseRate(v1::SocketService::Stub& stub,
                                        uint16_t peer_port,
                                        absl::Duration duration);

// --- The Pipe stream: pipe_measure.cc. One thread writes `chunk`-sized
// requests, another reads the responses; half_close_on_end carries the end
// of the stream to the peer. Fails UNIMPLEMENTED while socketd has no Pipe.
absl::StatusOr<double> PipeThroughput(v1::SocketService::Stub& stub,
                                      uint16_t peer_port, size_t chunk,
                                      absl::Duration duration);
// Round trips over one Pipe stream: write `size` bytes, read until they are
// back; what a request/response protocol gets from a stream instead of a
// Send and a Receive per exchange.
absl::StatusOr<Latency> PipeRoundTrip(v1::SocketService::Stub& stub,
                                      uint16_t peer_port, size_t size,
                                      absl::Duration duration);

// Connects a socketd session to the echo peer; DiscardSession closes it
// (DISCARD, errors ignored: the measurement is over).
absl::StatusOr<std::string> ConnectSession(v1::SocketService::Stub& stub,
                                           uint16_t peer_port);
void DiscardSession(v1::SocketService::Stub& stub, const std::string& handle);

}  // namespace socketsvc::bench

#endif  // SOCKETSVC_BENCH_MEASURE_H_
