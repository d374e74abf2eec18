// Describes an X.509 certificate in the fields of v1::TlsInfo.
#ifndef SOCKETSVC_SERVICE_TLS_PEER_CERTIFICATE_H_
#define SOCKETSVC_SERVICE_TLS_PEER_CERTIFICATE_H_

#include <openssl/x509.h>

#include <string>

#include "socketsvc/v1/sockets.pb.h"

namespace socketsvc {

// Fills peer_subject, peer_issuer (RFC 2253), peer_sans ("DNS:…", "IP:…",
// "URI:…", "email:…") and the validity period of `info`.
void DescribeCertificate(X509& cert, v1::TlsInfo& info);

// The certificate's subject in RFC 2253 form, e.g. "CN=client,O=Example".
std::string SubjectOf(X509& cert);

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_TLS_PEER_CERTIFICATE_H_
