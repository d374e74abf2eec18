// HttpServer's request flow: parsed requests are queued, handed to waiting
// ServerReceives in FIFO order, answered by ServerSend or by socketd (504,
// 503), or given back when their ServerReceive never reached its caller.
// Everything here runs on the server's strand.
#include <algorithm>
#include <boost/asio/post.hpp>

#include "common/socket_error.h"
#include "service/http/http_server.h"
#include "service/sessions/handle.h"

namespace socketsvc {
namespace {

namespace asio = boost::asio;

absl::Status UnknownRequest() {
  return SocketErrorStatus(absl::StatusCode::kNotFound, v1::SOCKET_ERROR_INVALID_HANDLE,
                           "no such request (unknown, already answered or timed out)");
}

absl::Status UnknownServer() {
  return SocketErrorStatus(absl::StatusCode::kNotFound, v1::SOCKET_ERROR_INVALID_HANDLE,
                           "no such server");
}

absl::Status Cancelled() {
  return SocketErrorStatus(absl::StatusCode::kCancelled, v1::SOCKET_ERROR_CANCELLED,
                           "the call was cancelled");
}

}  // namespace

bool ReceiveWaiter::TakeRequest(const std::shared_ptr<HttpRequest>& request) {
  if (finished_) return false;
  if (!take_(request)) return false;
  finished_ = true;
  if (timer_) timer_->cancel();
  return true;
}

void ReceiveWaiter::Finish(const absl::Status& status) {
  if (finished_) return;
  finished_ = true;
  if (timer_) timer_->cancel();
  end_(status);
}

void HttpServer::OnRequest(std::shared_ptr<HttpConnection> connection,
                           ParsedRequest parsed) {
  Post([self = shared_from_this(), connection = std::move(connection),
        parsed = std::move(parsed)]() mutable {
    auto request = std::make_shared<HttpRequest>();
    request->message = std::move(parsed.message);
    request->facts = parsed.facts;
    request->connection = std::move(connection);
    if (self->stopped_) return self->AnswerOwn(*request, 503, /*close=*/true);
    if (self->queue_.size() + self->delivered_.size() >=
        self->spec_.limits.max_pending_requests) {
      self->counters_.set_rejected_queue_full(self->counters_.rejected_queue_full() + 1);
      return self->AnswerOwn(*request, 503, /*close=*/true);
    }
    request->timer = std::make_unique<asio::steady_timer>(self->strand_);
    request->timer->expires_after(
        absl::ToChronoNanoseconds(self->spec_.limits.response_timeout));
    request->timer->async_wait([self, request](boost::system::error_code ec) {
      if (!ec) self->OnResponseTimeout(request);
    });
    self->queue_.push_back(std::move(request));
    self->Dispatch();
    if (!self->queue_.empty()) self->poll_watchers_.WakeAll();
  });
}

void HttpServer::Dispatch() {
  while (!queue_.empty() && !waiters_.empty()) {
    std::shared_ptr<ReceiveWaiter> waiter = std::move(waiters_.front());
    waiters_.pop_front();
    const std::shared_ptr<HttpRequest>& request = queue_.front();
    // A fresh handle per delivery: one given back is never valid again.
    request->handle = NewHandle(HandleKind::kHttpRequest, replica_id_);
    request->message.set_request_handle(request->handle);
    requests_.Add(request->handle, weak_from_this());
    request->state = HttpRequest::State::kDelivered;
    delivered_.emplace(request->handle, request);
    // TakeRequest may hand `message` to the RPC: nothing here reads it later.
    if (waiter->TakeRequest(request)) {
      counters_.set_requests_received(counters_.requests_received() + 1);
      queue_.pop_front();
      continue;
    }
    delivered_.erase(request->handle);
    requests_.Remove(request->handle);
    request->state = HttpRequest::State::kQueued;
    request->handle.clear();
    waiter->Finish(Cancelled());
  }
}

void HttpServer::Receive(std::shared_ptr<ReceiveWaiter> waiter) {
  Post([self = shared_from_this(), waiter = std::move(waiter)] {
    if (waiter->finished()) return;  // Cancelled before it got here.
    if (self->stopped_) return waiter->Finish(UnknownServer());
    self->waiters_.push_back(waiter);
    self->Dispatch();
    if (waiter->finished()) return;
    if (waiter->deadline() <= absl::Now()) {
      self->RemoveWaiter(waiter);
      return waiter->Finish(absl::OkStatus());  // Timed out: nothing queued.
    }
    self->ArmWaiter(waiter);
  });
}

void HttpServer::ArmWaiter(const std::shared_ptr<ReceiveWaiter>& waiter) {
  if (waiter->deadline() == absl::InfiniteFuture()) return;
  waiter->timer() = std::make_unique<asio::steady_timer>(strand_);
  waiter->timer()->expires_after(absl::ToChronoNanoseconds(
      std::max(waiter->deadline() - absl::Now(), absl::ZeroDuration())));
  // The timer belongs to the waiter: capture it weakly, not in a cycle.
  waiter->timer()->async_wait(
      [self = shared_from_this(),
       weak = std::weak_ptr<ReceiveWaiter>(waiter)](boost::system::error_code ec) {
        std::shared_ptr<ReceiveWaiter> waiter = weak.lock();
        if (ec || !waiter || waiter->finished()) return;
        self->RemoveWaiter(waiter);
        waiter->Finish(absl::OkStatus());
      });
}

void HttpServer::RemoveWaiter(const std::shared_ptr<ReceiveWaiter>& waiter) {
  auto it = std::find(waiters_.begin(), waiters_.end(), waiter);
  if (it != waiters_.end()) waiters_.erase(it);
}

void HttpServer::CancelReceive(std::shared_ptr<ReceiveWaiter> waiter) {
  Post([self = shared_from_this(), waiter = std::move(waiter)] {
    self->RemoveWaiter(waiter);
    waiter->Finish(Cancelled());
  });
}

void HttpServer::Requeue(std::shared_ptr<HttpRequest> request, std::string handle) {
  Post([self = shared_from_this(), request = std::move(request),
        handle = std::move(handle)] {
    if (request->state != HttpRequest::State::kDelivered || request->handle != handle) {
      return;  // Answered by socketd meanwhile (504, 503).
    }
    self->delivered_.erase(handle);
    self->requests_.Remove(handle);
    request->handle.clear();
    request->message.clear_request_handle();
    request->state = HttpRequest::State::kQueued;
    self->counters_.set_requests_received(self->counters_.requests_received() - 1);
    self->queue_.push_front(request);
    self->Dispatch();
    if (!self->queue_.empty()) self->poll_watchers_.WakeAll();
  });
}

void HttpServer::Send(std::string handle, const v1::ServerSendRequest* send,
                      absl::Time deadline, HttpConnection::WriteDone done) {
  Post([self = shared_from_this(), handle = std::move(handle), send, deadline,
        done = std::move(done)]() mutable {
    // Cancelled before it got here: it leaves the request for another answer.
    if (self->cancelled_sends_.erase(handle) > 0) return done(Cancelled());
    auto it = self->delivered_.find(handle);
    if (it == self->delivered_.end()) return done(UnknownRequest());
    std::shared_ptr<HttpRequest> request = it->second;
    // Invalid answers leave the request waiting for a valid one.
    absl::StatusOr<HttpResponse> response =
        BuildResponse(*send, request->facts, self->spec_.keep_alive && !self->stopped_,
                      self->spec_.max_response_body_bytes, absl::Now());
    if (!response.ok()) return done(response.status());
    self->Detach(*request);
    std::shared_ptr<HttpConnection> connection = std::move(request->connection);
    self->writing_.emplace(handle, connection);
    connection->Respond(
        std::move(*response), deadline,
        [self, handle, done = std::move(done)](absl::StatusOr<uint64_t> sent) mutable {
          asio::post(self->strand_, [self, handle, done = std::move(done),
                                     sent = std::move(sent)]() mutable {
            self->writing_.erase(handle);
            if (sent.ok()) {
              self->counters_.set_responses_sent(self->counters_.responses_sent() + 1);
            }
            done(std::move(sent));
          });
        });
  });
}

void HttpServer::CancelSend(std::string handle) {
  Post([self = shared_from_this(), handle = std::move(handle)] {
    auto it = self->writing_.find(handle);
    if (it != self->writing_.end()) {
      if (std::shared_ptr<HttpConnection> connection = it->second.lock()) {
        connection->CancelWrite();
      }
    } else if (self->delivered_.contains(handle)) {
      // The cancellation overtook its ServerSend, which is posted already.
      self->cancelled_sends_.insert(std::move(handle));
    }
  });
}

void HttpServer::OnResponseTimeout(const std::shared_ptr<HttpRequest>& request) {
  if (request->state == HttpRequest::State::kDone) return;
  Detach(*request);
  counters_.set_response_timeouts(counters_.response_timeouts() + 1);
  // The request was read completely: the connection may stay.
  AnswerOwn(*request, 504, !spec_.keep_alive || !request->facts.keep_alive);
}

void HttpServer::Detach(HttpRequest& request) {
  if (request.state == HttpRequest::State::kQueued) {
    auto it = std::find_if(queue_.begin(), queue_.end(),
                           [&](const auto& queued) { return queued.get() == &request; });
    if (it != queue_.end()) queue_.erase(it);
  } else if (request.state == HttpRequest::State::kDelivered) {
    delivered_.erase(request.handle);
    requests_.Remove(request.handle);
  }
  request.state = HttpRequest::State::kDone;
  if (request.timer) request.timer->cancel();
}

void HttpServer::AnswerOwn(HttpRequest& request, unsigned status, bool close) {
  std::shared_ptr<HttpConnection> connection = std::move(request.connection);
  if (!connection) return;
  connection->Respond(BuildOwnResponse(status, request.facts, close, absl::Now()),
                      absl::Now() + spec_.limits.idle_timeout, nullptr);
}

void HttpServer::CheckPoll(std::shared_ptr<PollWaiter> waiter, size_t target,
                           bool watch) {
  Post([self = shared_from_this(), waiter = std::move(waiter), target, watch] {
    if (self->stopped_) return waiter->Report(target, v1::POLL_EVENT_INVALID, -1);
    if (watch) self->poll_watchers_.Add(waiter, target);
    // No descriptor: the queue is socketd's own; OnRequest and Requeue wake.
    waiter->Report(target, self->queue_.empty() ? 0 : v1::POLL_EVENT_READABLE, -1);
  });
}

}  // namespace socketsvc
