// `socketctl health [SERVICE]`: asks socketd's grpc.health.v1.Health/Check,
// over the same TLS / mutual TLS as every other command. Made for probes
// that cannot speak TLS themselves to a gRPC health service: a container
// HEALTHCHECK and Kubernetes exec probes (deploy/), where the client
// listener is TLS and kubelet's own gRPC probe is plaintext only.
#ifndef SOCKETSVC_CLIENT_SOCKETCTL_HEALTH_H_
#define SOCKETSVC_CLIENT_SOCKETCTL_HEALTH_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "client/client.h"

namespace socketsvc::socketctl {

// Prints the serving status (SERVING, NOT_SERVING, ...) on stdout. Exit
// code 0 only for SERVING; NOT_SERVING (socketd draining) and an
// unreachable socketd 2; an unknown service 4. `rpc_timeout` infinite
// means 5 s: a probe must not hang.
int CmdHealth(const std::string& server, const ClientCredentialsOptions& credentials,
              absl::Duration rpc_timeout, const std::vector<std::string>& args);

}  // namespace socketsvc::socketctl

#endif  // SOCKETSVC_CLIENT_SOCKETCTL_HEALTH_H_
