// Opens a connection for a Connect call: resolve and connect (Connector),
// then, when asked, the TLS handshake; the result is the session's Transport.
//
// Thread-safe: Cancel may be called from any thread, before or after Start.
// The completion runs exactly once, on the dialer's strand.
#ifndef SOCKETSVC_SERVICE_NET_DIALER_H_
#define SOCKETSVC_SERVICE_NET_DIALER_H_

#include <memory>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/strand.hpp>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "service/net/connector.h"
#include "service/net/resolver.h"
#include "service/net/transport.h"
#include "service/tls/tls_client_context.h"
#include "service/tls/tls_handshake.h"

namespace socketsvc {

class Dialer : public std::enable_shared_from_this<Dialer> {
 public:
  using Done = absl::AnyInvocable<void(absl::StatusOr<std::unique_ptr<Transport>>)>;

  // `tls` is empty for plain TCP. `resolver` must outlive the I/O threads.
  // `check` judges every resolved address before it is tried (Connector).
  static std::shared_ptr<Dialer> Create(Resolver& resolver,
                                        boost::asio::any_io_executor executor,
                                        std::string host, std::string service,
                                        std::optional<TlsClientSetup> tls, Done done,
                                        EndpointCheck check = {});

  // The connect and the handshake share `deadline`.
  void Start(absl::Time deadline);
  void Cancel();

  // Use Create.
  Dialer(Resolver& resolver, boost::asio::any_io_executor executor,
         std::string host,
         std::string service, std::optional<TlsClientSetup> tls, Done done,
         EndpointCheck check = {});

 private:
  void OnConnected(absl::StatusOr<boost::asio::ip::tcp::socket> socket);
  void Finish(absl::StatusOr<std::unique_ptr<Transport>> result);

  Resolver& resolver_;
  boost::asio::any_io_executor executor_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  const std::string host_;
  const std::string service_;
  const EndpointCheck check_;
  // Strand only.
  std::optional<TlsClientSetup> tls_setup_;
  absl::Time deadline_ = absl::InfiniteFuture();
  std::shared_ptr<Connector> connector_;
  std::unique_ptr<TlsTransport> tls_;
  std::shared_ptr<TlsHandshake> handshake_;
  bool cancelled_ = false;
  bool finished_ = false;
  Done done_;
};

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_NET_DIALER_H_
