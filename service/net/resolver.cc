#include "service/net/resolver.h"

#include <algorithm>
#include <cerrno>
#include <optional>

#include <boost/asio/post.hpp>

#include "absl/strings/str_cat.h"
#include "common/socket_error.h"

namespace socketsvc {

namespace asio = boost::asio;
using asio::ip::tcp;

struct Resolver::Job {
  bool reverse = false;
  std::string host;  // Forward only.
  std::string service;
  asio::ip::address address;  // Reverse only.
  absl::Time deadline;
  asio::any_io_executor executor;
  // Exactly one of them is set.
  LookupDone lookup_done;
  ReverseDone reverse_done;

  // "resolve example.com", "reverse 127.0.0.1": how messages name the job.
  std::string what() const {
    return reverse ? absl::StrCat("reverse ", address.to_string())
                   : absl::StrCat("resolve ", host);
  }
};

namespace {

// Answers a lookup with `result` on its executor, never inline.
template <typename Result, typename Done>
void Post(const asio::any_io_executor& executor, Done done, Result result) {
  asio::post(executor, [done = std::move(done),
                        result = std::move(result)]() mutable {
    done(std::move(result));
  });
}

}  // namespace

void Resolver::Fail(std::unique_ptr<Job> job, absl::Status status) {
  if (job->reverse) {
    Post(job->executor, std::move(job->reverse_done),
         absl::StatusOr<std::vector<std::string>>(std::move(status)));
  } else {
    Post(job->executor, std::move(job->lookup_done),
         absl::StatusOr<Endpoints>(std::move(status)));
  }
}

absl::Status Resolver::TimedOut(const Job& job) {
  return SocketErrorStatus(absl::StatusCode::kDeadlineExceeded,
                           v1::SOCKET_ERROR_TIMED_OUT,
                           absl::StrCat(job.what(), ": timed out"), ETIMEDOUT);
}

absl::Status Resolver::ShuttingDown(const Job& job) {
  return SocketErrorStatus(
      absl::StatusCode::kUnavailable, v1::SOCKET_ERROR_SHUTTING_DOWN,
      absl::StrCat(job.what(), ": socketd is shutting down"));
}

Resolver::Resolver(ResolverOptions options)
    : max_queued_(options.max_queued),
      functions_{options.functions.lookup ? std::move(options.functions.lookup)
                                          : &SystemLookup,
                 options.functions.reverse_lookup
                     ? std::move(options.functions.reverse_lookup)
                     : &SystemReverseLookup} {
  const int threads = std::max(options.threads, 1);
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this] { WorkerLoop(); });
  }
  threads_.emplace_back([this] { DeadlineLoop(); });
}

Resolver::~Resolver() {
  Shutdown();
  for (std::thread& thread : threads_) thread.join();
}

Resolver::LookupId Resolver::Lookup(std::string host, std::string service,
                                    absl::Time deadline,
                                    asio::any_io_executor executor,
                                    LookupDone done) {
  host = Unbracketed(host);
  uint16_t port = 0;
  const NumericPort numeric = ParseNumericPort(service, &port);
  boost::system::error_code not_literal;
  const asio::ip::address address = asio::ip::make_address(host, not_literal);
  // Answers that need no lookup never wait behind another caller's query.
  std::optional<absl::StatusOr<Endpoints>> answer;
  if (numeric == NumericPort::kOutOfRange) {
    answer = SocketErrorStatus(
        absl::StatusCode::kInvalidArgument, v1::SOCKET_ERROR_INVALID_REQUEST,
        absl::StrCat("resolve service '", service, "': not a port"));
  } else if (numeric == NumericPort::kYes && !not_literal) {
    answer = Endpoints{tcp::endpoint(address, port)};
  } else if (numeric == NumericPort::kYes && IsLocalhostName(host)) {
    answer = LoopbackEndpoints(port);
  }
  if (answer.has_value()) {
    Post(executor, std::move(done), std::move(*answer));
    return 0;
  }
  auto job = std::make_unique<Job>();
  job->host = std::move(host);
  job->service = std::move(service);
  job->deadline = deadline;
  job->executor = std::move(executor);
  job->lookup_done = std::move(done);
  return Enqueue(std::move(job));
}

Resolver::LookupId Resolver::ReverseLookup(asio::ip::address address,
                                           absl::Time deadline,
                                           asio::any_io_executor executor,
                                           ReverseDone done) {
  auto job = std::make_unique<Job>();
  job->reverse = true;
  job->address = std::move(address);
  job->deadline = deadline;
  job->executor = std::move(executor);
  job->reverse_done = std::move(done);
  return Enqueue(std::move(job));
}

