#include "service/sessions/poll_set.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>

#include "absl/strings/str_cat.h"
#include "common/socket_error.h"
#include "socketsvc/v1/sockets.pb.h"

namespace socketsvc {
namespace {

namespace asio = boost::asio;

// Always reported, whatever an item waits for.
constexpr uint32_t kAlwaysReported = v1::POLL_EVENT_HUP | v1::POLL_EVENT_INVALID;

uint32_t EpollEvents(const PollSet::Target& target) {
  uint32_t events = EPOLLONESHOT;
  if (target.wanted & (v1::POLL_EVENT_READABLE | v1::POLL_EVENT_ACCEPTABLE)) {
    events |= EPOLLIN;
  }
  if (target.wanted & v1::POLL_EVENT_WRITABLE) events |= EPOLLOUT;
  // EPOLLERR and EPOLLHUP (reset, both sides shut) come unasked.
  if (target.socket) events |= EPOLLRDHUP;
  return events;
}

}  // namespace

absl::StatusOr<std::shared_ptr<PollSet>> PollSet::Create(asio::any_io_executor executor,
                                                         std::vector<Target> targets,
                                                         absl::Time deadline, Done done) {
  const size_t count = targets.size();
  if (pending_targets_.fetch_add(count) + count > kMaxPendingPollTargets) {
    pending_targets_.fetch_sub(count);
    return SocketErrorStatus(
        absl::StatusCode::kResourceExhausted, v1::SOCKET_ERROR_LIMIT_EXCEEDED,
        absl::StrCat("pending Poll calls already wait on socketd's maximum of ",
                     kMaxPendingPollTargets, " handles"));
  }
  // From here the destructor gives the count back.
  auto poll = std::make_shared<PollSet>(std::move(executor), std::move(targets), deadline,
                                        std::move(done));
  if (deadline != absl::InfinitePast()) {
    const int fd = epoll_create1(EPOLL_CLOEXEC);
    if (fd < 0) return ErrnoStatus(errno, "Poll: epoll_create1");
    boost::system::error_code ec;
    poll->kernel_.assign(fd, ec);
    if (ec) {
      ::close(fd);
      return ErrnoStatus(ec.value(), "Poll: epoll descriptor");
    }
    absl::MutexLock lock(&poll->mu_);
    poll->epoll_fd_ = fd;
  }
  return poll;
}

PollSet::PollSet(asio::any_io_executor executor, std::vector<Target> targets,
                 absl::Time deadline, Done done)
    : strand_(asio::make_strand(executor)),
      targets_(std::move(targets)),
      deadline_(deadline),
      done_(std::move(done)),
      slots_(targets_.size()),
      timer_(strand_),
      kernel_(strand_) {}

PollSet::~PollSet() { pending_targets_.fetch_sub(targets_.size()); }

void PollSet::Start() {
  asio::post(strand_, [self = shared_from_this()] { self->StartOnStrand(); });
}

void PollSet::Cancel() {
  asio::post(strand_, [self = shared_from_this()] {
    self->Finish(SocketErrorStatus(absl::StatusCode::kCancelled,
                                   v1::SOCKET_ERROR_CANCELLED, "the call was cancelled"));
  });
}

bool PollSet::Ready(size_t target) const {
  return (slots_[target].events & (targets_[target].wanted | kAlwaysReported)) != 0;
}

void PollSet::Report(size_t target, uint32_t events, int fd) {
  // On the object's strand: `fd` is open now, and only now.
  const uint32_t interesting = targets_[target].wanted | kAlwaysReported;
  if (fd >= 0 && (events & interesting) == 0) Watch(target, fd);
  asio::post(strand_, [self = shared_from_this(), target, events] {
    self->OnReport(target, events);
  });
}

void PollSet::Wake(size_t target) {
  asio::post(strand_, [self = shared_from_this(), target] {
    if (self->finished_) return;
    self->Ask(target, /*watch=*/false);
  });
}

void PollSet::Watch(size_t target, int fd) {
  epoll_event event{};
  event.events = EpollEvents(targets_[target]);
  event.data.u64 = target;
  absl::MutexLock lock(&mu_);
  if (epoll_fd_ < 0) return;  // Finished, or "do not block".
  // One-shot: MOD re-arms a descriptor added before; ENOENT means it is new
  // here (a descriptor closed meanwhile left the instance by itself).
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &event) == 0) return;
  if (errno == ENOENT && epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) == 0) return;
  if (watch_errno_ == 0) {
    watch_errno_ = errno;
    asio::post(strand_, [self = shared_from_this()] {
      int error;
      {
        absl::MutexLock lock(&self->mu_);
        error = self->watch_errno_;
      }
      self->Finish(ErrnoStatus(error, "Poll: cannot watch a descriptor (epoll_ctl)"));
    });
  }
}

