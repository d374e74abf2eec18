// Poll's view of a socket: readiness judged on the strand without taking a
// byte from the stream (poll(2) with timeout 0; a TLS socket peeks one
// decrypted byte, which stays in OpenSSL for the next Receive).
#include <poll.h>

#include <boost/asio/post.hpp>

#include "service/sessions/session.h"

namespace socketsvc {

void Session::CheckPoll(std::shared_ptr<PollWaiter> waiter, size_t target, bool watch) {
  boost::asio::post(
      strand_, [self = shared_from_this(), waiter = std::move(waiter), target, watch] {
        if (self->released_) return waiter->Report(target, v1::POLL_EVENT_INVALID, -1);
        if (watch) self->poll_watchers_.Add(waiter, target);
        int fd = -1;
        const uint32_t events = self->PollEventsOnStrand(fd);
        waiter->Report(target, events, fd);
      });
}

uint32_t Session::PollEventsOnStrand(int& fd) {
  fd = -1;
  // A StartTls handshake or a closing drain owns the socket's readiness;
  // the end of either wakes the Poll (release, or the upgrade's completion).
  if (upgrading_ || draining_close_) return 0;
  const int socket_fd = transport_->socket().native_handle();
  pollfd kernel{socket_fd, POLLIN | POLLOUT | POLLRDHUP, 0};
  if (::poll(&kernel, 1, 0) < 0) kernel.revents = 0;
  const short ended = POLLRDHUP | POLLHUP | POLLERR;
  bool hup = peer_eof_ || !broken_.ok() || (kernel.revents & ended) != 0;
  bool readable = hup || !unclaimed_.empty();
  if (!readable && transport_->tls_info() != nullptr) {
    // The socket being readable says nothing of application data (a TLS 1.3
    // session ticket is not); OpenSSL may also hold decrypted bytes the
    // kernel no longer shows. SSL_peek tells, keeping the bytes.
    std::string scratch;
    absl::StatusOr<IoProgress> peeked = transport_->TryPeek(scratch, 1);
    if (!peeked.ok()) {
      // What the next Receive would have found: it gets the same error.
      MarkBroken(peeked.status());
      readable = hup = true;
    } else {
      readable = peeked->bytes > 0 || peeked->eof;
      hup = peeked->eof;
    }
    // The peek may have moved bytes from the socket into OpenSSL, where a
    // waiting Receive's readiness wait cannot see them: let it look.
    if (!receives_.empty()) PumpReceives();
    if (send_waits_readable_ && !sends_.empty()) PumpSends();
  } else if (!readable) {
    readable = (kernel.revents & POLLIN) != 0;
  }
  const bool writable = send_shut_ || !broken_.ok() ||
                        (kernel.revents & (POLLOUT | POLLHUP | POLLERR)) != 0;
  fd = socket_fd;
  return (readable ? v1::POLL_EVENT_READABLE : 0) |
         (writable ? v1::POLL_EVENT_WRITABLE : 0) | (hup ? v1::POLL_EVENT_HUP : 0);
}

}  // namespace socketsvc
