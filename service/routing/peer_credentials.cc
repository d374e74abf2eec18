#include "service/routing/peer_credentials.h"

#include <openssl/x509.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "service/tls/openssl_util.h"

namespace socketsvc {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path, absl::string_view flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": cannot read ", path));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

absl::StatusOr<PeerTlsMaterial> ReadPeerTlsMaterial(const RoutingOptions& options) {
  PeerTlsMaterial material;
  absl::StatusOr<std::string> cert =
      ReadFile(options.peer_tls_cert_file, "--peer_tls_cert");
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadFile(options.peer_tls_key_file, "--peer_tls_key");
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> ca = ReadFile(options.peer_ca_file, "--peer_ca");
  if (!ca.ok()) return ca.status();
  // gRPC would only fail the first forwarded call or the listener: check
  // here and name the file.
  absl::StatusOr<std::vector<UniqueX509>> chain = ParseCertificates(
      *cert, absl::StrCat("--peer_tls_cert ", options.peer_tls_cert_file));
  if (!chain.ok()) return chain.status();
  absl::StatusOr<UniqueEvpPkey> pkey =
      ParsePrivateKey(*key, absl::StrCat("--peer_tls_key ", options.peer_tls_key_file));
  if (!pkey.ok()) return pkey.status();
  if (X509_check_private_key(chain->front().get(), pkey->get()) != 1) {
    TakeOpenSslError("");
    return absl::InvalidArgumentError(
        absl::StrCat("--peer_tls_key ", options.peer_tls_key_file,
                     " is not the key of the certificate in --peer_tls_cert ",
                     options.peer_tls_cert_file));
  }
  absl::StatusOr<std::vector<UniqueX509>> cas =
      ParseCertificates(*ca, absl::StrCat("--peer_ca ", options.peer_ca_file));
  if (!cas.ok()) return cas.status();
  material.cert_pem = *std::move(cert);
  material.key_pem = *std::move(key);
  material.ca_pem = *std::move(ca);
  return material;
}

absl::Status CheckPeerCaIsNotClientCa(absl::string_view peer_ca_pem,
                                      const std::string& client_ca_file) {
  if (client_ca_file.empty() || peer_ca_pem.empty()) return absl::OkStatus();
  absl::StatusOr<std::string> client_ca = ReadFile(client_ca_file, "--client_ca");
  if (!client_ca.ok()) return client_ca.status();
  absl::StatusOr<std::vector<UniqueX509>> peers = ParseCertificates(peer_ca_pem, "--peer_ca");
  if (!peers.ok()) return peers.status();
  absl::StatusOr<std::vector<UniqueX509>> clients =
      ParseCertificates(*client_ca, absl::StrCat("--client_ca ", client_ca_file));
  if (!clients.ok()) return clients.status();
  for (const UniqueX509& peer : *peers) {
    for (const UniqueX509& client : *clients) {
      if (X509_cmp(peer.get(), client.get()) == 0) {
        return absl::InvalidArgumentError(
            "--peer_ca and --client_ca share a CA certificate: every client "
            "certificate could then act as a replica and name any principal; "
            "give replicas a CA of their own");
      }
    }
  }
  return absl::OkStatus();
}

std::shared_ptr<grpc::ServerCredentials> PeerServerCredentials(
    const PeerTlsMaterial& material) {
  grpc::SslServerCredentialsOptions ssl(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  ssl.pem_root_certs = material.ca_pem;
  ssl.pem_key_cert_pairs.push_back({material.key_pem, material.cert_pem});
  return grpc::SslServerCredentials(ssl);
}

std::shared_ptr<grpc::ChannelCredentials> PeerChannelCredentials(
    const PeerTlsMaterial& material) {
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = material.ca_pem;
  ssl.pem_private_key = material.key_pem;
  ssl.pem_cert_chain = material.cert_pem;
  return grpc::SslCredentials(ssl);
}

}  // namespace socketsvc
