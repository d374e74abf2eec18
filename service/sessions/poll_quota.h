// Caps on pending Poll calls, in total and per principal. Each pending Poll
// holds one epoll descriptor: without a cap on their number, one caller with
// one socket could hold enough Polls to use up socketd's descriptors and
// make Connect, Accept and gRPC's own accept fail for everyone. Thread-safe.
#ifndef SOCKETSVC_SERVICE_SESSIONS_POLL_QUOTA_H_
#define SOCKETSVC_SERVICE_SESSIONS_POLL_QUOTA_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace socketsvc {

// Pending Polls of one principal, and of all together.
inline constexpr size_t kMaxPendingPollsPerPrincipal = 256;
inline constexpr size_t kMaxPendingPolls = 4096;

class PollQuota {
 public:
  // Held while a Poll is pending; destroying it gives the place back.
  class Ticket {
   public:
    ~Ticket();
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;

   private:
    friend class PollQuota;
    Ticket(PollQuota& quota, std::string principal)
        : quota_(quota), principal_(std::move(principal)) {}
    PollQuota& quota_;
    const std::string principal_;
  };

  PollQuota(size_t per_principal = kMaxPendingPollsPerPrincipal,
            size_t total = kMaxPendingPolls)
      : per_principal_(per_principal), total_(total) {}

  // A place for one more pending Poll of `principal`, or
  // RESOURCE_EXHAUSTED/LIMIT_EXCEEDED naming the limit. The quota must
  // outlive the ticket.
  absl::StatusOr<std::unique_ptr<Ticket>> Acquire(absl::string_view principal)
      ABSL_LOCKS_EXCLUDED(mu_);

  size_t pending() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Release(const std::string& principal) ABSL_LOCKS_EXCLUDED(mu_);

  const size_t per_principal_;
  const size_t total_;
  mutable absl::Mutex mu_;
  size_t pending_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, size_t> by_principal_ ABSL_GUARDED_BY(mu_);
};

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_SESSIONS_POLL_QUOTA_H_
