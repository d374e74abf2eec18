// Real TCP peers on 127.0.0.1 for end-to-end tests of socketd.
//
// socketd's contract is about what happens on the wire (EOF vs RST, half-close,
// backpressure), so its tests need peers whose behaviour is exact and visible:
// each peer here listens on an ephemeral loopback port, serves every accepted
// connection on its own thread with plain POSIX calls, and records what it saw
// so that a test can wait for it. No Asio: the peers must not share code (or
// bugs) with the thing under test.
//
// Every blocking call a peer makes also watches a stop pipe, so destroying a
// peer never hangs, whatever its clients are doing: the destructor wakes all
// threads, joins them and closes every socket (clients then see EOF or RST,
// as the peer's behaviour says).
//
// Thread-safety: a peer's public methods may be called from any thread; a
// PeerConnection belongs to the handler thread it was given to.
#ifndef SOCKETSVC_TESTS_PEERS_PEERS_H_
#define SOCKETSVC_TESTS_PEERS_PEERS_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace socketsvc::peers {

// Long enough for a loaded 2-core CI machine, short enough that a broken test
// fails instead of eating the suite's time budget.
inline constexpr std::chrono::milliseconds kDefaultWait{10000};

// A value guarded by a mutex that threads can wait on: the one way in which
// peer threads hand results to the test thread.
template <typename T>
class Guarded {
 public:
  Guarded() = default;
  explicit Guarded(T initial) : value_(std::move(initial)) {}

  // Runs `f(T&)` under the lock, then wakes every waiter.
  template <typename F>
  void Update(F&& f) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      f(value_);
    }
    cv_.notify_all();
  }

  // Returns `f(const T&)`, computed under the lock.
  template <typename F>
  auto Read(F&& f) const {
    std::lock_guard<std::mutex> lock(mu_);
    return f(static_cast<const T&>(value_));
  }

  T Get() const {
    std::lock_guard<std::mutex> lock(mu_);
    return value_;
  }

  // Waits until `pred(const T&)` holds; false if `timeout` passed first.
  template <typename P>
  bool WaitFor(std::chrono::milliseconds timeout, P&& pred) const {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout,
                        [&] { return pred(static_cast<const T&>(value_)); });
  }

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  T value_{};
};

// How the stream *from the client* ended, as the peer observed it.
enum class Ending {
  kOpen,   // Nothing yet (or the peer was stopped first).
  kEof,    // recv() returned 0: the client sent FIN.
  kReset,  // recv() failed, normally with ECONNRESET (the client sent RST).
};
const char* EndingName(Ending ending);
std::ostream& operator<<(std::ostream& os, Ending ending);

// One accepted connection, as a peer's handler drives it. All calls return
// early (reporting stopped/failure) once the owning peer is being destroyed.
class PeerConnection {
 public:
  struct ReadResult {
    std::string data;               // Non-empty iff bytes arrived.
    Ending ending = Ending::kOpen;  // kEof or kReset when the stream ended.
    int error = 0;                  // errno for kReset.
    bool stopped = false;           // The peer is shutting down.
  };

  PeerConnection(int fd, int stop_fd, int index);
  PeerConnection(const PeerConnection&) = delete;
  PeerConnection& operator=(const PeerConnection&) = delete;
  ~PeerConnection();  // Closes the socket if still open.

  int index() const { return index_; }  // 0 for the first accepted, ...
  int fd() const { return fd_; }

  // Waits for bytes (at most `max_bytes`), the end of the stream or the stop.
  ReadResult Read(size_t max_bytes = 64 * 1024);
  // Writes all of `data`, waiting out backpressure. False if the connection
  // broke (EPIPE, ECONNRESET) or the peer is stopping.
  bool SendAll(std::string_view data);
  // shutdown(SHUT_WR): sends FIN, keeps reading possible.
  bool ShutdownWrite();
  // Waits until the kernel's send queue is empty (every byte ACKed), so that
  // a following Reset() cannot discard data the test expects the client to
  // get. False on timeout or stop.
  bool WaitUntilSent(std::chrono::milliseconds timeout = kDefaultWait);
  // Sleeps; false (early) if the peer is stopping.
  bool SleepFor(std::chrono::milliseconds duration);
  // Closes with SO_LINGER {1, 0}: the client gets RST, not FIN.
  void Reset();
  // Ordinary close().
  void Close();

 private:
  // Polls the socket for `events` and the stop pipe. False if stopping.
  bool WaitFor(short events, int timeout_ms);

  int fd_;
  const int stop_fd_;
  const int index_;
};

// Listens on 127.0.0.1:<ephemeral> and runs `handler` for each accepted
// connection on a thread of its own; the connection is closed when the
// handler returns. Use it directly (ScriptedPeer) for one-off behaviour.
class Peer {
 public:
  using Handler = std::function<void(PeerConnection&)>;

  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;
  virtual ~Peer();  // Stops, joins every thread, closes every socket.

  uint16_t port() const { return port_; }
  std::string address() const;  // "127.0.0.1:<port>"

  int connections() const;  // Accepted so far.
  int finished() const;     // Handlers that have returned (sockets closed).
  bool WaitForConnections(
      int n, std::chrono::milliseconds timeout = kDefaultWait) const;
  bool WaitForFinished(int n,
                       std::chrono::milliseconds timeout = kDefaultWait) const;

