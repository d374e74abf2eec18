// Who is calling. Until authentication exists every caller is "anonymous";
// handles are already bound to the principal that created them.
#ifndef SOCKETSVC_SERVICE_API_PRINCIPAL_H_
#define SOCKETSVC_SERVICE_API_PRINCIPAL_H_

#include <string>

#include <grpcpp/server_context.h>

namespace socketsvc {

inline constexpr char kAnonymousPrincipal[] = "anonymous";

inline std::string PrincipalOf(const grpc::CallbackServerContext& /*context*/) {
  return kAnonymousPrincipal;
}

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_API_PRINCIPAL_H_
