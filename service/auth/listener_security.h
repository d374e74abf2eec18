// How socketd's gRPC listener is secured: its credentials (plaintext, TLS,
// mutual TLS) and the rule that an address other machines can reach needs
// authentication.
#ifndef SOCKETSVC_SERVICE_AUTH_LISTENER_SECURITY_H_
#define SOCKETSVC_SERVICE_AUTH_LISTENER_SECURITY_H_

#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/auth/authenticator.h"

namespace socketsvc {

// Plaintext without --tls_cert; TLS with --tls_cert/--tls_key; with
// --client_ca also mutual TLS (a client certificate is required and
// verified against those CAs). Reads and checks the PEM files;
// INVALID_ARGUMENT naming the flag when one is missing, unreadable or holds
// no certificate or key, or when the key does not match the certificate.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ListenerCredentials(
    const AuthOptions& options);

// True when gRPC's `listen` address ("host:port", "[v6]:port", "unix:path")
// takes connections from this machine only: a loopback address, localhost,
// or a unix socket.
bool IsLocalListenAddress(absl::string_view listen);

// FAILED_PRECONDITION, saying what to do, when `listen` is reachable from
// other machines while nobody is authenticated and allow_unauthenticated is
// false.
absl::Status CheckListenAddress(absl::string_view listen, bool authenticates,
                                bool allow_unauthenticated);

// Says on stderr what is allowed but unsafe: bearer tokens in plaintext on
// an address other machines reach, or no authentication there at all
// (--allow_unauthenticated).
void WarnAboutListener(absl::string_view listen, const AuthOptions& options,
                       bool authenticates);

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_AUTH_LISTENER_SECURITY_H_
