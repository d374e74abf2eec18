// One Poll call: waits until at least one of many objects (sockets,
// listeners, HTTP servers) is ready, or its deadline passes, holding no
// thread.
//
// Each object answers for its own readiness on its own strand (a Check):
// the kernel's view of its descriptor, taken with poll(2) and timeout 0 so
// that no byte and no connection is taken, plus what socketd holds itself
// (bytes a cancelled Receive left, TLS plaintext already decrypted, a queued
// HTTP request, a released handle). While nothing is ready, the descriptors
// are watched by one epoll instance of this Poll (level-triggered,
// EPOLLONESHOT per descriptor), itself waited on through Asio; changes the
// kernel cannot see arrive through PollWaiter::Wake. An object that the
// kernel shows ready is asked again on its strand before it is reported, so
// a report is never only the kernel's guess (a TLS record that carries no
// application data is not "readable").
//
// Why its own epoll instance rather than async_wait on each socket: Asio
// 1.74 cannot withdraw one wait among several on a socket without cancelling
// the socket's other operations (a Receive's), and a wait left behind on a
// quiet socket would stay until the socket closes; a Poll called in a loop
// would pile them up. Closing the epoll instance withdraws everything at once
// and touches nothing of the sockets.
//
// Completion runs once, on the PollSet's strand: the first round of checks
// that finds something ready, the deadline, Cancel(), or a failure to watch.
// Thread-safe: Start and Cancel may be called from any thread; the
// PollWaiter methods from the objects' strands.
#ifndef SOCKETSVC_SERVICE_SESSIONS_POLL_SET_H_
#define SOCKETSVC_SERVICE_SESSIONS_POLL_SET_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/sessions/poll_watch.h"

namespace socketsvc {

// Items one Poll may name.
inline constexpr size_t kMaxPollItems = 4096;
// Objects all pending Polls together may wait on (each costs an epoll
// registration in the kernel and a few dozen bytes here).
inline constexpr size_t kMaxPendingPollTargets = 256 * 1024;

class PollSet final : public PollWaiter, public std::enable_shared_from_this<PollSet> {
 public:
  // Asks an object for its readiness: posts to the object's strand, which
  // calls waiter->Report(target, ...) once; with `watch` it also keeps the
  // waiter for Wake until the Poll is gone.
  using Check = absl::AnyInvocable<void(std::shared_ptr<PollWaiter> waiter, size_t target,
                                        bool watch)>;

  struct Target {
    // Null: the handle names nothing of the caller's (POLL_EVENT_INVALID).
    Check check;
    // OR of the PollEvent bits the items naming this object wait for.
    uint32_t wanted = 0;
    // A connected socket: the peer's FIN (HUP) is watched too.
    bool socket = false;
  };

  struct Outcome {
    // Per target, the PollEvent bits last seen (not masked by `wanted`).
    std::vector<uint32_t> events;
    bool timed_out = false;
  };
  using Done = absl::AnyInvocable<void(absl::StatusOr<Outcome>)>;

  // `deadline`: InfinitePast answers after one look; InfiniteFuture waits
  // until something is ready or Cancel(). RESOURCE_EXHAUSTED/LIMIT_EXCEEDED
  // when pending Polls already wait on kMaxPendingPollTargets objects;
  // the errno of epoll_create1 if that fails.
  static absl::StatusOr<std::shared_ptr<PollSet>> Create(
      boost::asio::any_io_executor executor, std::vector<Target> targets,
      absl::Time deadline, Done done);

  // Use Create.
  PollSet(boost::asio::any_io_executor executor, std::vector<Target> targets,
          absl::Time deadline, Done done);
  ~PollSet() override;

  PollSet(const PollSet&) = delete;
  PollSet& operator=(const PollSet&) = delete;

  // Asks every object once; `done` runs when the answer is known.
  void Start();
  // Finishes with CANCELLED (client cancel, gRPC deadline) unless done.
  void Cancel();

  // PollWaiter.
  void Report(size_t target, uint32_t events, int fd) override;
  void Wake(size_t target) override;

 private:
  using Strand = boost::asio::strand<boost::asio::any_io_executor>;

  // Per target, strand only.
  struct Slot {
    uint32_t events = 0;
    // A check was asked and has not reported yet.
    bool checking = false;
    // Something changed while it was checking: ask again after its report.
    bool again = false;
  };

  bool Ready(size_t target) const;
  // Adds `fd` (one-shot) to the epoll instance, or re-arms it; any thread.
  void Watch(size_t target, int fd) ABSL_LOCKS_EXCLUDED(mu_);

  // --- strand only ---
  void StartOnStrand();
  void Ask(size_t target, bool watch);
  void OnReport(size_t target, uint32_t events);
  void RoundDone();
  void WaitKernel();
  void OnKernelReady();
  void Finish(absl::StatusOr<Outcome> outcome) ABSL_LOCKS_EXCLUDED(mu_);
  Outcome Collect() const;

  static inline std::atomic<size_t> pending_targets_{0};

  Strand strand_;
  // Read-only after construction (Report reads it from other strands),
  // except each Check, which only the strand calls.
  std::vector<Target> targets_;
  const absl::Time deadline_;

  // Strand only.
  Done done_;
  std::vector<Slot> slots_;
  size_t outstanding_ = 0;
  bool waiting_ = false;
  bool finished_ = false;
  boost::asio::steady_timer timer_;
  // Wraps the epoll instance for Asio's readiness wait.
  boost::asio::posix::stream_descriptor kernel_;

  // Objects' strands add descriptors while the strand may close the
  // instance: the number must not be reused under them.
  absl::Mutex mu_;
  int epoll_fd_ ABSL_GUARDED_BY(mu_) = -1;
  // First failure to watch a descriptor (errno), reported by the strand.
  int watch_errno_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_SESSIONS_POLL_SET_H_
