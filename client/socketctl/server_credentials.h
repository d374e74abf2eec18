// How socketctl reaches socketd: plaintext, TLS (--server_ca), mutual TLS
// (--client_cert/--client_key) and a bearer token (--token/--token_file).
#ifndef SOCKETSVC_CLIENT_SOCKETCTL_SERVER_CREDENTIALS_H_
#define SOCKETSVC_CLIENT_SOCKETCTL_SERVER_CREDENTIALS_H_

#include "absl/status/statusor.h"
#include "client/client.h"

namespace socketsvc::socketctl {

// The credentials the flags ask for, with the files read. INVALID_ARGUMENT
// (a usage error) for an unreadable or empty file, --client_cert without
// --client_key or --server_ca, or both --token and --token_file.
absl::StatusOr<ClientCredentialsOptions> ServerCredentialsFromFlags();

}  // namespace socketsvc::socketctl

#endif  // SOCKETSVC_CLIENT_SOCKETCTL_SERVER_CREDENTIALS_H_
