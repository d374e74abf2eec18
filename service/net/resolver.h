// Name resolution on a small pool of threads of its own.
//
// getaddrinfo and getnameinfo block, for seconds when a DNS server is slow.
// Resolver runs them on `threads` threads that do nothing else, so a lookup
// never holds a gRPC or I/O thread and one slow lookup does not stall the
// others (Asio's resolver runs every lookup on one shared thread). A further
// thread answers lookups whose deadline passed, queued or still running.
//
// Every Lookup/ReverseLookup is answered exactly once, by posting `done` to
// the executor given with it, never inline, and no later than its deadline:
// a lookup still running at its deadline is answered DEADLINE_EXCEEDED at
// once and its late result dropped. What needs no thread (an address literal
// with a numeric port, "localhost") is answered without one.
//
// "localhost" always means [::1, 127.0.0.1] (see IsLocalhostName).
//
// Thread-safe. The destructor answers pending lookups UNAVAILABLE/
// SHUTTING_DOWN and joins the threads (waiting for running lookups to end).
#ifndef SOCKETSVC_SERVICE_NET_RESOLVER_H_
#define SOCKETSVC_SERVICE_NET_RESOLVER_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/net/system_lookup.h"

namespace socketsvc {

// The blocking lookups, replaceable in tests.
struct ResolverFunctions {
  // host + service → endpoints (deduplicated, resolver order).
  std::function<absl::StatusOr<Endpoints>(const std::string& host,
                                          const std::string& service)>
      lookup;
  // address → names.
  std::function<absl::StatusOr<std::vector<std::string>>(
      const boost::asio::ip::address& address)>
      reverse_lookup;
};

struct ResolverOptions {
  // Lookups that may run at once.
  int threads = 4;
  // Lookups that may wait for a thread; more fail RESOURCE_EXHAUSTED.
  size_t max_queued = 1024;
  // Empty members mean SystemLookup / SystemReverseLookup (system_lookup.h).
  ResolverFunctions functions;
};

class Resolver {
 public:
  using LookupDone = absl::AnyInvocable<void(absl::StatusOr<Endpoints>)>;
  using ReverseDone =
      absl::AnyInvocable<void(absl::StatusOr<std::vector<std::string>>)>;
  // Names one pending lookup for Cancel; 0 names none.
  using LookupId = uint64_t;

  explicit Resolver(ResolverOptions options = {});
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;
  ~Resolver() ABSL_LOCKS_EXCLUDED(mu_);

  // Resolves `host` (a name, an IPv4 or IPv6 literal, "[::1]") and `service`
  // (a port number, a name from /etc/services such as "http", or "" for
  // port 0) to every address, IPv6 and IPv4 (getaddrinfo without
  // AI_ADDRCONFIG). `deadline` may be absl::InfiniteFuture().
  LookupId Lookup(std::string host, std::string service, absl::Time deadline,
                  boost::asio::any_io_executor executor, LookupDone done)
      ABSL_LOCKS_EXCLUDED(mu_);

  // The name(s) of `address` (getnameinfo with NI_NAMEREQD).
  LookupId ReverseLookup(boost::asio::ip::address address, absl::Time deadline,
                         boost::asio::any_io_executor executor,
                         ReverseDone done) ABSL_LOCKS_EXCLUDED(mu_);

  // Answers lookup `id` CANCELLED at once unless it was answered already.
  void Cancel(LookupId id) ABSL_LOCKS_EXCLUDED(mu_);

  // Answers every pending lookup and every later one UNAVAILABLE/
  // SHUTTING_DOWN; does not wait for running lookups (the destructor does).
  void Shutdown() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Job;

  LookupId Enqueue(std::unique_ptr<Job> job) ABSL_LOCKS_EXCLUDED(mu_);
  // Answers `job` with an error on its executor.
  static void Fail(std::unique_ptr<Job> job, absl::Status status);
  static absl::Status TimedOut(const Job& job);
  static absl::Status ShuttingDown(const Job& job);
  // Removes job `id` from the pending ones; null if it is not pending.
  std::unique_ptr<Job> TakeLocked(LookupId id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void WorkerLoop() ABSL_LOCKS_EXCLUDED(mu_);
  void DeadlineLoop() ABSL_LOCKS_EXCLUDED(mu_);

  const size_t max_queued_;
  const ResolverFunctions functions_;
  absl::Mutex mu_;
  // Wakes workers (a job was queued) and the deadline thread (an earlier
  // deadline came, or shutdown).
  absl::CondVar work_cv_;
  absl::CondVar deadline_cv_;
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  LookupId next_id_ ABSL_GUARDED_BY(mu_) = 1;
  // Every unanswered job, queued or running.
  absl::flat_hash_map<LookupId, std::unique_ptr<Job>> jobs_
      ABSL_GUARDED_BY(mu_);
  // Ids of jobs waiting for a thread, oldest first.
  std::deque<LookupId> queue_ ABSL_GUARDED_BY(mu_);
  // Finite deadlines of the jobs in jobs_, earliest first.
  std::set<std::pair<absl::Time, LookupId>> deadlines_ ABSL_GUARDED_BY(mu_);
  // Written by the constructor only; joined by the destructor.
  std::vector<std::thread> threads_;
};

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_NET_RESOLVER_H_
