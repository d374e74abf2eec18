#include "service/auth/token_store.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace socketsvc {
namespace {

constexpr size_t kMinTokenLength = 16;
constexpr size_t kMaxTokenLength = 4096;
constexpr size_t kMaxPrincipalLength = 256;
// A tokens file is a few lines; anything this large is the wrong file.
constexpr off_t kMaxFileBytes = 1 << 20;

TokenDigest Sha256(absl::string_view text) {
  TokenDigest digest;
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(),
         digest.data());
  return digest;
}

bool IsToken68Char(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' ||
         c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

// RFC 6750 b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" )
// *"=".
bool IsToken68(absl::string_view token) {
  size_t i = 0;
  while (i < token.size() && IsToken68Char(token[i])) ++i;
  if (i == 0) return false;
  while (i < token.size() && token[i] == '=') ++i;
  return i == token.size();
}

bool IsPrincipal(absl::string_view principal) {
  if (principal.empty() || principal.size() > kMaxPrincipalLength) return false;
  for (char c : principal) {
    if (c <= ' ' || c > '~') return false;  // Printable ASCII, no blank.
  }
  return true;
}

absl::Status LineError(absl::string_view source, int line,
                       absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("tokens file ", source, " line ", line, ": ", what));
}

}  // namespace

absl::StatusOr<TokenSet> ParseTokens(absl::string_view text,
                                     absl::string_view source) {
  TokenSet tokens;
  absl::flat_hash_set<std::string> seen;  // Digests, as bytes.
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const absl::string_view content = absl::StripAsciiWhitespace(line);
    if (content.empty() || content.front() == '#') continue;
    const std::vector<absl::string_view> fields =
        absl::StrSplit(content, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (fields.size() != 2) {
      return LineError(source, line_number,
                       absl::StrCat("expected TOKEN PRINCIPAL, found ",
                                    fields.size(), " fields"));
    }
    const absl::string_view token = fields[0];
    const absl::string_view principal = fields[1];
    if (!IsToken68(token)) {
      return LineError(source, line_number,
                       "the token has characters outside A-Z a-z 0-9 - . _ ~ "
                       "+ / (and trailing =)");
    }
    if (token.size() < kMinTokenLength || token.size() > kMaxTokenLength) {
      return LineError(
          source, line_number,
          absl::StrCat("the token must be ", kMinTokenLength, " to ",
                       kMaxTokenLength, " characters long"));
    }
    if (!IsPrincipal(principal)) {
      return LineError(
          source, line_number,
          absl::StrCat("the principal must be 1 to ", kMaxPrincipalLength,
                       " printable ASCII characters"));
    }
    TokenSet::Entry entry{Sha256(token), std::string(principal)};
    if (!seen.insert(std::string(entry.digest.begin(), entry.digest.end()))
             .second) {
      return LineError(source, line_number,
                       "the token already appears on an earlier line");
    }
    tokens.entries.push_back(std::move(entry));
  }
  if (tokens.entries.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tokens file ", source, " holds no token: nobody could call socketd"));
  }
  return tokens;
}

absl::StatusOr<TokenSet> ReadTokensFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot read tokens file ", path, ": ", std::strerror(errno)));
  }
  struct stat st {};
  std::string text;
  absl::Status status;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    status = absl::InvalidArgumentError(
        absl::StrCat("tokens file ", path, " is not a regular file"));
  } else if (st.st_size > kMaxFileBytes) {
    status = absl::InvalidArgumentError(
        absl::StrCat("tokens file ", path, " is larger than 1 MiB"));
  } else {
    char buffer[4096];
    for (;;) {
      const ssize_t n = read(fd, buffer, sizeof(buffer));
      if (n > 0) {
        text.append(buffer, static_cast<size_t>(n));
        if (text.size() > static_cast<size_t>(kMaxFileBytes)) break;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        status = absl::InvalidArgumentError(absl::StrCat(
            "cannot read tokens file ", path, ": ", std::strerror(errno)));
      }
      break;
    }
    OPENSSL_cleanse(buffer, sizeof(buffer));
  }
  close(fd);
  if (status.ok() && text.size() > static_cast<size_t>(kMaxFileBytes)) {
    status = absl::InvalidArgumentError(
        absl::StrCat("tokens file ", path, " is larger than 1 MiB"));
  }
  if (!status.ok()) {
    OPENSSL_cleanse(text.data(), text.size());
    return status;
  }
  absl::StatusOr<TokenSet> tokens = ParseTokens(text, path);
  // Wipe the plaintext tokens; only their digests stay.
  OPENSSL_cleanse(text.data(), text.size());
  if (tokens.ok() && (st.st_mode & S_IROTH) != 0) {
    tokens->warnings.push_back(
        absl::StrCat("tokens file ", path,
                     " is readable by every user of this machine (chmod o-r)"));
  }
  return tokens;
}

std::optional<std::string> TokenStore::PrincipalFor(
    absl::string_view token) const {
  const TokenDigest digest = Sha256(token);
  std::shared_ptr<const TokenSet> tokens;
  {
    absl::MutexLock lock(&mu_);
    tokens = tokens_;
  }
  if (tokens == nullptr) return std::nullopt;
  // Every digest is compared, whether or not an earlier one matched.
  const TokenSet::Entry* match = nullptr;
  for (const TokenSet::Entry& entry : tokens->entries) {
    const bool equal =
        CRYPTO_memcmp(entry.digest.data(), digest.data(), digest.size()) == 0;
    if (equal) match = &entry;
  }
  if (match == nullptr) return std::nullopt;
  return match->principal;
}

void TokenStore::Replace(std::shared_ptr<const TokenSet> tokens) {
  absl::MutexLock lock(&mu_);
  tokens_ = std::move(tokens);
}

}  // namespace socketsvc