 protected:
  // `handler` must only touch state that outlives the threads: subclasses
  // give it a shared_ptr to theirs, because ~Peer joins the threads after
  // the subclass's members are already gone.
  explicit Peer(Handler handler);

 private:
  struct Counts {
    int accepted = 0;
    int finished = 0;
  };

  void AcceptLoop();
  void Stop();

  Handler handler_;
  int listen_fd_ = -1;
  int stop_read_fd_ = -1;  // Readable once Stop() began: wakes every poll().
  int stop_write_fd_ = -1;
  uint16_t port_ = 0;
  Guarded<Counts> counts_;
  std::thread accept_thread_;
  std::vector<std::thread> connection_threads_;  // Owned by accept_thread_.
};

// A peer scripted by the test: `handler` runs once per connection.
class ScriptedPeer : public Peer {
 public:
  explicit ScriptedPeer(Handler handler) : Peer(std::move(handler)) {}
};

// Echoes every byte back on the connection it came from; on EOF it sends FIN
// too (shutdown(SHUT_WR) after everything was echoed) and closes.
class EchoPeer : public Peer {
 public:
  EchoPeer();
};

// What one connection delivered to a recording peer.
struct Recording {
  std::string received;
  Ending ending = Ending::kOpen;
  int error = 0;  // errno when ending is kReset.
};

// Optionally sends a greeting (and then half-closes), then reads everything
// each connection sends and records the bytes and how the stream ended. On
// EOF or reset it closes its side. Connections are numbered in accept order.
class RecordingPeer : public Peer {
 public:
  struct Options {
    std::string greeting;  // Sent right after accept, if not empty.
    bool half_close_after_greeting = false;  // shutdown(SHUT_WR) after it.
  };

  RecordingPeer() : RecordingPeer(Options{}) {}
  explicit RecordingPeer(Options options);

  // Bytes received so far on connection `conn` ("" if not accepted yet).
  std::string received(int conn = 0) const;
  // How connection `conn`'s stream ended so far.
  Ending ending(int conn = 0) const;
  Recording recording(int conn = 0) const;

  // Waits until connection `conn` exists and its stream ended (EOF or reset).
  bool WaitForEnding(std::chrono::milliseconds timeout = kDefaultWait,
                     int conn = 0) const;
  // Waits until connection `conn` has received at least `bytes` bytes.
  bool WaitForReceived(size_t bytes,
                       std::chrono::milliseconds timeout = kDefaultWait,
                       int conn = 0) const;

 private:
  using State = Guarded<std::vector<Recording>>;
  RecordingPeer(std::shared_ptr<State> state, Options options);
  static Handler MakeHandler(std::shared_ptr<State> state, Options options);

  std::shared_ptr<State> state_;
};

// Sends `payload`, half-closes (FIN), then keeps reading and recording until
// the client's EOF: shows whether the other side can still send after it has
// seen our EOF.
class SendThenHalfClosePeer : public RecordingPeer {
 public:
  explicit SendThenHalfClosePeer(std::string payload)
      : RecordingPeer(Options{std::move(payload), true}) {}
};

// Aborts every connection with RST (SO_LINGER {1, 0}), after optionally
// sending a greeting, reading a number of bytes first and waiting a while.
class ResetPeer : public Peer {
 public:
  struct Options {
    std::string greeting;          // Sent (and ACKed) before the reset.
    size_t read_before_reset = 0;  // Waits for this many bytes (or the end).
    std::chrono::milliseconds delay{0};  // Then waits this long.
  };

  ResetPeer() : ResetPeer(Options{}) {}
  explicit ResetPeer(Options options);

  int resets() const;  // Connections reset so far.
  bool WaitForResets(int n,
                     std::chrono::milliseconds timeout = kDefaultWait) const;
  // Bytes read from connection `conn` before its reset.
  std::string received(int conn = 0) const;

 private:
  struct Shared {
    int resets = 0;
    std::vector<std::string> received;
  };
  using State = Guarded<Shared>;
  ResetPeer(std::shared_ptr<State> state, Options options);

  std::shared_ptr<State> state_;
};

// Sends `n` bytes of Pattern(n), then closes normally: FIN, then it drains
// what the client sends until the client's EOF, so that no RST follows.
class BulkSenderPeer : public Peer {
 public:
  explicit BulkSenderPeer(size_t n);

  // The bytes every connection gets: byte i is (i * 31 + 7) & 0xff, so a
  // shifted, dropped or duplicated chunk shows up as a mismatch.
  static std::string Pattern(size_t n);

  // Connections whose n bytes were all written to the socket.
  int completed() const;
  bool WaitForCompleted(int n,
                        std::chrono::milliseconds timeout = kDefaultWait) const;

 private:
  using State = Guarded<int>;
  BulkSenderPeer(std::shared_ptr<State> state, size_t n);

  std::shared_ptr<State> state_;
};

// A loopback port with nothing listening, for connection-refused tests (bound
// to port 0, read back and closed; another process could take it meanwhile,
// which on a test machine is unlikely enough).
uint16_t ClosedPort();

}  // namespace socketsvc::peers

#endif  // SOCKETSVC_TESTS_PEERS_PEERS_H_
