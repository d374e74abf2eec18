#include "service/net/connector.h"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/socket_error.h"

namespace socketsvc {

namespace asio = boost::asio;
using asio::ip::tcp;

std::shared_ptr<Connector> Connector::Create(asio::any_io_executor executor,
                                             std::string host,
                                             std::string service, Done done) {
  return std::make_shared<Connector>(std::move(executor), std::move(host),
                                     std::move(service), std::move(done));
}

void Connector::Start(absl::Time deadline) {
  asio::post(strand_,
             [self = shared_from_this(), deadline] { self->Begin(deadline); });
}

Connector::Connector(asio::any_io_executor executor, std::string host,
                     std::string service, Done done)
    : host_(std::move(host)),
      service_(std::move(service)),
      strand_(asio::make_strand(executor)),
      resolver_(strand_),
      // The socket outlives the connector inside a Session, which makes its
      // own strand: give it the plain executor, not this strand.
      socket_(executor),
      timer_(strand_),
      done_(std::move(done)) {}

void Connector::Begin(absl::Time deadline) {
  if (finished_) return;
  if (cancelled_) return Finish(ErrorStatus({}));
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
  // An address literal with a numeric port needs no lookup: it never waits
  // behind another caller's slow DNS query.
  boost::system::error_code not_literal;
  const asio::ip::address address = asio::ip::make_address(
      std::string(absl::StripSuffix(absl::StripPrefix(host_, "["), "]")),
      not_literal);
  uint32_t port = 0;
  if (!not_literal && absl::SimpleAtoi(service_, &port) && port <= 65535) {
    return OnResolved({}, tcp::resolver::results_type::create(
                              tcp::endpoint(address, static_cast<uint16_t>(port)),
                              host_, service_));
  }
  // No AI_ADDRCONFIG: on a host with only loopback it would hide addresses.
  resolver_.async_resolve(
      host_, service_, tcp::resolver::flags(),
      [self = shared_from_this()](const boost::system::error_code& ec,
                                  tcp::resolver::results_type results) {
        self->OnResolved(ec, std::move(results));
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
  // The RPC is answered now; a lookup still running on the resolver thread
  // or a connect in flight ends later and finds the connector finished.
  resolver_.cancel();
  boost::system::error_code ignored;
  socket_.close(ignored);
  Finish(ErrorStatus({}));
}

void Connector::OnResolved(const boost::system::error_code& ec,
                           tcp::resolver::results_type results) {
  if (finished_) return;
  if (ec || timed_out_ || cancelled_) return Finish(ErrorStatus(ec));
  asio::async_connect(
      socket_, results,
      asio::bind_executor(strand_, [self = shared_from_this()](
                                       const boost::system::error_code& ec,
                                       const tcp::endpoint&) {
        self->OnConnected(ec);
      }));
}

void Connector::OnConnected(const boost::system::error_code& ec) {
  if (finished_) return;
  if (ec || timed_out_ || cancelled_) return Finish(ErrorStatus(ec));
  timer_.cancel();
  Finish(std::move(socket_));
}

void Connector::Finish(absl::StatusOr<tcp::socket> result) {
  if (finished_) return;
  finished_ = true;
  timer_.cancel();
  Done done = std::move(done_);
  done(std::move(result));
}

absl::Status Connector::ErrorStatus(const boost::system::error_code& ec) const {
  const std::string target = absl::StrCat(host_, ":", service_);
  if (timed_out_) {
    return SocketErrorStatus(absl::StatusCode::kDeadlineExceeded, v1::SOCKET_ERROR_TIMED_OUT,
                             absl::StrCat("connect ", target, ": timed out"),
                             ETIMEDOUT);
  }
  if (cancelled_) {
    return SocketErrorStatus(absl::StatusCode::kCancelled, v1::SOCKET_ERROR_CANCELLED,
                             absl::StrCat("connect ", target, ": cancelled"));
  }
  if (ec.category() == asio::error::get_netdb_category()) {
    const bool transient = ec == asio::error::host_not_found_try_again;
    return SocketErrorStatus(
        transient ? absl::StatusCode::kUnavailable : absl::StatusCode::kNotFound,
        v1::SOCKET_ERROR_HOST_NOT_FOUND,
        absl::StrCat("resolve ", host_, ": ", ec.message()));
  }
  if (ec.category() == asio::error::get_addrinfo_category()) {
    return SocketErrorStatus(
        absl::StatusCode::kInvalidArgument, v1::SOCKET_ERROR_INVALID_REQUEST,
        absl::StrCat("resolve service '", service_, "': ", ec.message()));
  }
  if (ec.category() == boost::system::system_category()) {
    return ErrnoStatus(ec.value(), absl::StrCat("connect ", target));
  }
  return SocketErrorStatus(absl::StatusCode::kInternal, v1::SOCKET_ERROR_INTERNAL_ERROR,
                           absl::StrCat("connect ", target, ": ", ec.message()));
}

}  // namespace socketsvc
