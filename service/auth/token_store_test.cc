#include "service/auth/token_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace socketsvc {
namespace {

constexpr char kAlice[] = "alice-token-0123456789";
constexpr char kBob[] = "bob.token_~+/0123456789==";

TokenStore StoreOf(absl::string_view text) {
  absl::StatusOr<TokenSet> tokens = ParseTokens(text, "test");
  EXPECT_TRUE(tokens.ok()) << tokens.status();
  return TokenStore(std::make_shared<const TokenSet>(
      tokens.ok() ? *std::move(tokens) : TokenSet()));
}

TEST(ParseTokensTest, CommentsBlankLinesTabsAndCrlf) {
  TokenStore store = StoreOf(absl::StrCat(
      "# socketd tokens\n\n   # indented comment\n", kAlice, " alice\r\n\t",
      kBob, "\t\tbob  \n", "another-token-for-alice alice"));
  EXPECT_EQ(store.PrincipalFor(kAlice), "alice");
  EXPECT_EQ(store.PrincipalFor(kBob), "bob");
  EXPECT_EQ(store.PrincipalFor("another-token-for-alice"), "alice");
}

TEST(ParseTokensTest, LookupIsExact) {
  TokenStore store = StoreOf(absl::StrCat(kAlice, " alice\n"));
  EXPECT_EQ(store.PrincipalFor(kAlice), "alice");
  EXPECT_EQ(store.PrincipalFor(""), std::nullopt);
  EXPECT_EQ(store.PrincipalFor("alice"), std::nullopt);
  EXPECT_EQ(store.PrincipalFor(absl::StrCat(kAlice, "x")), std::nullopt);
  EXPECT_EQ(store.PrincipalFor(std::string(kAlice).substr(1)), std::nullopt);
  std::string upper = kAlice;
  upper[0] = 'A';
  EXPECT_EQ(store.PrincipalFor(upper), std::nullopt);
}

TEST(ParseTokensTest, RefusesMalformedFilesNamingTheLineNotTheToken) {
  struct Case {
    std::string text;
    std::string message;
  };
  const std::string secret = "secret-secret-secret";
  const Case cases[] = {
      {"", "holds no token"},
      {"# only a comment\n\n", "holds no token"},
      {absl::StrCat(secret, "\n"), "line 1: expected TOKEN PRINCIPAL, found 1"},
      {absl::StrCat("# c\n", secret, " alice extra\n"),
       "line 2: expected TOKEN PRINCIPAL, found 3"},
      {absl::StrCat(secret, " alice # trailing comment\n"), "found 5 fields"},
      {"short-token alice\n", "16 to 4096 characters"},
      {absl::StrCat(std::string(4097, 'a'), " alice\n"), "16 to 4096"},
      {absl::StrCat(secret, "\"quote alice\n"), "characters outside"},
      {absl::StrCat("=", secret, " alice\n"), "characters outside"},
      {absl::StrCat(secret, "=x alice\n"), "characters outside"},
      {absl::StrCat(secret, " al\x01ice\n"), "printable ASCII"},
      {absl::StrCat(secret, " ", std::string(257, 'p'), "\n"), "1 to 256"},
      {absl::StrCat(secret, " alice\n", secret, " bob\n"),
       "line 2: the token already appears"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<TokenSet> tokens = ParseTokens(c.text, "f.txt");
    ASSERT_FALSE(tokens.ok()) << c.text;
    EXPECT_EQ(tokens.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StrContains(tokens.status().message(), c.message))
        << tokens.status() << " for " << c.text;
    EXPECT_TRUE(
        absl::StrContains(tokens.status().message(), "tokens file f.txt"));
    EXPECT_FALSE(absl::StrContains(tokens.status().message(), secret))
        << tokens.status();
  }
}

// The example in README.md ("Authentication").
TEST(ParseTokensTest, ReadmeExample) {
  TokenStore store = StoreOf(
      "# /etc/socketd/tokens (chmod 600: socketd warns when others may read "
      "it)\n"
      "4f8b1c0e9a7d42b6b1f0c3d5e6a7b8c9  billing\n"
      "# rotation: a second token for the same principal, the old one goes "
      "later\n"
      "0b1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f  billing\n"
      "Zx9Q-l2Vb_Kr7.tW~aP+yU/eM3sN0oLq  batch\n");
  EXPECT_EQ(store.PrincipalFor("4f8b1c0e9a7d42b6b1f0c3d5e6a7b8c9"), "billing");
  EXPECT_EQ(store.PrincipalFor("0b1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f"), "billing");
  EXPECT_EQ(store.PrincipalFor("Zx9Q-l2Vb_Kr7.tW~aP+yU/eM3sN0oLq"), "batch");
}

TEST(TokenStoreTest, ReplaceSwapsTheWholeSet) {
  TokenStore store = StoreOf(absl::StrCat(kAlice, " alice\n"));
  absl::StatusOr<TokenSet> next =
      ParseTokens(absl::StrCat(kBob, " bob\n"), "t");
  ASSERT_TRUE(next.ok());
  store.Replace(std::make_shared<const TokenSet>(*std::move(next)));
  EXPECT_EQ(store.PrincipalFor(kAlice), std::nullopt);
  EXPECT_EQ(store.PrincipalFor(kBob), "bob");
}

std::string TempPath(absl::string_view name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return absl::StrCat(dir != nullptr ? dir : "/tmp", "/", name);
}

TEST(ReadTokensFileTest, ReadsAndWarnsWhenWorldReadable) {
  const std::string path = TempPath("tokens.txt");
  {
    std::ofstream out(path);
    out << kAlice << " alice\n";
  }
  ASSERT_EQ(chmod(path.c_str(), 0600), 0);
  absl::StatusOr<TokenSet> tokens = ReadTokensFile(path);
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  EXPECT_EQ(tokens->entries.size(), 1u);
  EXPECT_TRUE(tokens->warnings.empty());

  ASSERT_EQ(chmod(path.c_str(), 0644), 0);
  tokens = ReadTokensFile(path);
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  ASSERT_EQ(tokens->warnings.size(), 1u);
  EXPECT_TRUE(absl::StrContains(tokens->warnings[0], "readable by every user"));
}

TEST(ReadTokensFileTest, MissingFileAndDirectoryAreErrors) {
  absl::StatusOr<TokenSet> tokens = ReadTokensFile(TempPath("no-such-file"));
  ASSERT_FALSE(tokens.ok());
  EXPECT_TRUE(
      absl::StrContains(tokens.status().message(), "cannot read tokens file"));
  tokens = ReadTokensFile(TempPath(""));
  ASSERT_FALSE(tokens.ok());
  EXPECT_TRUE(
      absl::StrContains(tokens.status().message(), "not a regular file"));
}

}  // namespace
}  // namespace socketsvc
