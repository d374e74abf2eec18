// Opening a socket from the command line: the ConnectRequest that
// `connect` and `cat` send, built from their arguments and flags.
#ifndef SOCKETSVC_CLIENT_SOCKETCTL_CONNECT_H_
#define SOCKETSVC_CLIENT_SOCKETCTL_CONNECT_H_

#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/client.h"
#include "socketsvc/v1/sockets.pb.h"

namespace socketsvc::socketctl {

// The TLS options of a Connect: nullopt without --tls, else
// TlsOptionsFromFlags(). Fails with INVALID_ARGUMENT (a usage error) on bad
// TLS flags, and when TLS settings are given without --tls.
absl::StatusOr<std::optional<v1::TlsOptions>> ConnectTlsFromFlags();

// The request for HOST and PORT (digits) or SERVICE (anything else), with
// --timeout_ms and `tls` if set. INVALID_ARGUMENT for a port above 65535.
absl::StatusOr<v1::ConnectRequest> BuildConnectRequest(
    absl::string_view host, absl::string_view target,
    const std::optional<v1::TlsOptions>& tls);

// Connects to HOST and PORT|SERVICE as the flags say. Returns kOk and fills
// `response`, or prints the error (usage error or "connect" failure) and
// returns the exit code.
int ConnectFromFlags(const Client& client, absl::string_view host,
                     absl::string_view target, v1::ConnectResponse* response);

}  // namespace socketsvc::socketctl

#endif  // SOCKETSVC_CLIENT_SOCKETCTL_CONNECT_H_
