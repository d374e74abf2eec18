#include "service/net/dialer.h"

#include <boost/asio/post.hpp>

#include "common/socket_error.h"
#include "service/net/tcp_transport.h"

namespace socketsvc {

namespace asio = boost::asio;

std::shared_ptr<Dialer> Dialer::Create(Resolver& resolver,
                                       asio::any_io_executor executor,
                                       std::string host, std::string service,
                                       std::optional<TlsClientSetup> tls, Done done,
                                       EndpointCheck check) {
  return std::make_shared<Dialer>(resolver, std::move(executor), std::move(host),
                                  std::move(service), std::move(tls), std::move(done),
                                  std::move(check));
}

Dialer::Dialer(Resolver& resolver, asio::any_io_executor executor,
               std::string host, std::string service,
               std::optional<TlsClientSetup> tls, Done done, EndpointCheck check)
    : resolver_(resolver),
      executor_(executor),
      strand_(asio::make_strand(executor)),
      host_(std::move(host)),
      service_(std::move(service)),
      check_(std::move(check)),
      tls_setup_(std::move(tls)),
      done_(std::move(done)) {}

void Dialer::Start(absl::Time deadline) {
  asio::post(strand_, [self = shared_from_this(), deadline] {
    if (self->finished_) return;
    self->deadline_ = deadline;
    self->connector_ = Connector::Create(
        self->resolver_, self->executor_, self->host_, self->service_,
        [self](absl::StatusOr<asio::ip::tcp::socket> socket) mutable {
          asio::post(self->strand_, [self, socket = std::move(socket)]() mutable {
            self->OnConnected(std::move(socket));
          });
        },
        self->check_);
    self->connector_->Start(deadline);
  });
}

void Dialer::Cancel() {
  asio::post(strand_, [self = shared_from_this()] {
    if (self->finished_) return;
    self->cancelled_ = true;
    if (self->connector_) self->connector_->Cancel();
    if (self->handshake_) self->handshake_->Cancel();
    if (!self->connector_) {
      self->Finish(SocketErrorStatus(absl::StatusCode::kCancelled,
                                     v1::SOCKET_ERROR_CANCELLED,
                                     "connect cancelled"));
    }
  });
}

void Dialer::OnConnected(absl::StatusOr<asio::ip::tcp::socket> socket) {
  connector_.reset();
  if (finished_) return;
  if (!socket.ok()) return Finish(socket.status());
  // Callers of a socket service send whole messages and expect them to
  // leave at once; bulk senders fill segments anyway.
  boost::system::error_code ignored;
  socket->set_option(asio::ip::tcp::no_delay(true), ignored);
  auto tcp = std::make_unique<TcpTransport>(std::move(*socket));
  if (!tls_setup_) return Finish(std::unique_ptr<Transport>(std::move(tcp)));
  if (cancelled_) {
    return Finish(SocketErrorStatus(absl::StatusCode::kCancelled,
                                    v1::SOCKET_ERROR_CANCELLED, "connect cancelled"));
  }
  tls_ = std::make_unique<TlsTransport>(std::move(tcp), std::move(tls_setup_->ssl),
                                        tls_setup_->server_name, tls_setup_->verify);
  handshake_ = TlsHandshake::Start(
      strand_, *tls_, deadline_, [self = shared_from_this()](absl::Status status) {
        self->handshake_.reset();
        if (!status.ok()) {
          self->tls_->Abort();
          return self->Finish(status);
        }
        self->Finish(std::unique_ptr<Transport>(std::move(self->tls_)));
      });
}

void Dialer::Finish(absl::StatusOr<std::unique_ptr<Transport>> result) {
  if (finished_) return;
  finished_ = true;
  Done done = std::move(done_);
  done(std::move(result));
}

}  // namespace socketsvc
