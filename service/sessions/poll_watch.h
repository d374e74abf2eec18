// What an object a Poll waits on (socket, listener, HTTP server) needs to
// know of the Poll, and the list of Polls waiting on one object.
//
// A Poll (poll_set.h) asks each object for its readiness on the object's own
// strand; the object answers with PollWaiter::Report, and tells every Poll
// waiting on it through PollWaiter::Wake when its readiness may have changed
// in a way the kernel does not show (bytes socketd holds, release, a queued
// HTTP request). Nothing here blocks or holds a thread.
#ifndef SOCKETSVC_SERVICE_SESSIONS_POLL_WATCH_H_
#define SOCKETSVC_SERVICE_SESSIONS_POLL_WATCH_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace socketsvc {

// The Poll's side. Thread-safe; its methods never block.
class PollWaiter {
 public:
  virtual ~PollWaiter() = default;

  // The object's readiness: `events` are PollEvent bits (POLL_EVENT_INVALID
  // once it is released). `fd` is the object's descriptor for the kernel to
  // watch, or -1 when the kernel cannot tell (released, a TLS handshake or
  // a close in progress, an HTTP server's queue). Called on the object's
  // strand, so `fd` is open for the duration of the call.
  virtual void Report(size_t target, uint32_t events, int fd) = 0;

  // The object's readiness may have changed: ask again.
  virtual void Wake(size_t target) = 0;
};

// The Polls waiting on one object. Not thread-safe: the owning object's
// strand only. Holds the Polls weakly, so a finished Poll costs nothing
// beyond its slot, which the next Add or WakeAll drops.
class PollWatchers {
 public:
  void Add(std::weak_ptr<PollWaiter> waiter, size_t target) {
    Prune();
    watchers_.emplace_back(std::move(waiter), target);
  }

  void WakeAll() {
    Prune();
    // Wake only posts: no watcher is added or removed while we iterate.
    for (const auto& [weak, target] : watchers_) {
      if (std::shared_ptr<PollWaiter> waiter = weak.lock()) waiter->Wake(target);
    }
  }

  bool empty() const { return watchers_.empty(); }

 private:
  void Prune() {
    watchers_.erase(std::remove_if(watchers_.begin(), watchers_.end(),
                                   [](const auto& w) { return w.first.expired(); }),
                    watchers_.end());
  }

  std::vector<std::pair<std::weak_ptr<PollWaiter>, size_t>> watchers_;
};

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_SESSIONS_POLL_WATCH_H_
