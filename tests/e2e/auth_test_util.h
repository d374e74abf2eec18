// Shared by the authentication tests: socketd in-process with the
// authentication a test gives, tokens, and clients with credentials.
#ifndef SOCKETSVC_TESTS_E2E_AUTH_TEST_UTIL_H_
#define SOCKETSVC_TESTS_E2E_AUTH_TEST_UTIL_H_

#include <google/protobuf/descriptor.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>

#include <future>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "client/client.h"
#include "common/grpc_status.h"
#include "gtest/gtest.h"
#include "service/server.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/e2e/http_test_util.h"
#include "tests/peers/peers.h"
#include "tests/tls/certificate_authority.h"
#include "tests/tls/subprocess.h"

namespace socketsvc::e2e {

using tls::CertificateAuthority;
using tls::IssuedCertificate;

constexpr char kAliceToken[] = "alice-0123456789abcdef";
constexpr char kBobToken[] = "bob-0123456789abcdef";

template <typename T>
::testing::AssertionResult IsUnauthenticated(const absl::StatusOr<T>& result) {
  return HasError(result, absl::StatusCode::kUnauthenticated,
                  v1::SOCKET_ERROR_UNAUTHENTICATED);
}

// A well-formed handle of the same kind and replica as `handle` that names
// nothing: every hex digit changed.
inline std::string UnknownLike(const std::string& handle) {
  std::string unknown = handle;
  for (size_t i = handle.find('.') + 1; i < unknown.size(); ++i) {
    unknown[i] = unknown[i] == 'f'   ? '0'
                 : unknown[i] == '9' ? 'a'
                                     : unknown[i] + 1;
  }
  return unknown;
}

inline AuthOptions TokensOnly(const std::string& tokens_file) {
  AuthOptions auth;
  auth.tokens_file = tokens_file;
  return auth;
}

// socketd in-process on 127.0.0.1:0 with the authentication a test gives.
class AuthTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (server_) server_->Shutdown(absl::Seconds(1));
  }

  void Start(const AuthOptions& auth) {
    ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.auth = auth;
    absl::StatusOr<std::unique_ptr<SocketServer>> server =
        SocketServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  std::string target() const {
    return absl::StrCat("127.0.0.1:", server_->port());
  }

  // Writes `text` to a tokens file in the test's directory.
  std::string WriteTokens(const std::string& text,
                          const std::string& name = "tokens") {
    const std::string path = dir_.File(name);
    EXPECT_TRUE(tls::WriteFile(path, text));
    return path;
  }

  // A plaintext client sending `token` (none if empty).
  Client Plain(absl::string_view token = "") const {
    ClientCredentialsOptions credentials;
    credentials.bearer_token = std::string(token);
    return Client::Create(target(), credentials);
  }

  tls::TempDir dir_{"auth"};
  std::unique_ptr<SocketServer> server_;
};

}  // namespace socketsvc::e2e

#endif  // SOCKETSVC_TESTS_E2E_AUTH_TEST_UTIL_H_
