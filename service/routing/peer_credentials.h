// The mutual TLS between replicas: every replica presents one certificate
// (--peer_tls_cert/--peer_tls_key) on its peer listener and when it
// forwards, and trusts only certificates of the peer CA (--peer_ca).
#ifndef SOCKETSVC_SERVICE_ROUTING_PEER_CREDENTIALS_H_
#define SOCKETSVC_SERVICE_ROUTING_PEER_CREDENTIALS_H_

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "service/routing/routing_options.h"

namespace socketsvc {

// The PEM texts of the peer certificate, its key and the peer CA.
struct PeerTlsMaterial {
  std::string cert_pem;
  std::string key_pem;
  std::string ca_pem;
};

// Reads and checks the three files (certificates parse, the key is the
// certificate's); INVALID_ARGUMENT naming the flag and file otherwise.
absl::StatusOr<PeerTlsMaterial> ReadPeerTlsMaterial(const RoutingOptions& options);

// INVALID_ARGUMENT if a certificate of `peer_ca_pem` is also in
// `client_ca_file` (--client_ca): a client certificate would then pass the
// peer listener, which believes the principal a forwarded call names, and
// its holder could act as anybody. OK when `client_ca_file` is empty.
absl::Status CheckPeerCaIsNotClientCa(absl::string_view peer_ca_pem,
                                      const std::string& client_ca_file);

// The peer listener: TLS with the peer certificate; a client certificate
// issued by the peer CA is required and verified.
std::shared_ptr<grpc::ServerCredentials> PeerServerCredentials(
    const PeerTlsMaterial& material);

// Forwarding: verifies the peer's certificate against the peer CA and
// presents this replica's certificate.
std::shared_ptr<grpc::ChannelCredentials> PeerChannelCredentials(
    const PeerTlsMaterial& material);

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_ROUTING_PEER_CREDENTIALS_H_
