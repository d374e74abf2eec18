// TLS and mutual TLS on the gRPC listener, with certificates made at test
// time: principals from client certificates, refusals, bad files.
#include "tests/e2e/auth_test_util.h"

#include <future>
#include <memory>
#include <string>

namespace socketsvc::e2e {
namespace {

using tls::CertificateAuthority;
using tls::IssuedCertificate;

// --- TLS and mutual TLS
// ----------------------------------------------------------

class TlsAuthTest : public AuthTest {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<CertificateAuthority>> ca =
        CertificateAuthority::Create();
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = *std::move(ca);
    absl::StatusOr<IssuedCertificate> server_cert =
        ca_->IssueLocalhostServerCert();
    ASSERT_TRUE(server_cert.ok()) << server_cert.status();
    server_cert_ = *std::move(server_cert);
  }

  // socketd's listener speaks TLS with a certificate for localhost.
  AuthOptions ServerTls() const {
    AuthOptions auth;
    auth.tls_cert_file = server_cert_.cert_path;
    auth.tls_key_file = server_cert_.key_path;
    return auth;
  }

  // TLS (and mutual TLS with `client`) to socketd, trusting ca_.
  Client Tls(const IssuedCertificate* client,
             absl::string_view token = "") const {
    ClientCredentialsOptions credentials;
    credentials.root_ca_pem = ca_->cert_pem();
    credentials.server_name_override = "localhost";
    if (client != nullptr) {
      credentials.client_cert_pem = client->cert_pem;
      credentials.client_key_pem = client->key_pem;
    }
    credentials.bearer_token = std::string(token);
    return Client::Create(target(), credentials);
  }

  IssuedCertificate ClientCert(const std::string& common_name,
                               const std::vector<std::string>& uris = {},
                               const std::vector<std::string>& dns_names = {}) {
    absl::StatusOr<IssuedCertificate> cert =
        ca_->IssueClientCert(common_name, uris, dns_names);
    EXPECT_TRUE(cert.ok()) << cert.status();
    return cert.ok() ? *std::move(cert) : IssuedCertificate();
  }

