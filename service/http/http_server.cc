// HttpServer: listening, connections, counters, Stop. The request flow
// (queue, waiters, delivery, answers, timeouts) is in http_server_requests.cc.
#include "service/http/http_server.h"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/socket_error.h"

namespace socketsvc {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// The kernel's queue of connections not yet accepted.
constexpr int kBacklog = 511;
// After accept() fails (EMFILE...), try again this much later.
constexpr auto kAcceptRetry = std::chrono::milliseconds(100);

absl::Status UnknownServer() {
  return SocketErrorStatus(absl::StatusCode::kNotFound, v1::SOCKET_ERROR_INVALID_HANDLE,
                           "no such server");
}

absl::Status StoppedStatus(HttpServer::StopMode mode) {
  if (mode == HttpServer::StopMode::kShutdown) {
    return SocketErrorStatus(absl::StatusCode::kUnavailable,
                             v1::SOCKET_ERROR_SHUTTING_DOWN, "socketd is shutting down");
  }
  return SocketErrorStatus(absl::StatusCode::kAborted, v1::SOCKET_ERROR_NOT_CONNECTED,
                           "the server was deleted while the call waited");
}

}  // namespace

absl::StatusOr<std::shared_ptr<HttpServer>> HttpServer::Create(
    asio::any_io_executor executor, std::string id, std::string owner,
    std::string replica_id, HttpServerSpec spec, RequestIndex& requests) {
  auto server =
      std::make_shared<HttpServer>(std::move(executor), std::move(id), std::move(owner),
                                   std::move(replica_id), std::move(spec), requests);
  tcp::acceptor& acceptor = server->acceptor_;
  const tcp::endpoint& endpoint = server->spec_.endpoint;
  const std::string where =
      absl::StrCat(endpoint.address().to_string(), " port ", endpoint.port());
  boost::system::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (ec) return ErrnoStatus(ec.value(), absl::StrCat("socket for ", where));
  acceptor.bind(endpoint, ec);
  if (ec) return ErrnoStatus(ec.value(), absl::StrCat("bind ", where));
  acceptor.listen(kBacklog, ec);
  if (ec) return ErrnoStatus(ec.value(), absl::StrCat("listen on ", where));
  const tcp::endpoint bound = acceptor.local_endpoint(ec);
  if (ec) return ErrnoStatus(ec.value(), absl::StrCat("getsockname for ", where));
  server->bound_address_ = bound.address().to_string();
  server->port_ = bound.port();
  return server;
}

HttpServer::HttpServer(asio::any_io_executor executor, std::string id, std::string owner,
                       std::string replica_id, HttpServerSpec spec,
                       RequestIndex& requests)
    : executor_(executor),
      strand_(asio::make_strand(executor)),
      id_(std::move(id)),
      owner_(std::move(owner)),
      replica_id_(std::move(replica_id)),
      spec_(std::move(spec)),
      requests_(requests),
      acceptor_(strand_),
      accept_retry_(strand_) {}

// Nothing here may touch `requests_`: the last reference can be dropped
// while socketd's io_context is destroyed, after the table.
HttpServer::~HttpServer() = default;

void HttpServer::Start() {
  Post([self = shared_from_this()] { self->Accept(); });
}

void HttpServer::Accept() {
  if (stopped_) return;
  // Each connection gets a strand of its own on the shared pool.
  acceptor_.async_accept(
      asio::make_strand(executor_),
      asio::bind_executor(strand_, [self = shared_from_this()](
                                       boost::system::error_code ec, tcp::socket socket) {
        self->OnAccept(ec, std::move(socket));
      }));
}

void HttpServer::OnAccept(boost::system::error_code ec, tcp::socket socket) {
  if (stopped_ || ec == asio::error::operation_aborted) return;
  if (ec) {
    // Out of descriptors or memory: the pending connection stays in the
    // backlog; try again shortly instead of spinning.
    accept_retry_.expires_after(kAcceptRetry);
    accept_retry_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec) self->Accept();
    });
    return;
  }
  counters_.set_connections_accepted(counters_.connections_accepted() + 1);
  if (connections_.size() >= spec_.limits.max_connections) {
    // Closed at once: a client's connect succeeds and it reads EOF.
    counters_.set_rejected_connections(counters_.rejected_connections() + 1);
    boost::system::error_code ignored;
    socket.close(ignored);
  } else {
    std::shared_ptr<HttpConnection> connection =
        spec_.tls ? HttpConnection::CreateTls(std::move(socket), spec_.tls, spec_.limits,
                                              shared_from_this())
                  : HttpConnection::CreatePlain(std::move(socket), spec_.limits,
                                                shared_from_this());
    connections_.emplace(connection.get(), connection);
    connection->Start();
  }
  Accept();
}

