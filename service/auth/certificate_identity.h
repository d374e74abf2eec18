// The identity of a gRPC caller's verified client certificate (mutual TLS).
#ifndef SOCKETSVC_SERVICE_AUTH_CERTIFICATE_IDENTITY_H_
#define SOCKETSVC_SERVICE_AUTH_CERTIFICATE_IDENTITY_H_

#include <grpcpp/security/auth_context.h>

#include <string>

namespace socketsvc {

// The first URI subjectAltName of the client certificate (e.g. a SPIFFE ID,
// "spiffe://example.org/billing"), else its first DNS subjectAltName, else
// its subject CN; empty when the connection has no TLS client certificate or
// the certificate names none of them. Taken from the properties gRPC's TLS
// handshake left in `auth` (peer_uri, peer_dns, x509_common_name), which
// come from the leaf certificate gRPC verified.
std::string CertificateIdentity(const grpc::AuthContext& auth);

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_AUTH_CERTIFICATE_IDENTITY_H_
