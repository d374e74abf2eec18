#include "service/sessions/listener.h"

#include <poll.h>

#include <algorithm>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "absl/strings/str_cat.h"
#include "common/socket_error.h"

namespace socketsvc {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

constexpr uint32_t kDefaultBacklog = 128;

absl::Status SystemError(const boost::system::error_code& ec,
                         absl::string_view context) {
  if (ec.category() == boost::system::system_category()) {
    return ErrnoStatus(ec.value(), context);
  }
  return SocketErrorStatus(absl::StatusCode::kInternal,
                           v1::SOCKET_ERROR_INTERNAL_ERROR,
                           absl::StrCat(context, ": ", ec.message()));
}

}  // namespace

absl::StatusOr<std::shared_ptr<Listener>> Listener::Create(
    asio::any_io_executor executor, std::string handle, std::string owner,
    const tcp::endpoint& bind, uint32_t backlog, size_t max_queued_accepts) {
  auto listener = std::make_shared<Listener>(std::move(executor), std::move(handle),
                                             std::move(owner), max_queued_accepts);
  boost::system::error_code ec;
  tcp::acceptor& acceptor = listener->acceptor_;
  const std::string where = absl::StrCat("listen on ", bind.address().to_string(),
                                         ":", bind.port());
  acceptor.open(bind.protocol(), ec);
  if (ec) return SystemError(ec, where);
  // A restarted caller can listen again on its port while old connections
  // linger in TIME_WAIT; two live listeners on one port stay impossible.
  acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (bind.protocol() == tcp::v6()) acceptor.set_option(asio::ip::v6_only(true), ec);
  acceptor.bind(bind, ec);
  if (ec) return SystemError(ec, where);
  acceptor.listen(static_cast<int>(backlog == 0 ? kDefaultBacklog
                                                : std::min<uint32_t>(backlog, 65535)),
                  ec);
  if (ec) return SystemError(ec, where);
  acceptor.non_blocking(true, ec);
  listener->local_ = acceptor.local_endpoint(ec);
  return listener;
}

Listener::Listener(asio::any_io_executor executor, std::string handle,
                   std::string owner, size_t max_queued_accepts)
    : handle_(std::move(handle)),
      owner_(std::move(owner)),
      max_queued_accepts_(max_queued_accepts),
      created_(absl::Now()),
      io_executor_(executor),
      strand_(asio::make_strand(executor)),
      acceptor_(strand_) {}

void Listener::SetReleaseHook(absl::AnyInvocable<void()> hook) {
  asio::post(strand_, [self = shared_from_this(), hook = std::move(hook)]() mutable {
    if (self->released_) return hook();
    self->release_hook_ = std::move(hook);
  });
}

void Listener::StartAccept(std::shared_ptr<AcceptCall> call) {
  asio::post(strand_, [self = shared_from_this(), call = std::move(call)] {
    if (call->finished()) return;
    if (self->released_) {
      return call->Finish(SocketErrorStatus(absl::StatusCode::kNotFound,
                                            v1::SOCKET_ERROR_INVALID_HANDLE,
                                            "no such handle"));
    }
    if (self->accepts_.size() > self->max_queued_accepts_) {
      return call->Finish(SocketErrorStatus(
          absl::StatusCode::kResourceExhausted, v1::SOCKET_ERROR_HANDLE_BUSY,
          absl::StrCat("more than ", self->max_queued_accepts_,
                       " Accept calls are already waiting on the listener "
                       "(--max_queued_accepts)")));
    }
    self->accepts_.push_back(call);
    if (self->accepts_.size() == 1) self->Pump();
    if (call->finished() || call->deadline() == absl::InfiniteFuture()) return;
    const absl::Duration left =
        std::max(call->deadline() - absl::Now(), absl::ZeroDuration());
    call->timer() = std::make_unique<asio::steady_timer>(self->strand_);
    call->timer()->expires_after(absl::ToChronoNanoseconds(left));
    call->timer()->async_wait(
        asio::bind_executor(self->strand_, [self, call](boost::system::error_code ec) {
          if (!ec) self->OnDeadline(call);
        }));
  });
}

void Listener::OnDeadline(const std::shared_ptr<AcceptCall>& call) {
  if (call->finished()) return;
  accepts_.erase(std::find(accepts_.begin(), accepts_.end(), call));
  // A timeout is an answer, not an error: AcceptResponse.timed_out.
  call->Finish(SocketErrorStatus(absl::StatusCode::kDeadlineExceeded,
                                 v1::SOCKET_ERROR_TIMED_OUT, "no connection came in time"));
}

