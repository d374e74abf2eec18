#include "service/auth/listener_security.h"

#include <grpcpp/security/server_credentials.h>
#include <openssl/x509.h>

#include <boost/asio/ip/address.hpp>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "service/ops/log.h"
#include "service/tls/openssl_util.h"

namespace socketsvc {
namespace {

absl::StatusOr<std::string> ReadPemFile(const std::string& path,
                                        absl::string_view flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": cannot read ", path));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ListenerCredentials(
    const AuthOptions& options) {
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return absl::InvalidArgumentError(
        "--tls_cert and --tls_key go together: the gRPC listener's "
        "certificate chain and its private key");
  }
  if (options.tls_cert_file.empty()) {
    if (!options.client_ca_file.empty()) {
      return absl::InvalidArgumentError(
          "--client_ca (mutual TLS) needs --tls_cert and --tls_key");
    }
    return grpc::InsecureServerCredentials();
  }
  absl::StatusOr<std::string> cert_pem =
      ReadPemFile(options.tls_cert_file, "--tls_cert");
  if (!cert_pem.ok()) return cert_pem.status();
  absl::StatusOr<std::string> key_pem =
      ReadPemFile(options.tls_key_file, "--tls_key");
  if (!key_pem.ok()) return key_pem.status();
  // gRPC would only say that the port could not be added: check here, and
  // name the file.
  absl::StatusOr<std::vector<UniqueX509>> chain = ParseCertificates(
      *cert_pem, absl::StrCat("--tls_cert ", options.tls_cert_file));
  if (!chain.ok()) return chain.status();
  absl::StatusOr<UniqueEvpPkey> key = ParsePrivateKey(
      *key_pem, absl::StrCat("--tls_key ", options.tls_key_file));
  if (!key.ok()) return key.status();
  if (X509_check_private_key(chain->front().get(), key->get()) != 1) {
    TakeOpenSslError("");
    return absl::InvalidArgumentError(
        absl::StrCat("--tls_key ", options.tls_key_file,
                     " is not the key of the certificate in --tls_cert ",
                     options.tls_cert_file));
  }
  grpc::SslServerCredentialsOptions ssl(
      GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  if (!options.client_ca_file.empty()) {
    absl::StatusOr<std::string> ca_pem =
        ReadPemFile(options.client_ca_file, "--client_ca");
    if (!ca_pem.ok()) return ca_pem.status();
    absl::StatusOr<std::vector<UniqueX509>> cas = ParseCertificates(
        *ca_pem, absl::StrCat("--client_ca ", options.client_ca_file));
    if (!cas.ok()) return cas.status();
    ssl.pem_root_certs = *std::move(ca_pem);
    ssl.client_certificate_request =
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  ssl.pem_key_cert_pairs.push_back({*std::move(key_pem), *std::move(cert_pem)});
  return grpc::SslServerCredentials(ssl);
}

bool IsLocalListenAddress(absl::string_view listen) {
  if (absl::StartsWith(listen, "unix:") ||
      absl::StartsWith(listen, "unix-abstract:")) {
    return true;
  }
  const size_t colon = listen.rfind(':');
  if (colon == absl::string_view::npos) return false;
  absl::string_view host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (absl::EqualsIgnoreCase(host, "localhost")) return true;
  boost::system::error_code ec;
  const boost::asio::ip::address address =
      boost::asio::ip::make_address(std::string(host), ec);
  if (ec) return false;  // A name: it may resolve to anything.
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped,
                                            address.to_v6())
        .is_loopback();
  }
  return address.is_loopback();
}

absl::Status CheckListenAddress(absl::string_view listen, bool authenticates,
                                bool allow_unauthenticated) {
  if (authenticates || allow_unauthenticated || IsLocalListenAddress(listen)) {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "refusing to listen on ", listen,
      " without authentication: every machine that reaches it could use "
      "socketd's sockets. Give --tokens_file (bearer tokens) or --client_ca "
      "(mutual TLS, with --tls_cert and --tls_key), listen on a loopback "
      "address, or pass --allow_unauthenticated to accept any caller"));
}

void WarnAboutListener(absl::string_view listen, const AuthOptions& options,
                       bool authenticates) {
  if (IsLocalListenAddress(listen)) return;
  if (!authenticates) {
    LogLine(LogLevel::kWarning,
            absl::StrCat("no authentication on ", listen,
                         " (--allow_unauthenticated): every caller that reaches it "
                         "is \"anonymous\" and shares its handles"))
        .Write();
  } else if (options.tls_cert_file.empty() && !options.tokens_file.empty()) {
    LogLine(LogLevel::kWarning,
            absl::StrCat("no TLS on ", listen,
                         ": bearer tokens cross the network in plaintext (give "
                         "--tls_cert and --tls_key)"))
        .Write();
  }
}

}  // namespace socketsvc
