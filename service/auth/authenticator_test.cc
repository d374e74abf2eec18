#include "service/auth/authenticator.h"

#include <cstdlib>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "common/socket_error.h"
#include "gtest/gtest.h"

namespace socketsvc {
namespace {

constexpr char kAliceToken[] = "alice-token-0123456789";
constexpr char kBobToken[] = "bob-token-0123456789";

std::string WriteTokens(absl::string_view name, absl::string_view text) {
  const char* dir = std::getenv("TEST_TMPDIR");
  const std::string path =
      absl::StrCat(dir != nullptr ? dir : "/tmp", "/", name);
  std::ofstream(path) << text;
  return path;
}

::testing::AssertionResult IsUnauthenticated(
    const absl::StatusOr<std::string>& r) {
  if (r.ok()) return ::testing::AssertionFailure() << "authenticated as " << *r;
  if (r.status().code() != absl::StatusCode::kUnauthenticated ||
      GetSocketError(r.status()) != v1::SOCKET_ERROR_UNAUTHENTICATED) {
    return ::testing::AssertionFailure() << r.status();
  }
  return ::testing::AssertionSuccess();
}

std::unique_ptr<Authenticator> Make(const AuthOptions& options) {
  absl::StatusOr<std::unique_ptr<Authenticator>> auth =
      Authenticator::Create(options);
  EXPECT_TRUE(auth.ok()) << auth.status();
  return auth.ok() ? *std::move(auth) : nullptr;
}

CallCredentials WithAuthorization(absl::string_view value) {
  CallCredentials call;
  call.authorization.push_back(value);
  return call;
}

TEST(BearerTokenTest, Parses) {
  EXPECT_EQ(BearerToken("Bearer abc"), "abc");
  EXPECT_EQ(BearerToken("bearer abc"), "abc");
  EXPECT_EQ(BearerToken("BEARER   abc"), "abc");
  EXPECT_EQ(BearerToken("Bearer"), "");
  EXPECT_EQ(BearerToken("Bearer "), "");
  EXPECT_EQ(BearerToken("Bearerabc"), "");
  EXPECT_EQ(BearerToken("Basic abc"), "");
  EXPECT_EQ(BearerToken("abc"), "");
}

TEST(AuthenticatorTest, NothingConfiguredIsAnonymous) {
  std::unique_ptr<Authenticator> auth = Make({});
  ASSERT_NE(auth, nullptr);
  EXPECT_FALSE(auth->authenticates());
  EXPECT_EQ(*auth->Authenticate({}), "anonymous");
  // A token nobody asked for changes nothing.
  EXPECT_EQ(*auth->Authenticate(WithAuthorization("Bearer whatever")),
            "anonymous");
}

TEST(AuthenticatorTest, Tokens) {
  AuthOptions options;
  options.tokens_file = WriteTokens(
      "tokens", absl::StrCat(kAliceToken, " alice\n", kBobToken, " bob\n"));
  std::unique_ptr<Authenticator> auth = Make(options);
  ASSERT_NE(auth, nullptr);
  EXPECT_TRUE(auth->authenticates());
  EXPECT_EQ(*auth->Authenticate(
                WithAuthorization(absl::StrCat("Bearer ", kAliceToken))),
            "alice");
  EXPECT_EQ(*auth->Authenticate(
                WithAuthorization(absl::StrCat("bearer ", kBobToken))),
            "bob");
  EXPECT_TRUE(IsUnauthenticated(auth->Authenticate({})));
  EXPECT_TRUE(
      IsUnauthenticated(auth->Authenticate(WithAuthorization("Bearer nope"))));
  EXPECT_TRUE(
      IsUnauthenticated(auth->Authenticate(WithAuthorization(kAliceToken))));
  EXPECT_TRUE(IsUnauthenticated(auth->Authenticate(
      WithAuthorization(absl::StrCat("Basic ", kAliceToken)))));
  const std::string alice = absl::StrCat("Bearer ", kAliceToken);
  CallCredentials two = WithAuthorization(alice);
  two.authorization.push_back(alice);
  EXPECT_TRUE(IsUnauthenticated(auth->Authenticate(two)));
  // Without --client_ca a certificate identity does not count.
  CallCredentials cert;
  cert.certificate_identity = "alice";
  EXPECT_TRUE(IsUnauthenticated(auth->Authenticate(cert)));
}

TEST(AuthenticatorTest, ClientCertificates) {
  AuthOptions options;
  options.client_ca_file = "/unused/by/the/authenticator";
  std::unique_ptr<Authenticator> auth = Make(options);
  ASSERT_NE(auth, nullptr);
  EXPECT_TRUE(auth->authenticates());
  CallCredentials call;
  call.certificate_identity = "spiffe://test/caller";
  EXPECT_EQ(*auth->Authenticate(call), "spiffe://test/caller");
  // Tokens are not configured: a header is ignored, the certificate decides.
  call.authorization.push_back("Bearer whatever");
  EXPECT_EQ(*auth->Authenticate(call), "spiffe://test/caller");
  EXPECT_TRUE(IsUnauthenticated(auth->Authenticate({})));
  call.certificate_identity = "evil\x01name";
  EXPECT_TRUE(IsUnauthenticated(auth->Authenticate(call)));
}

TEST(AuthenticatorTest, TokenDecidesOverCertificateAndMustBeRight) {
  AuthOptions options;
  options.client_ca_file = "/unused";
  options.tokens_file =
      WriteTokens("both", absl::StrCat(kAliceToken, " alice\n"));
  std::unique_ptr<Authenticator> auth = Make(options);
  ASSERT_NE(auth, nullptr);
  CallCredentials call;
  call.certificate_identity = "cert-name";
  EXPECT_EQ(*auth->Authenticate(call), "cert-name");
  const std::string alice = absl::StrCat("Bearer ", kAliceToken);
  call.authorization.push_back(alice);
  EXPECT_EQ(*auth->Authenticate(call), "alice");
  call.authorization[0] = "Bearer wrong-token-0123456789";
  EXPECT_TRUE(IsUnauthenticated(auth->Authenticate(call)));
}

TEST(AuthenticatorTest, ReloadIsReadThenInstall) {
  AuthOptions options;
  options.tokens_file =
      WriteTokens("reload", absl::StrCat(kAliceToken, " alice\n"));
  std::unique_ptr<Authenticator> auth = Make(options);
  ASSERT_NE(auth, nullptr);
  const std::string alice_header = absl::StrCat("Bearer ", kAliceToken);
  const std::string bob_header = absl::StrCat("Bearer ", kBobToken);
  const CallCredentials alice = WithAuthorization(alice_header);
  const CallCredentials bob = WithAuthorization(bob_header);

  WriteTokens("reload", absl::StrCat(kBobToken, " bob\n"));
  absl::StatusOr<std::shared_ptr<const TokenSet>> read = auth->ReadTokens();
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*auth->Authenticate(alice), "alice");  // Not installed yet.
  auth->InstallTokens(*read);
  EXPECT_TRUE(IsUnauthenticated(auth->Authenticate(alice)));
  EXPECT_EQ(*auth->Authenticate(bob), "bob");

  WriteTokens("reload", "garbage\n");
  EXPECT_FALSE(auth->ReadTokens().ok());
  EXPECT_EQ(*auth->Authenticate(bob), "bob");
}

TEST(AuthenticatorTest, MalformedTokensFileRefusesToStart) {
  AuthOptions options;
  options.tokens_file = WriteTokens("bad", "one-field-only-0123456789\n");
  absl::StatusOr<std::unique_ptr<Authenticator>> auth =
      Authenticator::Create(options);
  ASSERT_FALSE(auth.ok());
  EXPECT_EQ(auth.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace socketsvc
