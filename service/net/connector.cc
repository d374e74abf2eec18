#include "service/net/connector.h"

#include <algorithm>
#include <cerrno>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>

#include "absl/strings/str_cat.h"
#include "common/socket_error.h"

namespace socketsvc {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// "[::1]:80", "127.0.0.1:80".
std::string EndpointText(const tcp::endpoint& endpoint) {
  const std::string address = endpoint.address().to_string();
  return endpoint.address().is_v6()
             ? absl::StrCat("[", address, "]:", endpoint.port())
             : absl::StrCat(address, ":", endpoint.port());
}

// Failures the remote end (or the path to it) caused, as opposed to this
// host having no route or no address of that family.
bool RemoteCaused(const boost::system::error_code& ec) {
  if (ec.category() != boost::system::system_category()) return false;
  switch (ec.value()) {
    case ECONNREFUSED:
    case ECONNRESET:
    case ECONNABORTED:
    case ETIMEDOUT:
    case EHOSTUNREACH:
    case EHOSTDOWN:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::shared_ptr<Connector> Connector::Create(Resolver& resolver,
                                             asio::any_io_executor executor,
                                             std::string host,
                                             std::string service, Done done,
                                             EndpointCheck check) {
  return std::make_shared<Connector>(resolver, std::move(executor),
                                     std::move(host), std::move(service),
                                     std::move(done), std::move(check));
}

Connector::Connector(Resolver& resolver, asio::any_io_executor executor,
                     std::string host, std::string service, Done done,
                     EndpointCheck check)
    : resolver_(resolver),
      host_(std::move(host)),
      service_(std::move(service)),
      check_(std::move(check)),
      executor_(executor),
      strand_(asio::make_strand(executor)),
      timer_(strand_),
      stagger_(strand_),
      done_(std::move(done)) {}

Endpoints Connector::Interleave(const Endpoints& endpoints) {
  Endpoints v6;
  Endpoints v4;
  for (const tcp::endpoint& endpoint : endpoints) {
    (endpoint.address().is_v6() ? v6 : v4).push_back(endpoint);
  }
  Endpoints ordered;
  ordered.reserve(endpoints.size());
  for (size_t i = 0; i < std::max(v6.size(), v4.size()); ++i) {
    if (i < v6.size()) ordered.push_back(v6[i]);
    if (i < v4.size()) ordered.push_back(v4[i]);
  }
  return ordered;
}

void Connector::Start(absl::Time deadline) {
  asio::post(strand_,
             [self = shared_from_this(), deadline] { self->Begin(deadline); });
}

void Connector::Begin(absl::Time deadline) {
  if (finished_) return;
  if (cancelled_) return Finish(ErrorStatus());
  if (deadline != absl::InfiniteFuture()) {
    const absl::Duration left =
        std::max(deadline - absl::Now(), absl::ZeroDuration());
    timer_.expires_after(absl::ToChronoNanoseconds(left));
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || self->finished_) return;
      self->timed_out_ = true;
      self->Abandon();
    });
  }
  // Literals and "localhost" with a numeric port are answered without a
  // resolver thread: they never wait behind another caller's slow lookup.
  lookup_ = resolver_.Lookup(
      host_, service_, deadline, strand_,
      [self = shared_from_this()](absl::StatusOr<Endpoints> endpoints) {
        self->OnResolved(std::move(endpoints));
      });
}

void Connector::Cancel() {
  asio::post(strand_, [self = shared_from_this()] {
    if (self->finished_) return;
    self->cancelled_ = true;
    self->Abandon();
  });
}

void Connector::Abandon() {
  // The RPC is answered now; a lookup still running on a resolver thread or
  // a connect in flight ends later and finds the connector finished.
  if (lookup_ != 0) resolver_.Cancel(lookup_);
  lookup_ = 0;
  CloseAttempts();
  Finish(ErrorStatus());
}

void Connector::OnResolved(absl::StatusOr<Endpoints> endpoints) {
  lookup_ = 0;
  if (finished_) return;
  // The resolver's status already names the host and the socket error
  // (HOST_NOT_FOUND, INVALID_REQUEST for a bad service, TIMED_OUT).
  if (!endpoints.ok()) return Finish(endpoints.status());
  endpoints_ = Interleave(*endpoints);
  if (check_) {
    // Judged here, after the lookup and before any connect: every address
    // the name has now, not the ones it had when someone looked earlier.
    Endpoints allowed;
    for (const tcp::endpoint& endpoint : endpoints_) {
      absl::Status verdict = check_(endpoint);
      if (verdict.ok()) {
        allowed.push_back(endpoint);
        continue;
      }
      if (denied_++ == 0) first_denial_ = std::move(verdict);
    }
    endpoints_ = std::move(allowed);
    if (endpoints_.empty() && denied_ > 0) {
      return Finish(SocketErrorStatus(
          first_denial_.code(), GetSocketError(first_denial_),
          absl::StrCat("connect ", host_, ":", service_, ": ",
                       first_denial_.message(),
                       denied_ > 1 ? absl::StrCat(" (", denied_,
                                                  " addresses, all denied)")
                                   : "")));
    }
  }
  StartNextAttempt();
}

