// Who is calling: turns what a call presents (a bearer token, a verified
// client certificate) into the principal that owns the handles it creates.
//
//  * --tokens_file: a call with `authorization: Bearer TOKEN` is the
//    principal its token names; a wrong token is refused, never ignored.
//  * --client_ca (mutual TLS): a call without a token is the identity of its
//    client certificate (certificate_identity.h: first URI SAN, else first
//    DNS SAN, else subject CN). gRPC has already refused every connection
//    without a certificate that chains to the CA.
//  * Both: a token, if presented, decides; otherwise the certificate does.
//    The two namespaces are one: token principal "x" and a certificate named
//    "x" are the same caller.
//  * Neither: every caller is "anonymous".
// A call that is not authenticated is refused UNAUTHENTICATED with
// SOCKET_ERROR_UNAUTHENTICATED.
//
// Knows nothing of gRPC: the edge (service/api/auth_gate.h) extracts the
// CallCredentials. Thread-safe.
#ifndef SOCKETSVC_SERVICE_AUTH_AUTHENTICATOR_H_
#define SOCKETSVC_SERVICE_AUTH_AUTHENTICATOR_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/auth/token_store.h"

namespace socketsvc {

// The principal of every call when socketd authenticates nobody.
inline constexpr char kAnonymousPrincipal[] = "anonymous";

// Authentication of gRPC callers (socketd's flags of the same names).
struct AuthOptions {
  // PEM certificate chain and private key of the gRPC listener (TLS).
  std::string tls_cert_file;
  std::string tls_key_file;
  // PEM CA certificates: clients must present a certificate issued by one
  // of them (mutual TLS). Needs tls_cert_file.
  std::string client_ca_file;
  // Bearer tokens (token_store.h for the format); re-read by Reload.
  std::string tokens_file;
  // Listen beyond loopback without authenticating anybody.
  bool allow_unauthenticated = false;
};

// What one call presents, as taken from gRPC.
struct CallCredentials {
  // Every value of the call's `authorization` metadata (normally 0 or 1).
  std::vector<absl::string_view> authorization;
  // The verified client certificate's identity; empty without one.
  absl::string_view certificate_identity;
};

class Authenticator {
 public:
  // Reads the tokens file, if any; INVALID_ARGUMENT if it is malformed.
  static absl::StatusOr<std::unique_ptr<Authenticator>> Create(
      const AuthOptions& options);

  // False when every caller is anonymous.
  bool authenticates() const {
    return tokens_ != nullptr || client_certificates_;
  }
  bool uses_client_certificates() const { return client_certificates_; }

  // The caller's principal, or UNAUTHENTICATED/SOCKET_ERROR_UNAUTHENTICATED.
  absl::StatusOr<std::string> Authenticate(const CallCredentials& call) const;

  // Reloading is two steps so that several files load all or none:
  // ReadTokens() re-reads the tokens file (nullptr without one) and changes
  // nothing; InstallTokens() puts what it read in force.
  absl::StatusOr<std::shared_ptr<const TokenSet>> ReadTokens() const;
  void InstallTokens(std::shared_ptr<const TokenSet> tokens);

 private:
  Authenticator(std::string tokens_file, std::unique_ptr<TokenStore> tokens,
                bool client_certificates)
      : tokens_file_(std::move(tokens_file)),
        tokens_(std::move(tokens)),
        client_certificates_(client_certificates) {}

  const std::string tokens_file_;
  // Null without --tokens_file.
  const std::unique_ptr<TokenStore> tokens_;
  const bool client_certificates_;
};

// The token of an `authorization` value "Bearer TOKEN" (scheme in any case),
// or empty if the value is not of that form.
absl::string_view BearerToken(absl::string_view authorization);

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_AUTH_AUTHENTICATOR_H_