void PollSet::StartOnStrand() {
  if (finished_) return;  // Cancelled before it started.
  for (size_t target = 0; target < targets_.size(); ++target) {
    if (targets_[target].check) {
      Ask(target, /*watch=*/true);
    } else {
      slots_[target].events = v1::POLL_EVENT_INVALID;
    }
  }
  if (outstanding_ == 0) RoundDone();
}

void PollSet::Ask(size_t target, bool watch) {
  Slot& slot = slots_[target];
  if (slot.checking) {
    slot.again = true;
    return;
  }
  slot.checking = true;
  ++outstanding_;
  targets_[target].check(shared_from_this(), target, watch);
}

void PollSet::OnReport(size_t target, uint32_t events) {
  if (finished_) return;
  Slot& slot = slots_[target];
  slot.events = events;
  slot.checking = false;
  --outstanding_;
  if (slot.again) {
    slot.again = false;
    Ask(target, /*watch=*/false);
  }
  if (outstanding_ == 0) RoundDone();
}

void PollSet::RoundDone() {
  for (size_t target = 0; target < targets_.size(); ++target) {
    if (Ready(target)) return Finish(Collect());
  }
  if (waiting_) return;  // The kernel wait and the timer are armed already.
  waiting_ = true;
  if (deadline_ == absl::InfinitePast() || deadline_ <= absl::Now()) {
    return Finish(Collect());
  }
  if (deadline_ != absl::InfiniteFuture()) {
    timer_.expires_after(absl::ToChronoNanoseconds(deadline_ - absl::Now()));
    timer_.async_wait(asio::bind_executor(
        strand_, [self = shared_from_this()](boost::system::error_code ec) {
          if (!ec) self->Finish(self->Collect());
        }));
  }
  WaitKernel();
}

void PollSet::WaitKernel() {
  kernel_.async_wait(asio::posix::stream_descriptor::wait_read,
                     asio::bind_executor(strand_, [self = shared_from_this()](
                                                      boost::system::error_code ec) {
                       if (!ec && !self->finished_) self->OnKernelReady();
                     }));
}

void PollSet::OnKernelReady() {
  // Every descriptor reported is disabled (one-shot) until its check re-arms
  // it, so the instance goes quiet while its objects are asked.
  epoll_event events[64];
  int n;
  do {
    n = epoll_wait(kernel_.native_handle(), events, 64, 0);
    for (int i = 0; i < n; ++i) {
      const size_t target = static_cast<size_t>(events[i].data.u64);
      if (target < targets_.size()) Ask(target, /*watch=*/false);
    }
  } while (n == 64);
  WaitKernel();
}

PollSet::Outcome PollSet::Collect() const {
  Outcome outcome;
  outcome.events.reserve(slots_.size());
  bool any = false;
  for (size_t target = 0; target < slots_.size(); ++target) {
    outcome.events.push_back(slots_[target].events);
    any = any || Ready(target);
  }
  outcome.timed_out = !any;
  return outcome;
}

void PollSet::Finish(absl::StatusOr<Outcome> outcome) {
  if (finished_) return;
  finished_ = true;
  timer_.cancel();
  {
    // Closing the instance drops every registration at once; objects that
    // report later find nothing to add to.
    absl::MutexLock lock(&mu_);
    epoll_fd_ = -1;
    boost::system::error_code ignored;
    kernel_.close(ignored);
  }
  Done done = std::move(done_);
  done(std::move(outcome));
}

}  // namespace socketsvc
