#include "service/tls/tls_handshake.h"

#include <cerrno>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>

#include "common/socket_error.h"

namespace socketsvc {

std::shared_ptr<TlsHandshake> TlsHandshake::Start(Strand strand,
                                                  TlsTransport& transport,
                                                  absl::Time deadline,
                                                  Done done) {
  auto handshake =
      std::make_shared<TlsHandshake>(strand, transport, std::move(done));
  boost::asio::post(strand, [handshake, deadline] {
    if (handshake->finished_) return;
    if (deadline != absl::InfiniteFuture()) {
      const absl::Duration left =
          std::max(deadline - absl::Now(), absl::ZeroDuration());
      handshake->timer_.expires_after(absl::ToChronoNanoseconds(left));
      handshake->timer_.async_wait(boost::asio::bind_executor(
          handshake->strand_, [handshake](boost::system::error_code ec) {
            if (ec) return;
            handshake->Finish(SocketErrorStatus(
                absl::StatusCode::kDeadlineExceeded, v1::SOCKET_ERROR_TIMED_OUT,
                "TLS handshake timed out", ETIMEDOUT));
          }));
    }
    handshake->Step();
  });
  return handshake;
}

TlsHandshake::TlsHandshake(Strand strand, TlsTransport& transport, Done done)
    : strand_(strand), transport_(transport), timer_(strand), done_(std::move(done)) {}

void TlsHandshake::Cancel() {
  boost::asio::post(strand_, [self = shared_from_this()] {
    self->Finish(SocketErrorStatus(absl::StatusCode::kCancelled,
                                   v1::SOCKET_ERROR_CANCELLED,
                                   "TLS handshake cancelled"));
  });
}

void TlsHandshake::Step() {
  if (finished_) return;
  absl::StatusOr<IoProgress> progress = transport_.TryHandshake();
  if (!progress.ok()) return Finish(progress.status());
  if (!progress->would_block) return Finish(absl::OkStatus());
  const auto wait = progress->wants_other_direction
                        ? boost::asio::ip::tcp::socket::wait_write
                        : boost::asio::ip::tcp::socket::wait_read;
  transport_.socket().async_wait(
      wait, boost::asio::bind_executor(
                strand_, [self = shared_from_this()](boost::system::error_code) {
                  self->Step();
                }));
}

void TlsHandshake::Finish(absl::Status status) {
  if (finished_) return;
  finished_ = true;
  timer_.cancel();
  if (!status.ok()) {
    // Ends the pending readiness wait; its handler finds us finished.
    boost::system::error_code ignored;
    transport_.socket().cancel(ignored);
  }
  Done done = std::move(done_);
  done(std::move(status));
}

}  // namespace socketsvc
