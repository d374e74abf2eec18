// Drives a TlsTransport's client handshake to completion with readiness
// waits on a strand, within a deadline, cancellable from any thread.
#ifndef SOCKETSVC_SERVICE_TLS_TLS_HANDSHAKE_H_
#define SOCKETSVC_SERVICE_TLS_TLS_HANDSHAKE_H_

#include <memory>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "service/tls/tls_transport.h"

namespace socketsvc {

class TlsHandshake : public std::enable_shared_from_this<TlsHandshake> {
 public:
  using Strand = boost::asio::strand<boost::asio::any_io_executor>;
  using Done = absl::AnyInvocable<void(absl::Status)>;

  // Starts at once on `strand`. `transport` must stay alive until `done`
  // ran; nothing else may use it meanwhile. `done` runs once on `strand`:
  // OK, the handshake's failure, DEADLINE_EXCEEDED/TIMED_OUT, or
  // CANCELLED after Cancel().
  static std::shared_ptr<TlsHandshake> Start(Strand strand,
                                             TlsTransport& transport,
                                             absl::Time deadline, Done done);

  void Cancel();

  // Ends the handshake now with `status`; call on the strand only.
  void StopOnStrand(absl::Status status) { Finish(std::move(status)); }

  // Use Start.
  TlsHandshake(Strand strand, TlsTransport& transport, Done done);

 private:
  void Step();
  void Finish(absl::Status status);

  Strand strand_;
  TlsTransport& transport_;
  boost::asio::steady_timer timer_;
  // Strand only.
  bool finished_ = false;
  Done done_;
};

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_TLS_TLS_HANDSHAKE_H_
