#include "service/api/auth_gate.h"

#include "common/grpc_status.h"
#include "service/api/call_reactor.h"
#include "service/auth/certificate_identity.h"

namespace socketsvc {

absl::StatusOr<std::string> AuthGate::Authenticate(
    const grpc::CallbackServerContext& context) const {
  if (!authenticator_.authenticates()) return std::string(kAnonymousPrincipal);
  CallCredentials call;
  const auto [begin, end] =
      context.client_metadata().equal_range("authorization");
  for (auto it = begin; it != end; ++it) {
    call.authorization.emplace_back(it->second.data(), it->second.size());
  }
  std::string certificate_identity;
  if (authenticator_.uses_client_certificates()) {
    if (const std::shared_ptr<const grpc::AuthContext> auth =
            context.auth_context()) {
      certificate_identity = CertificateIdentity(*auth);
    }
    call.certificate_identity = certificate_identity;
  }
  return authenticator_.Authenticate(call);
}

grpc::ServerBidiReactor<v1::PipeRequest, v1::PipeResponse>* AuthGate::Pipe(
    grpc::CallbackServerContext* context) {
  absl::StatusOr<std::string> principal = Authenticate(*context);
  if (!principal.ok()) {
    return new RefusedStream<v1::PipeRequest, v1::PipeResponse>(principal.status());
  }
  ScopedPrincipal bound(context, &*principal);
  return service_.Pipe(context);
}

}  // namespace socketsvc