void HttpServer::GetInfo(absl::AnyInvocable<void(absl::StatusOr<v1::ServerInfo>)> done) {
  Post([self = shared_from_this(), done = std::move(done)]() mutable {
    if (self->stopped_) return done(UnknownServer());
    v1::ServerInfo info = self->counters_;
    info.set_server_id(self->id_);
    info.set_bound_address(self->bound_address_);
    info.set_port(self->port_);
    info.set_tls(self->spec_.tls != nullptr);
    info.set_open_connections(static_cast<uint32_t>(self->connections_.size()));
    info.set_queued_requests(static_cast<uint32_t>(self->queue_.size()));
    info.set_delivered_requests(static_cast<uint32_t>(self->delivered_.size()));
    info.set_waiting_receivers(static_cast<uint32_t>(self->waiters_.size()));
    done(std::move(info));
  });
}

void HttpServer::Stop(StopMode mode, absl::AnyInvocable<void(uint32_t)> done) {
  Post([self = shared_from_this(), mode, done = std::move(done)]() mutable {
    uint32_t rejected = 0;
    if (!self->stopped_) {
      self->stopped_ = true;
      self->poll_watchers_.WakeAll();  // POLL_EVENT_INVALID from now on.
      boost::system::error_code ignored;
      self->acceptor_.close(ignored);
      self->accept_retry_.cancel();
      std::deque<std::shared_ptr<ReceiveWaiter>> waiters;
      waiters.swap(self->waiters_);
      for (auto& waiter : waiters) waiter->Finish(StoppedStatus(mode));
      std::vector<std::shared_ptr<HttpRequest>> pending(self->queue_.begin(),
                                                        self->queue_.end());
      for (auto& [handle, request] : self->delivered_) pending.push_back(request);
      for (auto& request : pending) {
        self->Detach(*request);
        self->AnswerOwn(*request, 503, /*close=*/true);
        ++rejected;
      }
      // After the 503s above: a connection's strand runs them in this order.
      for (auto& [raw, weak] : self->connections_) {
        if (auto connection = weak.lock()) connection->Stop(mode == StopMode::kDelete);
      }
    }
    if (done) done(rejected);
  });
}

void HttpServer::OnRejected(unsigned status) {
  Post([self = shared_from_this(), status] {
    v1::ServerInfo& c = self->counters_;
    switch (status) {
      case 431:
        c.set_rejected_headers_too_large(c.rejected_headers_too_large() + 1);
        break;
      case 413:
        c.set_rejected_body_too_large(c.rejected_body_too_large() + 1);
        break;
      case 501:
      case 505:
        c.set_rejected_not_implemented(c.rejected_not_implemented() + 1);
        break;
      default:
        c.set_rejected_bad_request(c.rejected_bad_request() + 1);
        break;
    }
  });
}

void HttpServer::OnHandshakeFailed() {
  Post([self = shared_from_this()] {
    self->counters_.set_tls_handshake_failures(self->counters_.tls_handshake_failures() +
                                               1);
  });
}

void HttpServer::OnClientGone(std::shared_ptr<HttpConnection> connection) {
  // A queued request of a vanished client is dropped: nobody could get the
  // answer. A delivered one stays until ServerSend, which then reports it.
  Post([self = shared_from_this(), connection = std::move(connection)] {
    std::vector<std::shared_ptr<HttpRequest>> dropped;
    for (const auto& request : self->queue_) {
      if (request->connection == connection) dropped.push_back(request);
    }
    for (auto& request : dropped) {
      self->Detach(*request);
      request->connection.reset();
    }
  });
}

void HttpServer::OnClosed(std::shared_ptr<HttpConnection> connection) {
  // Holding the connection until the erase keeps its address from being
  // reused by a new connection in between.
  Post([self = shared_from_this(), connection = std::move(connection)] {
    self->connections_.erase(connection.get());
  });
}

}  // namespace socketsvc