Resolver::LookupId Resolver::Enqueue(std::unique_ptr<Job> job) {
  absl::Status refused;
  {
    absl::MutexLock lock(&mu_);
    if (shutting_down_) {
      refused = ShuttingDown(*job);
    } else if (job->deadline <= absl::Now()) {
      refused = TimedOut(*job);
    } else if (queue_.size() >= max_queued_) {
      refused = SocketErrorStatus(
          absl::StatusCode::kResourceExhausted, v1::SOCKET_ERROR_LIMIT_EXCEEDED,
          absl::StrCat(job->what(), ": ", queue_.size(),
                       " lookups already wait for a resolver thread"));
    } else {
      const LookupId id = next_id_++;
      if (job->deadline != absl::InfiniteFuture()) {
        auto [it, inserted] = deadlines_.emplace(job->deadline, id);
        if (it == deadlines_.begin()) deadline_cv_.Signal();
      }
      jobs_.emplace(id, std::move(job));
      queue_.push_back(id);
      work_cv_.Signal();
      return id;
    }
  }
  Fail(std::move(job), std::move(refused));
  return 0;
}

std::unique_ptr<Resolver::Job> Resolver::TakeLocked(LookupId id) {
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return nullptr;
  std::unique_ptr<Job> job = std::move(it->second);
  jobs_.erase(it);
  deadlines_.erase({job->deadline, id});
  auto queued = std::find(queue_.begin(), queue_.end(), id);
  if (queued != queue_.end()) queue_.erase(queued);
  return job;
}

void Resolver::Cancel(LookupId id) {
  std::unique_ptr<Job> job;
  {
    absl::MutexLock lock(&mu_);
    job = TakeLocked(id);
  }
  if (!job) return;
  absl::Status cancelled = SocketErrorStatus(
      absl::StatusCode::kCancelled, v1::SOCKET_ERROR_CANCELLED,
      absl::StrCat(job->what(), ": cancelled"));
  Fail(std::move(job), std::move(cancelled));
}

void Resolver::Shutdown() {
  absl::flat_hash_map<LookupId, std::unique_ptr<Job>> jobs;
  {
    absl::MutexLock lock(&mu_);
    shutting_down_ = true;
    jobs.swap(jobs_);
    queue_.clear();
    deadlines_.clear();
    work_cv_.SignalAll();
    deadline_cv_.SignalAll();
  }
  for (auto& [id, job] : jobs) {
    absl::Status status = ShuttingDown(*job);
    Fail(std::move(job), std::move(status));
  }
}

void Resolver::WorkerLoop() {
  for (;;) {
    LookupId id = 0;
    Job input;  // The inputs only: the job itself stays in jobs_.
    {
      absl::MutexLock lock(&mu_);
      while (!shutting_down_ && queue_.empty()) work_cv_.Wait(&mu_);
      if (shutting_down_) return;
      id = queue_.front();
      if (jobs_.at(id)->deadline <= absl::Now()) {
        // Its deadline passed while it waited: answer without running it.
        std::unique_ptr<Job> expired = TakeLocked(id);
        absl::Status status = TimedOut(*expired);
        mu_.Unlock();
        Fail(std::move(expired), std::move(status));
        mu_.Lock();
        continue;
      }
      queue_.pop_front();
      const Job& job = *jobs_.at(id);
      input.reverse = job.reverse;
      input.host = job.host;
      input.service = job.service;
      input.address = job.address;
    }
    // Blocking, outside the lock. The deadline thread may answer the job
    // meanwhile; then the result below finds it gone and is dropped.
    auto take = [this, id] {
      absl::MutexLock lock(&mu_);
      return TakeLocked(id);
    };
    if (input.reverse) {
      auto names = functions_.reverse_lookup(input.address);
      if (auto job = take()) {
        Post(job->executor, std::move(job->reverse_done), std::move(names));
      }
    } else {
      auto endpoints = functions_.lookup(input.host, input.service);
      if (auto job = take()) {
        Post(job->executor, std::move(job->lookup_done), std::move(endpoints));
      }
    }
  }
}

void Resolver::DeadlineLoop() {
  absl::MutexLock lock(&mu_);
  while (!shutting_down_) {
    if (deadlines_.empty() || deadlines_.begin()->first > absl::Now()) {
      deadline_cv_.WaitWithDeadline(&mu_, deadlines_.empty()
                                              ? absl::InfiniteFuture()
                                              : deadlines_.begin()->first);
      continue;
    }
    // Queued (never runs) or running (its result will be dropped).
    std::unique_ptr<Job> job = TakeLocked(deadlines_.begin()->second);
    absl::Status status = TimedOut(*job);
    mu_.Unlock();
    Fail(std::move(job), std::move(status));
    mu_.Lock();
  }
}

}  // namespace socketsvc
