// Exactly-once bytes through a network that loses answers: a retrying
// Client talks to socketd through a FaultProxy that drops responses and
// resets the HTTP/2 connection mid-call, while 64 MiB flow each way between
// the client and a real loopback peer. The peer checks every byte it gets
// against the stream the client sends, and the client every byte it gets
// against the stream the peer sends: no duplicate, no gap, nothing
// reordered. The faults are counted, so the test fails if none happened.
//
// FAULT_SEED=N repeats the proxy's schedule (the default is fixed).
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/faults/fault_proxy.h"
#include "tests/peers/peers.h"

namespace socketsvc::e2e {
namespace {

using peers::PeerConnection;

constexpr uint64_t kStreamBytes = 64 << 20;
constexpr size_t kChunk = 1 << 20;
constexpr uint64_t kUpSeed = 0x5eed0001;    // client → peer
constexpr uint64_t kDownSeed = 0x5eed0002;  // peer → client

// Byte `position` of stream `seed`: a hash of (seed, position / 8), so that
// any shifted, repeated or missing byte shows up as a mismatch.
void FillStream(uint64_t seed, uint64_t position, char* out, size_t n) {
  for (size_t i = 0; i < n;) {
    const uint64_t block = (position + i) / 8;
    uint64_t x = seed ^ (block * 0x9e3779b97f4a7c15ULL);
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    x ^= x >> 31;
    for (size_t b = (position + i) % 8; b < 8 && i < n; ++b, ++i) {
      out[i] = static_cast<char>(x >> (8 * b));
    }
  }
}

// The first index where `data` differs from stream `seed` at `position`, or
// npos.
size_t FirstMismatch(uint64_t seed, uint64_t position, const std::string& data) {
  std::string expected(data.size(), '\0');
  FillStream(seed, position, expected.data(), expected.size());
  if (std::memcmp(expected.data(), data.data(), data.size()) == 0) return std::string::npos;
  for (size_t i = 0; i < data.size(); ++i) {
    if (expected[i] != data[i]) return i;
  }
  return std::string::npos;
}

// What the peer saw; written by its connection thread.
struct PeerReport {
  uint64_t received = 0;
  uint64_t sent = 0;
  int64_t first_mismatch = -1;  // Stream position, -1 if none.
  peers::Ending ending = peers::Ending::kOpen;
  bool done = false;
};

struct PeerState {
  peers::Guarded<PeerReport> report;
  std::atomic<bool> stop{false};
};

// Sinks kStreamBytes of the up stream (checking each byte) while it sources
// kStreamBytes of the down stream, then FIN; done when both are over.
void SinkAndSource(PeerConnection& conn, PeerState& state) {
  const int fd = conn.fd();
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  std::string in(256 << 10, '\0');
  std::string out;
  size_t out_done = 0;
  uint64_t sent = 0;
  uint64_t received = 0;
  bool sink_done = false;
  bool source_done = false;
  while (!(sink_done && source_done) && !state.stop) {
    pollfd p{fd, static_cast<short>((sink_done ? 0 : POLLIN) | (source_done ? 0 : POLLOUT)),
             0};
    if (poll(&p, 1, 100) <= 0) continue;
    if (!sink_done && (p.revents & (POLLIN | POLLHUP | POLLERR))) {
      const ssize_t n = recv(fd, in.data(), in.size(), 0);
      if (n > 0) {
        const std::string got(in.data(), static_cast<size_t>(n));
        const size_t bad = FirstMismatch(kUpSeed, received, got);
        const uint64_t at = received;
        received += static_cast<uint64_t>(n);
        state.report.Update([&](PeerReport& r) {
          r.received = received;
          if (bad != std::string::npos && r.first_mismatch < 0) {
            r.first_mismatch = static_cast<int64_t>(at + bad);
          }
        });
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        sink_done = true;
        state.report.Update([&](PeerReport& r) {
          r.ending = n == 0 ? peers::Ending::kEof : peers::Ending::kReset;
        });
      }
    }
    if (!source_done && (p.revents & POLLOUT)) {
      if (out_done == out.size()) {
        out.resize(std::min<uint64_t>(256 << 10, kStreamBytes - sent));
        FillStream(kDownSeed, sent, out.data(), out.size());
        out_done = 0;
      }
      const ssize_t n = send(fd, out.data() + out_done, out.size() - out_done,
                             MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        out_done += static_cast<size_t>(n);
        sent += static_cast<uint64_t>(n);
        state.report.Update([&](PeerReport& r) { r.sent = sent; });
        if (sent == kStreamBytes) {
          shutdown(fd, SHUT_WR);
          source_done = true;
        }
      } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        source_done = true;
      }
    }
  }
  state.report.Update([](PeerReport& r) { r.done = true; });
}

uint64_t Seed() {
  uint64_t seed = 20240610;
  if (const char* text = std::getenv("FAULT_SEED")) {
    if (!absl::SimpleAtoi(text, &seed)) ADD_FAILURE() << "bad FAULT_SEED " << text;
  }
  return seed;
}

TEST_F(SocketdTest, SixtyFourMebibytesEachWayExactlyOnceThroughFaults) {
  auto state = std::make_shared<PeerState>();
  peers::ScriptedPeer peer([state](PeerConnection& conn) { SinkAndSource(conn, *state); });
  // Declared after the peer: stops its loop before ~Peer joins it, even when
  // an assertion ends the test early.
  struct StopPeer {
    PeerState* state;
    ~StopPeer() { state->stop = true; }
  } stop_peer{state.get()};

  const uint64_t seed = Seed();
  faults::FaultProxy::Options proxy_options;
  proxy_options.upstream_port = server_->port();
  proxy_options.seed = seed;
  proxy_options.min_gap_bytes = 2 << 20;
  proxy_options.max_gap_bytes = 6 << 20;
  proxy_options.injecting = false;  // Connect is not retried: no fault yet.
  faults::FaultProxy proxy(proxy_options);

  RetryPolicy policy;
  policy.max_attempts = 20;
  policy.initial_backoff = absl::Milliseconds(10);
  policy.max_backoff = absl::Milliseconds(500);
  policy.attempt_timeout = absl::Seconds(20);
  const Client retrying =
      Client::Create(absl::StrCat("127.0.0.1:", proxy.port())).WithRetryPolicy(policy);
  CallOptions call;
  call.rpc_timeout = absl::Seconds(60);

  absl::StatusOr<v1::ConnectResponse> connected =
      retrying.Connect("127.0.0.1", peer.port(), 5000, call);
  ASSERT_TRUE(connected.ok()) << connected.status();
  const std::string handle = connected->handle();
  std::printf("fault seed %llu\n", static_cast<unsigned long long>(seed));
  const absl::Time start = absl::Now();
  proxy.SetInjecting(true);

  std::string send_failure;
  std::thread sender([&] {
    std::string chunk(kChunk, '\0');
    for (uint64_t position = 0; position < kStreamBytes; position += kChunk) {
      FillStream(kUpSeed, position, chunk.data(), chunk.size());
      absl::StatusOr<v1::SendResponse> sent = retrying.Send(handle, chunk, 30000, call);
      if (!sent.ok() || sent->bytes_sent() != kChunk || sent->timed_out()) {
        send_failure = absl::StrCat(
            "Send at ", position, ": ",
            sent.ok() ? absl::StrCat(sent->bytes_sent(), " bytes") : sent.status().ToString());
        return;
      }
    }
  });

  std::string receive_failure;
  uint64_t received = 0;
  bool eof = false;
  std::thread receiver([&] {
    int idle = 0;
    while (!eof) {
      absl::StatusOr<v1::ReceiveResponse> got =
          retrying.Receive(handle, kChunk, 256 << 10, 30000, call);
      if (!got.ok()) {
        receive_failure = absl::StrCat("Receive at ", received, ": ", got.status().ToString());
        return;
      }
      if (got->offset() != received) {
        receive_failure = absl::StrCat("answer at ", got->offset(), ", wanted ", received);
        return;
      }
      const size_t bad = FirstMismatch(kDownSeed, received, got->data());
      if (bad != std::string::npos) {
        receive_failure = absl::StrCat("byte ", received + bad, " differs");
        return;
      }
      received += got->data().size();
      eof = got->eof();
      idle = got->data().empty() ? idle + 1 : 0;
      if (idle > 3) {
        receive_failure = absl::StrCat("no bytes for 4 Receives at ", received);
        return;
      }
    }
  });

  sender.join();
  // Our FIN, retried safely: the send offset says every byte went out.
  absl::StatusOr<v1::CloseResponse> half =
      send_failure.empty()
          ? retrying.Close(handle, v1::CLOSE_MODE_PARTIAL, std::nullopt, call)
          : absl::StatusOr<v1::CloseResponse>(absl::AbortedError("no Close"));
  receiver.join();
  ASSERT_EQ(send_failure, "");
  ASSERT_TRUE(half.ok()) << half.status();
  EXPECT_FALSE(half->released());
  ASSERT_EQ(receive_failure, "");
  EXPECT_TRUE(eof);
  EXPECT_EQ(received, kStreamBytes);

  // Straight to socketd: every byte was written and read exactly once.
  v1::SocketInfo info = Info(handle);
  EXPECT_EQ(info.bytes_sent(), kStreamBytes);
  EXPECT_EQ(info.bytes_received(), kStreamBytes);
  const TrackedOffsets offsets = retrying.Offsets(handle);
  EXPECT_EQ(offsets.sent, kStreamBytes);
  EXPECT_EQ(offsets.received, kStreamBytes);

  absl::StatusOr<v1::CloseResponse> closed =
      retrying.Close(handle, v1::CLOSE_MODE_COMPLETE, 10000, call);
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_TRUE(closed->released());
  const absl::Duration took = absl::Now() - start;

  ASSERT_TRUE(state->report.WaitFor(std::chrono::seconds(30),
                                    [](const PeerReport& r) { return r.done; }));
  const PeerReport report = state->report.Get();
  EXPECT_EQ(report.received, kStreamBytes);
  EXPECT_EQ(report.first_mismatch, -1);
  EXPECT_EQ(report.ending, peers::Ending::kEof);
  EXPECT_EQ(report.sent, kStreamBytes);

  const faults::FaultProxy::Counts counts = proxy.counts();
  std::printf(
      "%.1f s; faults: %d dropped responses, %d mid-request resets; %d connections; "
      "proxy forwarded %llu up, %llu down, dropped %llu\n",
      absl::ToDoubleSeconds(took), counts.dropped_responses, counts.mid_request_resets,
      counts.connections, static_cast<unsigned long long>(counts.bytes_up),
      static_cast<unsigned long long>(counts.bytes_down),
      static_cast<unsigned long long>(counts.bytes_dropped));
  // About 130 MiB through the proxy at one fault per 2..6 MiB.
  EXPECT_GE(counts.faults(), 10);
  EXPECT_GE(counts.dropped_responses, 1);
  EXPECT_GE(counts.mid_request_resets, 1);
  EXPECT_GE(counts.connections, counts.faults());
}

}  // namespace
}  // namespace socketsvc::e2e
