// socketctl's command-line flags, defined in flags.cc. Read them with
// absl::GetFlag after absl::ParseCommandLine.
#ifndef SOCKETSVC_CLIENT_SOCKETCTL_FLAGS_H_
#define SOCKETSVC_CLIENT_SOCKETCTL_FLAGS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/time/time.h"
#include "client/client.h"

// Every command.
ABSL_DECLARE_FLAG(std::string, server);
ABSL_DECLARE_FLAG(std::optional<int64_t>, timeout_ms);
ABSL_DECLARE_FLAG(absl::Duration, rpc_timeout);
// close.
ABSL_DECLARE_FLAG(std::string, mode);
// recv and cat.
ABSL_DECLARE_FLAG(uint32_t, max_bytes);
ABSL_DECLARE_FLAG(uint32_t, min_bytes);
// TLS: connect and cat (with --tls), starttls.
ABSL_DECLARE_FLAG(bool, tls);
ABSL_DECLARE_FLAG(bool, tls_skip_verify);
ABSL_DECLARE_FLAG(std::string, tls_server_name);
ABSL_DECLARE_FLAG(std::string, tls_ca);
ABSL_DECLARE_FLAG(std::string, tls_cert);
ABSL_DECLARE_FLAG(std::string, tls_key);
ABSL_DECLARE_FLAG(std::vector<std::string>, alpn);
ABSL_DECLARE_FLAG(std::string, tls_min_version);
// How to reach socketd itself (server_credentials.h): TLS, mutual TLS,
// bearer token. Every command.
ABSL_DECLARE_FLAG(std::string, server_ca);
ABSL_DECLARE_FLAG(std::string, server_tls_name);
ABSL_DECLARE_FLAG(std::string, client_cert);
ABSL_DECLARE_FLAG(std::string, client_key);
ABSL_DECLARE_FLAG(std::string, token);
ABSL_DECLARE_FLAG(std::string, token_file);

namespace socketsvc::socketctl {

// CallOptions of one RPC: --rpc_timeout.
CallOptions OptionsFromFlags();

}  // namespace socketsvc::socketctl

#endif  // SOCKETSVC_CLIENT_SOCKETCTL_FLAGS_H_
