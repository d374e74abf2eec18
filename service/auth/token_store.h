// Bearer tokens from --tokens_file: which token names which principal.
//
// File format (docs/semantics.md#authentication), one token per line:
//
//   # comment lines start with '#'; blank lines are ignored
//   TOKEN PRINCIPAL
//
// separated by spaces or tabs. TOKEN is 16 to 4096 characters of RFC 6750's
// token68 alphabet (A-Z a-z 0-9 - . _ ~ + / and trailing '='), exactly what
// a caller sends as `authorization: Bearer TOKEN`. PRINCIPAL is 1 to 256
// printable ASCII characters without blanks; several tokens may name the
// same principal (rotation: add the new token, move callers, remove the old
// one). A token may appear only once, and a file must hold at least one.
// Anything else refuses the whole file, naming the line but never echoing a
// token.
//
// Only SHA-256 digests of the tokens are kept; a presented token is hashed
// and compared with every digest in constant time (CRYPTO_memcmp, no early
// exit), so neither its length nor a common prefix shows in the timing.
#ifndef SOCKETSVC_SERVICE_AUTH_TOKEN_STORE_H_
#define SOCKETSVC_SERVICE_AUTH_TOKEN_STORE_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace socketsvc {

using TokenDigest = std::array<uint8_t, 32>;  // SHA-256.

// One parsed tokens file. Immutable once built.
struct TokenSet {
  struct Entry {
    TokenDigest digest;
    std::string principal;
  };
  std::vector<Entry> entries;
  // Things worth saying that do not refuse the file (a world-readable file).
  std::vector<std::string> warnings;
};

// Parses the text of a tokens file; `source` names it in error messages.
absl::StatusOr<TokenSet> ParseTokens(absl::string_view text,
                                     absl::string_view source);

// Reads and parses the tokens file at `path`; warns when any user may read
// it.
absl::StatusOr<TokenSet> ReadTokensFile(const std::string& path);

// The tokens in force, replaceable at run time (SIGHUP). Thread-safe.
class TokenStore {
 public:
  explicit TokenStore(std::shared_ptr<const TokenSet> tokens)
      : tokens_(std::move(tokens)) {}

  // The principal `token` names, or nullopt.
  std::optional<std::string> PrincipalFor(absl::string_view token) const
      ABSL_LOCKS_EXCLUDED(mu_);

  // Puts `tokens` in force for every later call. Calls already admitted keep
  // their principal, and handles stay with the principal that made them.
  void Replace(std::shared_ptr<const TokenSet> tokens) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  std::shared_ptr<const TokenSet> tokens_ ABSL_GUARDED_BY(mu_);
};

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_AUTH_TOKEN_STORE_H_
