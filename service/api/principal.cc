#include "service/api/principal.h"

#include "service/ops/call_registry.h"

namespace socketsvc {
namespace {

// The call whose handler runs on this thread, and its principal.
thread_local const grpc::CallbackServerContext* bound_context = nullptr;
thread_local const std::string* bound_principal = nullptr;

// Owns nothing: no token names it (principals are printable ASCII) and no
// certificate identity starts with a control character.
const std::string& Unbound() {
  static const std::string* const unbound = new std::string("\x01unbound");
  return *unbound;
}

}  // namespace

const std::string& PrincipalOf(const grpc::CallbackServerContext& context) {
  if (bound_context == &context && bound_principal != nullptr) {
    return *bound_principal;
  }
  return Unbound();
}

ScopedPrincipal::ScopedPrincipal(const grpc::CallbackServerContext* context,
                                 const std::string* principal)
    : previous_context_(bound_context), previous_principal_(bound_principal) {
  bound_context = context;
  bound_principal = principal;
  // The call's log lines name who called (call_registry.h).
  SetCallPrincipal(context, *principal);
}

ScopedPrincipal::~ScopedPrincipal() {
  bound_context = previous_context_;
  bound_principal = previous_principal_;
}

}  // namespace socketsvc
