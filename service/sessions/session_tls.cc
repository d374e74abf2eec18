// StartTls: the plain connection becomes a TLS one in place.
#include "common/socket_error.h"
#include "service/sessions/session.h"
#include "service/tls/tls_transport.h"

#include <boost/asio/post.hpp>

namespace socketsvc {

void Session::StartTlsUpgrade(std::shared_ptr<TlsUpgradeCall> call) {
  boost::asio::post(strand_,
                    [self = shared_from_this(), call = std::move(call)]() mutable {
                      self->UpgradeOnStrand(std::move(call));
                    });
}

absl::Status Session::UpgradeBlocker() const {
  auto refuse = [](absl::string_view why) {
    return SocketErrorStatus(absl::StatusCode::kFailedPrecondition,
                             v1::SOCKET_ERROR_INVALID_REQUEST,
                             absl::StrCat("StartTls: ", why));
  };
  if (upgrading_) return refuse("a handshake is already in progress");
  if (transport_->tls_info() != nullptr) return refuse("the socket already speaks TLS");
  if (draining_close_ || send_shut_ || peer_eof_ || !broken_.ok()) {
    return refuse("the connection is no longer open both ways");
  }
  if (pipe_) return refuse("a Pipe is attached to the handle");
  if (!receives_.empty() || !sends_.empty()) {
    return refuse("Send or Receive calls are pending on the handle");
  }
  // Plaintext the caller has not read would be lost (or worse, mistaken for
  // TLS records): the caller must read up to the upgrade point first.
  if (!unclaimed_.empty()) return refuse("received plaintext has not been read");
  return absl::OkStatus();
}

void Session::UpgradeOnStrand(std::shared_ptr<TlsUpgradeCall> call) {
  if (call->finished()) return;
  if (released_) return call->Finish(ReleasedStatus());
  if (stopping_) {
    return call->Finish(SocketErrorStatus(absl::StatusCode::kUnavailable,
                                          v1::SOCKET_ERROR_SHUTTING_DOWN,
                                          "socketd is shutting down"));
  }
  if (absl::Status blocker = UpgradeBlocker(); !blocker.ok()) {
    return call->Finish(blocker);
  }
  auto tls = std::make_unique<TlsTransport>(std::move(transport_), std::move(call->ssl),
                                            call->server_name, call->verify);
  TlsTransport& handshaking = *tls;
  transport_ = std::move(tls);
  upgrading_ = call;
  handshake_ = TlsHandshake::Start(
      strand_, handshaking, call->deadline(),
      [self = shared_from_this(), call](absl::Status status) {
        self->upgrading_.reset();
        self->handshake_.reset();
        self->poll_watchers_.WakeAll();  // The socket's readiness is its own again.
        if (!status.ok()) {
          // A failed handshake leaves the stream in an unknown state.
          self->MarkBroken(status);
          return call->Finish(status);
        }
        self->NoteActivity();
        call->Finish(*self->transport_->tls_info());
      });
}

void Session::AbandonUpgrade() {
  if (!handshake_) return;
  handshake_->StopOnStrand(SocketErrorStatus(
      absl::StatusCode::kAborted, v1::SOCKET_ERROR_NOT_CONNECTED,
      "the handle was closed during the TLS handshake"));
}

}  // namespace socketsvc
