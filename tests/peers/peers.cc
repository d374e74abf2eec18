// The peers' behaviours, each a handler run once per accepted connection by
// the machinery in peer.cc.
#include "tests/peers/peers.h"

#include <cerrno>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace socketsvc::peers {
namespace {

// Grows `v` so that index `i` exists: connection threads start in any order.
template <typename T>
T& At(std::vector<T>& v, int i) {
  if (v.size() <= static_cast<size_t>(i)) v.resize(i + 1);
  return v[i];
}

}  // namespace

// ---------------------------------------------------------------------------
// EchoPeer

EchoPeer::EchoPeer()
    : Peer([](PeerConnection& conn) {
        for (;;) {
          PeerConnection::ReadResult r = conn.Read();
          if (r.stopped) return;
          if (!r.data.empty()) {
            if (!conn.SendAll(r.data)) return;
            continue;
          }
          // Everything read was echoed before this point, so the FIN goes
          // out after the last echoed byte.
          if (r.ending == Ending::kEof) conn.ShutdownWrite();
          return;
        }
      }) {}

// ---------------------------------------------------------------------------
// RecordingPeer

RecordingPeer::RecordingPeer(Options options)
    : RecordingPeer(std::make_shared<State>(), std::move(options)) {}

RecordingPeer::RecordingPeer(std::shared_ptr<State> state, Options options)
    : Peer(MakeHandler(state, std::move(options))), state_(std::move(state)) {}

Peer::Handler RecordingPeer::MakeHandler(std::shared_ptr<State> state,
                                         Options options) {
  return [state, options](PeerConnection& conn) {
    const int i = conn.index();
    state->Update([i](std::vector<Recording>& v) { At(v, i); });
    if (!options.greeting.empty() && !conn.SendAll(options.greeting)) {
      // The client is gone already; recv() would now return 0 because the
      // send consumed the socket error, so record the send's error instead.
      const int error = errno;
      state->Update([i, error](std::vector<Recording>& v) {
        At(v, i).ending = Ending::kReset;
        At(v, i).error = error;
      });
      return;
    }
    if (options.half_close_after_greeting) conn.ShutdownWrite();
    for (;;) {
      PeerConnection::ReadResult r = conn.Read();
      if (r.stopped) return;
      state->Update([i, &r](std::vector<Recording>& v) {
        Recording& rec = At(v, i);
        rec.received += r.data;
        rec.ending = r.ending;
        rec.error = r.error;
      });
      if (r.ending != Ending::kOpen) return;
    }
  };
}

Recording RecordingPeer::recording(int conn) const {
  return state_->Read([conn](const std::vector<Recording>& v) {
    return static_cast<size_t>(conn) < v.size() ? v[conn] : Recording{};
  });
}

std::string RecordingPeer::received(int conn) const {
  return recording(conn).received;
}

Ending RecordingPeer::ending(int conn) const { return recording(conn).ending; }

bool RecordingPeer::WaitForEnding(std::chrono::milliseconds timeout,
                                  int conn) const {
  return state_->WaitFor(timeout, [conn](const std::vector<Recording>& v) {
    return static_cast<size_t>(conn) < v.size() &&
           v[conn].ending != Ending::kOpen;
  });
}

bool RecordingPeer::WaitForReceived(size_t bytes,
                                    std::chrono::milliseconds timeout,
                                    int conn) const {
  return state_->WaitFor(timeout, [=](const std::vector<Recording>& v) {
    return static_cast<size_t>(conn) < v.size() &&
           v[conn].received.size() >= bytes;
  });
}

// ---------------------------------------------------------------------------
// ResetPeer

ResetPeer::ResetPeer(Options options)
    : ResetPeer(std::make_shared<State>(), std::move(options)) {}

ResetPeer::ResetPeer(std::shared_ptr<State> state, Options options)
    : Peer([state, options](PeerConnection& conn) {
        const int i = conn.index();
        state->Update([i](Shared& s) { At(s.received, i); });
        if (!options.greeting.empty()) {
          // Wait for the ACK: an RST while bytes are still queued would
          // discard them, and the test expects the client to get them.
          if (!conn.SendAll(options.greeting)) return;
          if (!conn.WaitUntilSent()) return;
        }
        size_t got = 0;
        while (got < options.read_before_reset) {
          PeerConnection::ReadResult r =
              conn.Read(options.read_before_reset - got);
          if (r.stopped) return;
          if (r.data.empty()) break;  // The client ended first; reset anyway.
          got += r.data.size();
          state->Update([i, &r](Shared& s) { At(s.received, i) += r.data; });
        }
        if (options.delay.count() > 0 && !conn.SleepFor(options.delay)) return;
        conn.Reset();
        state->Update([](Shared& s) { ++s.resets; });
      }),
      state_(std::move(state)) {}

int ResetPeer::resets() const {
  return state_->Read([](const Shared& s) { return s.resets; });
}

bool ResetPeer::WaitForResets(int n, std::chrono::milliseconds timeout) const {
  return state_->WaitFor(timeout,
                         [n](const Shared& s) { return s.resets >= n; });
}

std::string ResetPeer::received(int conn) const {
  return state_->Read([conn](const Shared& s) {
    return static_cast<size_t>(conn) < s.received.size() ? s.received[conn]
                                                         : std::string();
  });
}

// ---------------------------------------------------------------------------
// BulkSenderPeer

std::string BulkSenderPeer::Pattern(size_t n) {
  std::string out(n, '\0');
  for (size_t i = 0; i < n; ++i) {
    out[i] = static_cast<char>((i * 31 + 7) & 0xff);
  }
  return out;
}

BulkSenderPeer::BulkSenderPeer(size_t n)
    : BulkSenderPeer(std::make_shared<State>(0), n) {}

BulkSenderPeer::BulkSenderPeer(std::shared_ptr<State> state, size_t n)
    : Peer([state, data = std::make_shared<const std::string>(Pattern(n))](
               PeerConnection& conn) {
        if (!conn.SendAll(*data)) return;
        conn.ShutdownWrite();
        state->Update([](int& completed) { ++completed; });
        // Drain until the client's EOF: closing with unread bytes would send
        // RST and could destroy the tail of the data in flight.
        for (;;) {
          PeerConnection::ReadResult r = conn.Read();
          if (r.stopped || r.ending != Ending::kOpen) return;
        }
      }),
      state_(std::move(state)) {}

int BulkSenderPeer::completed() const { return state_->Get(); }

bool BulkSenderPeer::WaitForCompleted(int n,
                                      std::chrono::milliseconds timeout) const {
  return state_->WaitFor(timeout,
                         [n](int completed) { return completed >= n; });
}

}  // namespace socketsvc::peers