void Connector::StartNextAttempt() {
  const size_t index = attempts_.size();
  if (finished_ || index >= endpoints_.size()) return;
  attempts_.push_back(Attempt{endpoints_[index],
                              std::make_unique<tcp::socket>(executor_), {}});
  tcp::socket& socket = *attempts_.back().socket;
  boost::system::error_code ec;
  socket.open(endpoints_[index].protocol(), ec);
  if (ec) return OnAttemptDone(index, ec);  // No IPv6 here, out of fds, ...
  socket.async_connect(
      endpoints_[index],
      asio::bind_executor(strand_, [self = shared_from_this(), index](
                                       const boost::system::error_code& ec) {
        self->OnAttemptDone(index, ec);
      }));
  if (attempts_.size() < endpoints_.size()) {
    const size_t generation = ++stagger_generation_;
    stagger_.expires_after(absl::ToChronoNanoseconds(kStagger));
    stagger_.async_wait([self = shared_from_this(),
                         generation](boost::system::error_code ec) {
      if (ec || self->finished_ ||
          generation != self->stagger_generation_) {
        return;
      }
      self->StartNextAttempt();
    });
  }
}

void Connector::OnAttemptDone(size_t index, const boost::system::error_code& ec) {
  if (finished_) return;
  Attempt& attempt = attempts_[index];
  if (!ec) {
    tcp::socket socket = std::move(*attempt.socket);
    CloseAttempts();
    return Finish(std::move(socket));
  }
  attempt.error = ec;
  boost::system::error_code ignored;
  attempt.socket->close(ignored);
  // A failure starts the next address at once instead of after the stagger.
  if (attempts_.size() < endpoints_.size()) {
    ++stagger_generation_;
    stagger_.cancel();
    return StartNextAttempt();
  }
  for (const Attempt& a : attempts_) {
    if (!a.error) return;  // Still connecting.
  }
  Finish(ErrorStatus());
}

void Connector::CloseAttempts() {
  for (Attempt& attempt : attempts_) {
    boost::system::error_code ignored;
    attempt.socket->close(ignored);
  }
}

void Connector::Finish(absl::StatusOr<tcp::socket> result) {
  if (finished_) return;
  finished_ = true;
  timer_.cancel();
  stagger_.cancel();
  Done done = std::move(done_);
  done(std::move(result));
}

absl::Status Connector::ErrorStatus() const {
  const std::string target = absl::StrCat(host_, ":", service_);
  if (timed_out_) {
    return SocketErrorStatus(absl::StatusCode::kDeadlineExceeded,
                             v1::SOCKET_ERROR_TIMED_OUT,
                             absl::StrCat("connect ", target, ": timed out"),
                             ETIMEDOUT);
  }
  if (cancelled_) {
    return SocketErrorStatus(absl::StatusCode::kCancelled,
                             v1::SOCKET_ERROR_CANCELLED,
                             absl::StrCat("connect ", target, ": cancelled"));
  }
  // The first failure, in address order, that the remote end caused; else
  // the first failure.
  const Attempt* chosen = nullptr;
  for (const Attempt& attempt : attempts_) {
    if (!attempt.error) continue;
    if (chosen == nullptr ||
        (RemoteCaused(attempt.error) && !RemoteCaused(chosen->error))) {
      chosen = &attempt;
    }
  }
  if (chosen == nullptr) {
    return SocketErrorStatus(absl::StatusCode::kInternal,
                             v1::SOCKET_ERROR_INTERNAL_ERROR,
                             absl::StrCat("connect ", target, ": no attempt"));
  }
  // "connect localhost:8080 at 127.0.0.1:8080 (2 addresses tried)".
  std::string tried;
  if (attempts_.size() > 1 || denied_ > 0) {
    tried = absl::StrCat(" (", attempts_.size(),
                         attempts_.size() == 1 ? " address" : " addresses",
                         " tried",
                         denied_ > 0 ? absl::StrCat(", ", denied_,
                                                    " denied by policy")
                                     : "",
                         ")");
  }
  const std::string context = absl::StrCat(
      "connect ", target, " at ", EndpointText(chosen->endpoint), tried);
  if (chosen->error.category() == boost::system::system_category()) {
    return ErrnoStatus(chosen->error.value(), context);
  }
  return SocketErrorStatus(absl::StatusCode::kInternal,
                           v1::SOCKET_ERROR_INTERNAL_ERROR,
                           absl::StrCat(context, ": ", chosen->error.message()));
}

}  // namespace socketsvc
