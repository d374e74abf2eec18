// The TLS side of an HTTPS server instance: an Asio SSL context built from
// the PEM texts of ServerCreate, TLS 1.2 or newer, optionally requiring
// client certificates.
#ifndef SOCKETSVC_SERVICE_HTTP_HTTP_TLS_H_
#define SOCKETSVC_SERVICE_HTTP_HTTP_TLS_H_

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "socketsvc/v1/sockets.pb.h"

namespace socketsvc {

// A server context with `tls.cert_pem` (leaf first, then its chain) and
// `tls.key_pem`. With `tls.client_ca_pem`, clients must present a
// certificate issued by one of those CAs (verify_peer |
// verify_fail_if_no_peer_cert). INVALID_ARGUMENT for PEM that does not
// parse, a key that does not match, or client_ca_pem/key_pem without
// cert_pem. The context is immutable once returned: connections on any
// thread share it.
absl::StatusOr<std::shared_ptr<boost::asio::ssl::context>> MakeServerTlsContext(
    const v1::ServerTls& tls);

// The verified client certificate's subject in RFC 2253 form ("CN=alice"),
// empty if the client sent none.
std::string ClientCertSubject(SSL* ssl);

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_HTTP_HTTP_TLS_H_
