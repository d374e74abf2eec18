#include "service/auth/authenticator.h"

#include "absl/strings/match.h"
#include "common/socket_error.h"
#include "service/ops/log.h"

namespace socketsvc {
namespace {

absl::Status Unauthenticated(absl::string_view message) {
  return SocketErrorStatus(absl::StatusCode::kUnauthenticated,
                           v1::SOCKET_ERROR_UNAUTHENTICATED, message);
}

void PrintWarnings(const TokenSet& tokens) {
  for (const std::string& warning : tokens.warnings) {
    LogLine(LogLevel::kWarning, warning).Write();
  }
}

}  // namespace

absl::string_view BearerToken(absl::string_view authorization) {
  constexpr absl::string_view kScheme = "bearer";
  if (authorization.size() <= kScheme.size() ||
      !absl::StartsWithIgnoreCase(authorization, kScheme) ||
      authorization[kScheme.size()] != ' ') {
    return {};
  }
  absl::string_view token = authorization.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  return token;
}

absl::StatusOr<std::unique_ptr<Authenticator>> Authenticator::Create(
    const AuthOptions& options) {
  std::unique_ptr<TokenStore> tokens;
  if (!options.tokens_file.empty()) {
    absl::StatusOr<TokenSet> read = ReadTokensFile(options.tokens_file);
    if (!read.ok()) return read.status();
    PrintWarnings(*read);
    tokens = std::make_unique<TokenStore>(
        std::make_shared<const TokenSet>(*std::move(read)));
  }
  return std::unique_ptr<Authenticator>(new Authenticator(
      options.tokens_file, std::move(tokens), !options.client_ca_file.empty()));
}

absl::StatusOr<std::string> Authenticator::Authenticate(
    const CallCredentials& call) const {
  if (tokens_ != nullptr) {
    if (call.authorization.size() > 1) {
      return Unauthenticated("more than one authorization header");
    }
    if (call.authorization.size() == 1) {
      const absl::string_view token = BearerToken(call.authorization.front());
      if (token.empty()) {
        return Unauthenticated(
            "the authorization header is not \"Bearer TOKEN\"");
      }
      std::optional<std::string> principal = tokens_->PrincipalFor(token);
      if (!principal.has_value()) {
        return Unauthenticated("the bearer token is not accepted");
      }
      return *std::move(principal);
    }
    if (!client_certificates_) {
      return Unauthenticated(
          "socketd requires a bearer token (authorization: Bearer TOKEN)");
    }
  }
  if (client_certificates_) {
    if (call.certificate_identity.empty()) {
      return Unauthenticated(
          "the client certificate names no URI, DNS name or common name");
    }
    for (char c : call.certificate_identity) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
        return Unauthenticated(
            "the client certificate's identity has control characters");
      }
    }
    return std::string(call.certificate_identity);
  }
  return std::string(kAnonymousPrincipal);
}

absl::StatusOr<std::shared_ptr<const TokenSet>> Authenticator::ReadTokens()
    const {
  if (tokens_ == nullptr) return std::shared_ptr<const TokenSet>();
  absl::StatusOr<TokenSet> read = ReadTokensFile(tokens_file_);
  if (!read.ok()) return read.status();
  PrintWarnings(*read);
  return std::make_shared<const TokenSet>(*std::move(read));
}

void Authenticator::InstallTokens(std::shared_ptr<const TokenSet> tokens) {
  if (tokens_ != nullptr && tokens != nullptr)
    tokens_->Replace(std::move(tokens));
}

}  // namespace socketsvc
