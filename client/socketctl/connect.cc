#include "client/socketctl/connect.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/socketctl/errors.h"
#include "client/socketctl/flags.h"
#include "client/socketctl/output.h"
#include "client/socketctl/tls.h"

namespace socketsvc::socketctl {

absl::StatusOr<std::optional<v1::TlsOptions>> ConnectTlsFromFlags() {
  if (!absl::GetFlag(FLAGS_tls)) {
    if (TlsSettingsGiven()) {
      return absl::InvalidArgumentError(
          "--tls_* and --alpn need --tls (or use starttls on an open handle)");
    }
    return std::nullopt;
  }
  absl::StatusOr<v1::TlsOptions> tls = TlsOptionsFromFlags();
  if (!tls.ok()) return tls.status();
  return *std::move(tls);
}

absl::StatusOr<v1::ConnectRequest> BuildConnectRequest(
    absl::string_view host, absl::string_view target,
    const std::optional<v1::TlsOptions>& tls) {
  v1::ConnectRequest request;
  request.set_host(std::string(host));
  if (!target.empty() &&
      std::all_of(target.begin(), target.end(), absl::ascii_isdigit)) {
    uint32_t port = 0;
    if (!absl::SimpleAtoi(target, &port) || port > 65535) {
      return absl::InvalidArgumentError(absl::StrCat("bad port: ", target));
    }
    request.set_port(port);
  } else {
    request.set_service(std::string(target));
  }
  const std::optional<int64_t> timeout_ms = absl::GetFlag(FLAGS_timeout_ms);
  if (timeout_ms.has_value()) request.set_timeout_ms(*timeout_ms);
  if (tls.has_value()) *request.mutable_tls() = *tls;
  return request;
}

int ConnectFromFlags(const Client& client, absl::string_view host,
                     absl::string_view target, v1::ConnectResponse* response) {
  absl::StatusOr<std::optional<v1::TlsOptions>> tls = ConnectTlsFromFlags();
  if (!tls.ok()) return UsageError(tls.status().message());
  absl::StatusOr<v1::ConnectRequest> request =
      BuildConnectRequest(host, target, *tls);
  if (!request.ok()) return Report("connect", request.status());
  absl::StatusOr<v1::ConnectResponse> conn =
      client.Connect(*request, OptionsFromFlags());
  if (!conn.ok()) return Report("connect", conn.status());
  *response = *std::move(conn);
  return kOk;
}

}  // namespace socketsvc::socketctl
