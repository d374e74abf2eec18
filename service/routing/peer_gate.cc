#include "service/routing/peer_gate.h"

#include <grpcpp/security/auth_context.h>
#include <openssl/crypto.h>

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "common/socket_error.h"
#include "service/api/call_reactor.h"
#include "service/routing/forward_call.h"

namespace socketsvc {
namespace {

constexpr size_t kMaxPrincipalBytes = 4096;

absl::Status NotAPeer(absl::string_view why) {
  return SocketErrorStatus(absl::StatusCode::kUnauthenticated,
                           v1::SOCKET_ERROR_UNAUTHENTICATED,
                           absl::StrCat("peer listener: ", why));
}

// A call of this process's in-process channel (the secret never leaves it).
bool IsInternal(const grpc::CallbackServerContext& context,
                absl::string_view internal_secret) {
  const auto [begin, end] = context.client_metadata().equal_range(kInternalHeader);
  if (begin == end || std::next(begin) != end || internal_secret.empty() ||
      begin->second.size() != internal_secret.size()) {
    return false;
  }
  return CRYPTO_memcmp(begin->second.data(), internal_secret.data(),
                       internal_secret.size()) == 0;
}

}  // namespace

absl::StatusOr<std::string> ForwardedPrincipal(const grpc::CallbackServerContext& context,
                                               absl::string_view internal_secret) {
  const std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if ((auth == nullptr || !auth->IsPeerAuthenticated()) &&
      !IsInternal(context, internal_secret)) {
    return NotAPeer("the caller presented no verified replica certificate");
  }
  const auto [begin, end] = context.client_metadata().equal_range(kPrincipalHeader);
  if (begin == end || std::next(begin) != end) {
    return NotAPeer("a forwarded call carries exactly one principal");
  }
  const absl::string_view principal(begin->second.data(), begin->second.size());
  if (principal.empty() || principal.size() > kMaxPrincipalBytes) {
    return NotAPeer("the forwarded principal is empty or too long");
  }
  for (const char c : principal) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      return NotAPeer("the forwarded principal holds a control character");
    }
  }
  return std::string(principal);
}

grpc::ServerBidiReactor<v1::PipeRequest, v1::PipeResponse>* PeerGate::Pipe(
    grpc::CallbackServerContext* context) {
  absl::StatusOr<std::string> principal = ForwardedPrincipal(*context, internal_secret_);
  if (!principal.ok()) return new RefusedStream<v1::PipeRequest, v1::PipeResponse>(principal.status());
  ScopedPrincipal bound(context, &*principal);
  return local_.Pipe(context);
}

}  // namespace socketsvc
