// Who is calling. AuthGate (auth_gate.h) authenticates every call once,
// before its handler runs, and binds the principal to the call for the
// duration of the handler; handles belong to the principal that created
// them.
#ifndef SOCKETSVC_SERVICE_API_PRINCIPAL_H_
#define SOCKETSVC_SERVICE_API_PRINCIPAL_H_

#include <grpcpp/server_context.h>

#include <string>

#include "service/auth/authenticator.h"

namespace socketsvc {

// The principal of the call `context` belongs to: "anonymous" when socketd
// authenticates nobody, else a token's principal or a client certificate's
// identity. Cheap (no lookup). Call it in the handler itself, on the thread
// gRPC runs the handler on, as every handler does before it starts work; a
// callback that runs later must capture the value. Anywhere else it returns
// a principal that owns nothing and nobody can present.
const std::string& PrincipalOf(const grpc::CallbackServerContext& context);

// Binds `principal` to `context` on this thread until destroyed (AuthGate,
// around the handler), and records it as the call's principal for its log
// lines (SetCallPrincipal). Nests. Neither pointer is owned; both must
// outlive it.
class ScopedPrincipal {
 public:
  ScopedPrincipal(const grpc::CallbackServerContext* context,
                  const std::string* principal);
  ~ScopedPrincipal();
  ScopedPrincipal(const ScopedPrincipal&) = delete;
  ScopedPrincipal& operator=(const ScopedPrincipal&) = delete;

 private:
  const grpc::CallbackServerContext* const previous_context_;
  const std::string* const previous_principal_;
};

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_API_PRINCIPAL_H_
