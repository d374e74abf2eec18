#include "service/sessions/handle.h"

#include <openssl/rand.h>

#include <cstdint>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace socketsvc {
namespace {

constexpr size_t kRandomBytes = 16;

bool IsKind(char c) {
  return c == static_cast<char>(HandleKind::kSocket) ||
         c == static_cast<char>(HandleKind::kListener) ||
         c == static_cast<char>(HandleKind::kHttpServer) ||
         c == static_cast<char>(HandleKind::kHttpRequest);
}

bool IsLowerHex(char c) {
  return absl::ascii_isdigit(c) || (c >= 'a' && c <= 'f');
}

}  // namespace

std::string NewHandle(HandleKind kind, absl::string_view replica_id) {
  unsigned char random[kRandomBytes];
  // OpenSSL's CSPRNG: handles must not be predictable from earlier ones.
  if (RAND_bytes(random, sizeof(random)) != 1) std::abort();
  return absl::StrCat(
      std::string(1, static_cast<char>(kind)), replica_id, ".",
      absl::BytesToHexString(absl::string_view(
          reinterpret_cast<const char*>(random), sizeof(random))));
}

bool IsWellFormedHandle(absl::string_view handle) {
  const size_t dot = handle.find('.');
  if (handle.empty() || dot == absl::string_view::npos || dot < 2) return false;
  if (!IsKind(handle[0]) || !IsValidReplicaId(handle.substr(1, dot - 1))) {
    return false;
  }
  absl::string_view random = handle.substr(dot + 1);
  if (random.size() != 2 * kRandomBytes) return false;
  for (char c : random) {
    if (!IsLowerHex(c)) return false;
  }
  return true;
}

bool IsValidReplicaId(absl::string_view id) {
  if (id.empty() || id.size() > 16) return false;
  for (char c : id) {
    if (!absl::ascii_isdigit(c) && !absl::ascii_islower(c)) return false;
  }
  return true;
}

}  // namespace socketsvc
