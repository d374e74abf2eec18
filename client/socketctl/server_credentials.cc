#include "client/socketctl/server_credentials.h"

#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "client/socketctl/flag_file.h"
#include "client/socketctl/flags.h"

namespace socketsvc::socketctl {

absl::StatusOr<ClientCredentialsOptions> ServerCredentialsFromFlags() {
  ClientCredentialsOptions credentials;
  const std::string ca = absl::GetFlag(FLAGS_server_ca);
  const std::string cert = absl::GetFlag(FLAGS_client_cert);
  const std::string key = absl::GetFlag(FLAGS_client_key);
  if (cert.empty() != key.empty()) {
    return absl::InvalidArgumentError(
        "--client_cert and --client_key go together");
  }
  if (!cert.empty() && ca.empty()) {
    return absl::InvalidArgumentError(
        "--client_cert needs --server_ca: mutual TLS is TLS to socketd");
  }
  if (!ca.empty()) {
    absl::StatusOr<std::string> pem = ReadFlagFile("server_ca", ca);
    if (!pem.ok()) return pem.status();
    credentials.root_ca_pem = *std::move(pem);
    credentials.server_name_override = absl::GetFlag(FLAGS_server_tls_name);
  }
  if (!cert.empty()) {
    absl::StatusOr<std::string> cert_pem = ReadFlagFile("client_cert", cert);
    if (!cert_pem.ok()) return cert_pem.status();
    absl::StatusOr<std::string> key_pem = ReadFlagFile("client_key", key);
    if (!key_pem.ok()) return key_pem.status();
    credentials.client_cert_pem = *std::move(cert_pem);
    credentials.client_key_pem = *std::move(key_pem);
  }
  const std::string token = absl::GetFlag(FLAGS_token);
  const std::string token_file = absl::GetFlag(FLAGS_token_file);
  if (!token.empty() && !token_file.empty()) {
    return absl::InvalidArgumentError("give --token or --token_file, not both");
  }
  credentials.bearer_token = token;
  if (!token_file.empty()) {
    absl::StatusOr<std::string> text = ReadFlagFile("token_file", token_file);
    if (!text.ok()) return text.status();
    const absl::string_view first_line = absl::StripAsciiWhitespace(
        absl::string_view(*text).substr(0, text->find('\n')));
    if (first_line.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--token_file: the first line of ", token_file, " is empty"));
    }
    credentials.bearer_token = std::string(first_line);
  }
  return credentials;
}

}  // namespace socketsvc::socketctl