void Listener::Cancel(std::shared_ptr<PendingCall> call) {
  asio::post(strand_, [self = shared_from_this(), call] {
    auto accept = std::dynamic_pointer_cast<AcceptCall>(call);
    if (!accept || accept->finished()) return;
    auto it = std::find(self->accepts_.begin(), self->accepts_.end(), accept);
    if (it != self->accepts_.end()) self->accepts_.erase(it);
    accept->Finish(SocketErrorStatus(absl::StatusCode::kCancelled,
                                     v1::SOCKET_ERROR_CANCELLED, "the call was cancelled"));
  });
}

void Listener::Pump() {
  while (!accepts_.empty() && !released_) {
    tcp::socket socket(io_executor_);
    tcp::endpoint peer;
    boost::system::error_code ec;
    acceptor_.accept(socket, peer, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      if (accepts_.front()->deadline() == absl::InfinitePast()) {
        std::shared_ptr<AcceptCall> head = accepts_.front();
        accepts_.pop_front();
        head->Finish(SocketErrorStatus(absl::StatusCode::kDeadlineExceeded,
                                       v1::SOCKET_ERROR_TIMED_OUT,
                                       "no connection is waiting"));
        continue;
      }
      return WaitAcceptable();
    }
    if (ec == asio::error::connection_aborted) continue;  // Gone before we took it.
    std::shared_ptr<AcceptCall> head = accepts_.front();
    accepts_.pop_front();
    if (ec) {
      head->Finish(SystemError(ec, "accept"));
      continue;
    }
    ++accepted_;
    head->Finish(AcceptResult{std::move(socket), peer});
  }
}

void Listener::WaitAcceptable() {
  if (wait_armed_ || released_) return;
  wait_armed_ = true;
  acceptor_.async_wait(tcp::acceptor::wait_read,
                       asio::bind_executor(strand_, [self = shared_from_this()](
                                                        boost::system::error_code) {
                         self->wait_armed_ = false;
                         if (!self->released_) self->Pump();
                       }));
}

void Listener::Close(absl::AnyInvocable<void()> done) {
  asio::post(strand_, [self = shared_from_this(), done = std::move(done)]() mutable {
    self->Release(SocketErrorStatus(absl::StatusCode::kAborted,
                                    v1::SOCKET_ERROR_NOT_CONNECTED,
                                    "the listener was closed while the call was pending"));
    done();
  });
}

void Listener::Shutdown() {
  asio::post(strand_, [self = shared_from_this()] {
    self->Release(SocketErrorStatus(absl::StatusCode::kUnavailable,
                                    v1::SOCKET_ERROR_SHUTTING_DOWN,
                                    "socketd is shutting down"));
  });
}

void Listener::Release(const absl::Status& pending_status) {
  if (released_) return;
  released_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  std::deque<std::shared_ptr<AcceptCall>> calls;
  calls.swap(accepts_);
  for (auto& call : calls) call->Finish(pending_status);
  poll_watchers_.WakeAll();
  if (release_hook_) {
    auto hook = std::move(release_hook_);
    hook();
  }
}

void Listener::CheckPoll(std::shared_ptr<PollWaiter> waiter, size_t target,
                         bool watch) {
  asio::post(strand_, [self = shared_from_this(), waiter = std::move(waiter), target,
                       watch] {
    if (self->released_) return waiter->Report(target, v1::POLL_EVENT_INVALID, -1);
    if (watch) self->poll_watchers_.Add(waiter, target);
    const int fd = self->acceptor_.native_handle();
    pollfd kernel{fd, POLLIN, 0};
    const bool waiting = ::poll(&kernel, 1, 0) > 0 && (kernel.revents & POLLIN) != 0;
    waiter->Report(target, waiting ? v1::POLL_EVENT_ACCEPTABLE : 0, fd);
  });
}

void Listener::GetInfo(absl::AnyInvocable<void(absl::StatusOr<v1::SocketInfo>)> done) {
  asio::post(strand_, [self = shared_from_this(), done = std::move(done)]() mutable {
    if (self->released_) {
      return done(SocketErrorStatus(absl::StatusCode::kNotFound,
                                    v1::SOCKET_ERROR_INVALID_HANDLE, "no such handle"));
    }
    v1::SocketInfo info;
    info.set_handle(self->handle_);
    info.set_state(v1::SOCKET_STATE_LISTENING);
    info.set_local_address(self->local_.address().to_string());
    info.set_local_port(self->local_.port());
    info.set_age_ms(absl::ToInt64Milliseconds(absl::Now() - self->created_));
    info.set_pending_accepts(static_cast<uint32_t>(self->accepts_.size()));
    info.set_connections_accepted(self->accepted_);
    done(std::move(info));
  });
}

}  // namespace socketsvc
