#include "client/socketctl/tls.h"

#include <vector>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "client/socketctl/flag_file.h"
#include "client/socketctl/flags.h"

namespace socketsvc::socketctl {
namespace {

std::string FormatUnix(int64_t seconds) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(seconds),
                          absl::UTCTimeZone());
}

}  // namespace

bool TlsSettingsGiven() {
  return absl::GetFlag(FLAGS_tls_skip_verify) ||
         !absl::GetFlag(FLAGS_tls_server_name).empty() ||
         !absl::GetFlag(FLAGS_tls_ca).empty() ||
         !absl::GetFlag(FLAGS_tls_cert).empty() ||
         !absl::GetFlag(FLAGS_tls_key).empty() ||
         !absl::GetFlag(FLAGS_alpn).empty() ||
         !absl::GetFlag(FLAGS_tls_min_version).empty();
}

absl::StatusOr<v1::TlsOptions> TlsOptionsFromFlags() {
  v1::TlsOptions tls;
  tls.set_enabled(true);
  tls.set_skip_verify(absl::GetFlag(FLAGS_tls_skip_verify));
  tls.set_server_name(absl::GetFlag(FLAGS_tls_server_name));

  const std::string ca = absl::GetFlag(FLAGS_tls_ca);
  if (!ca.empty()) {
    absl::StatusOr<std::string> pem = ReadFlagFile("tls_ca", ca);
    if (!pem.ok()) return pem.status();
    tls.set_ca_pem(*std::move(pem));
  }

  const std::string cert = absl::GetFlag(FLAGS_tls_cert);
  const std::string key = absl::GetFlag(FLAGS_tls_key);
  if (cert.empty() != key.empty()) {
    return absl::InvalidArgumentError(
        "--tls_cert and --tls_key go together (client certificate and its "
        "key)");
  }
  if (!cert.empty()) {
    absl::StatusOr<std::string> cert_pem = ReadFlagFile("tls_cert", cert);
    if (!cert_pem.ok()) return cert_pem.status();
    absl::StatusOr<std::string> key_pem = ReadFlagFile("tls_key", key);
    if (!key_pem.ok()) return key_pem.status();
    tls.set_client_cert_pem(*std::move(cert_pem));
    tls.set_client_key_pem(*std::move(key_pem));
  }

  for (const std::string& protocol : absl::GetFlag(FLAGS_alpn)) {
    if (protocol.empty() || protocol.size() > 255) {
      return absl::InvalidArgumentError(
          "--alpn: each protocol must be 1..255 bytes, e.g. --alpn=h2,http/1.1");
    }
    tls.add_alpn(protocol);
  }

  const std::string min_version = absl::GetFlag(FLAGS_tls_min_version);
  if (min_version.empty()) {
    tls.set_min_version(v1::TLS_VERSION_UNSPECIFIED);
  } else if (min_version == "1.2") {
    tls.set_min_version(v1::TLS_VERSION_1_2);
  } else if (min_version == "1.3") {
    tls.set_min_version(v1::TLS_VERSION_1_3);
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "--tls_min_version must be 1.2 or 1.3, not ", min_version));
  }
  return tls;
}

std::string TlsSummary(const v1::TlsInfo& tls) {
  std::string line =
      absl::StrCat("tls ", tls.version(), " ", tls.cipher(), " ",
                   tls.verified() ? "verified" : "unverified",
                   " peer=", tls.peer_subject());
  if (!tls.alpn().empty()) absl::StrAppend(&line, " alpn=", tls.alpn());
  return line;
}

std::string TlsInfoLines(const v1::TlsInfo& tls) {
  std::string text = absl::StrCat("tls.version: ", tls.version(),
                                  "\ntls.cipher: ", tls.cipher(), "\n");
  if (!tls.alpn().empty()) absl::StrAppend(&text, "tls.alpn: ", tls.alpn(), "\n");
  absl::StrAppend(
      &text, "tls.server_name: ", tls.server_name(),
      "\ntls.verified: ", tls.verified() ? "true" : "false",
      "\ntls.peer_subject: ", tls.peer_subject(),
      "\ntls.peer_issuer: ", tls.peer_issuer(),
      "\ntls.peer_sans: ", absl::StrJoin(tls.peer_sans(), ", "), "\n");
  if (tls.peer_not_before_unix() != 0 || tls.peer_not_after_unix() != 0) {
    absl::StrAppend(
        &text, "tls.peer_not_before: ", FormatUnix(tls.peer_not_before_unix()),
        "\ntls.peer_not_after: ", FormatUnix(tls.peer_not_after_unix()), "\n");
  }
  return text;
}

}  // namespace socketsvc::socketctl