  std::unique_ptr<CertificateAuthority> ca_;
  IssuedCertificate server_cert_;
};

TEST_F(TlsAuthTest, TokensOverTls) {
  AuthOptions auth = ServerTls();
  auth.tokens_file = WriteTokens(absl::StrCat(kAliceToken, " alice\n"));
  Start(auth);
  absl::StatusOr<v1::ListenResponse> listening =
      Tls(nullptr, kAliceToken).Listen("", 0);
  ASSERT_TRUE(listening.ok()) << listening.status();
  EXPECT_TRUE(Tls(nullptr, kAliceToken).GetInfo(listening->listener()).ok());
  EXPECT_TRUE(IsUnauthenticated(Tls(nullptr).Listen("", 0)));
  EXPECT_TRUE(IsUnauthenticated(Tls(nullptr, kBobToken).Listen("", 0)));
  // A plaintext client does not get past the TLS handshake.
  EXPECT_EQ(Plain(kAliceToken).Listen("", 0).status().code(),
            absl::StatusCode::kUnavailable);
}

// The principal of a client certificate is its first URI SAN, else its first
// DNS SAN, else its CN. Shown exactly: a token whose principal is that string
// sees the handles the certificate created, tokens naming the other names
// of the same certificate do not.
TEST_F(TlsAuthTest, ClientCertificatePrincipalIsUriElseDnsElseCn) {
  AuthOptions auth = ServerTls();
  auth.client_ca_file = ca_->cert_path();
  auth.tokens_file = WriteTokens(
      "uri-token-0123456789abcdef spiffe://test/alice\n"
      "dns-token-0123456789abcdef alice.test\n"
      "cn-token-0123456789abcdefg alice-cn\n");
  Start(auth);
  const IssuedCertificate full =
      ClientCert("alice-cn", {"spiffe://test/alice", "spiffe://test/second"},
                 {"alice.test", "b.test"});
  const IssuedCertificate dns_only = ClientCert("other-cn", {}, {"alice.test"});
  const IssuedCertificate cn_only = ClientCert("alice-cn");
  const IssuedCertificate other = ClientCert("bob-cn", {"spiffe://test/bob"});

  struct Case {
    const IssuedCertificate* cert;
    const char* token_seeing_it;
    std::vector<const char*> tokens_not_seeing_it;
  };
  const Case cases[] = {
      {&full,
       "uri-token-0123456789abcdef",
       {"dns-token-0123456789abcdef", "cn-token-0123456789abcdefg"}},
      {&dns_only,
       "dns-token-0123456789abcdef",
       {"uri-token-0123456789abcdef", "cn-token-0123456789abcdefg"}},
      {&cn_only,
       "cn-token-0123456789abcdefg",
       {"uri-token-0123456789abcdef", "dns-token-0123456789abcdef"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.token_seeing_it);
    absl::StatusOr<v1::ListenResponse> listening = Tls(c.cert).Listen("", 0);
    ASSERT_TRUE(listening.ok()) << listening.status();
    const std::string handle = listening->listener();
    // Same certificate on a new connection: same principal.
    EXPECT_TRUE(Tls(c.cert).GetInfo(handle).ok());
    // A token names the principal when presented (it decides over the
    // certificate), so only the token for exactly that string sees it.
    EXPECT_TRUE(Tls(&other, c.token_seeing_it).GetInfo(handle).ok());
    for (const char* token : c.tokens_not_seeing_it) {
      EXPECT_TRUE(HasError(Tls(&other, token).GetInfo(handle),
                           absl::StatusCode::kNotFound,
                           v1::SOCKET_ERROR_INVALID_HANDLE))
          << token;
    }
    EXPECT_TRUE(HasError(Tls(&other).GetInfo(handle),
                         absl::StatusCode::kNotFound,
                         v1::SOCKET_ERROR_INVALID_HANDLE));
    // A wrong token is refused, not replaced by the certificate.
    EXPECT_TRUE(IsUnauthenticated(Tls(c.cert, kBobToken).GetInfo(handle)));
  }
}

TEST_F(TlsAuthTest, MutualTlsRefusesClientsWithoutATrustedCertificate) {
  AuthOptions auth = ServerTls();
  auth.client_ca_file = ca_->cert_path();
  Start(auth);
  const IssuedCertificate alice = ClientCert("alice", {"spiffe://test/alice"});
  absl::StatusOr<v1::ListenResponse> listening = Tls(&alice).Listen("", 0);
  ASSERT_TRUE(listening.ok()) << listening.status();
  EXPECT_TRUE(Tls(&alice).Close(listening->listener()).ok());

  // No certificate, or one from another CA: the TLS handshake fails, so no
  // call gets through at all.
  EXPECT_EQ(Tls(nullptr).Listen("", 0).status().code(),
            absl::StatusCode::kUnavailable);
  absl::StatusOr<std::unique_ptr<CertificateAuthority>> stranger_ca =
      CertificateAuthority::Create("stranger CA");
  ASSERT_TRUE(stranger_ca.ok());
  absl::StatusOr<IssuedCertificate> stranger =
      (*stranger_ca)->IssueClientCert("alice", {"spiffe://test/alice"});
  ASSERT_TRUE(stranger.ok());
  EXPECT_EQ(Tls(&*stranger).Listen("", 0).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(Plain().Listen("", 0).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(TlsAuthTest, BadListenerFilesRefuseToStart) {
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.auth.tls_cert_file = server_cert_.cert_path;
  options.auth.tls_key_file = ClientCert("x").key_path;  // Another key.
  absl::StatusOr<std::unique_ptr<SocketServer>> server =
      SocketServer::Start(options);
  ASSERT_FALSE(server.ok());
  EXPECT_NE(server.status().message().find("is not the key of"),
            absl::string_view::npos)
      << server.status();
  options.auth.tls_key_file = server_cert_.key_path;
  options.auth.client_ca_file = server_cert_.key_path;  // No certificate in it.
  server = SocketServer::Start(options);
  ASSERT_FALSE(server.ok());
  EXPECT_NE(server.status().message().find("--client_ca"),
            absl::string_view::npos)
      << server.status();
}

}  // namespace
}  // namespace socketsvc::e2e
