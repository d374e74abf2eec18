// TLS Connect against real `openssl s_server` and OpenSSL peers with
// certificates made at test time: verification, names, expiry, SNI, mutual
// TLS, ALPN, versions, handshake timeouts.
#include "gmock/gmock.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/peers/peers.h"
#include "tests/tls/certificate_authority.h"
#include "tests/tls/openssl_server.h"
#include "tests/tls/tls_peers.h"

namespace socketsvc::e2e {
namespace {

using tls::CertificateAuthority;
using tls::IssuedCertificate;
using tls::OpenSslServer;
using tls::Validity;

class TlsVerifyTest : public SocketdTest {
 protected:
  void SetUp() override {
    SocketdTest::SetUp();
    absl::StatusOr<std::unique_ptr<CertificateAuthority>> ca = CertificateAuthority::Create();
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = std::move(*ca);
  }

  std::unique_ptr<OpenSslServer> StartServer(Validity validity = Validity::kValid) {
    absl::StatusOr<IssuedCertificate> cert = ca_->IssueLocalhostServerCert(validity);
    EXPECT_TRUE(cert.ok()) << cert.status();
    absl::StatusOr<std::unique_ptr<OpenSslServer>> server =
        OpenSslServer::Start({cert->cert_path, cert->key_path});
    EXPECT_TRUE(server.ok()) << server.status();
    return server.ok() ? std::move(*server) : nullptr;
  }

  v1::TlsOptions Trusting() {
    v1::TlsOptions tls;
    tls.set_ca_pem(ca_->cert_pem());
    return tls;
  }

  std::unique_ptr<CertificateAuthority> ca_;
};

TEST_F(TlsVerifyTest, VerifiedConnectionCarriesBytesAndDescribesThePeer) {
  std::unique_ptr<OpenSslServer> server = StartServer();
  ASSERT_NE(server, nullptr);
  absl::StatusOr<v1::ConnectResponse> connected =
      client_->ConnectTls("127.0.0.1", server->port(), Trusting(), 5000);
  ASSERT_TRUE(connected.ok()) << connected.status();
  const v1::TlsInfo& tls = connected->tls();
  EXPECT_TRUE(tls.verified());
  EXPECT_EQ(tls.version(), "TLSv1.3");
  EXPECT_FALSE(tls.cipher().empty());
  EXPECT_EQ(tls.server_name(), "127.0.0.1");
  EXPECT_NE(tls.peer_issuer().find("socketsvc test CA"), std::string::npos);
  EXPECT_THAT(std::vector<std::string>(tls.peer_sans().begin(), tls.peer_sans().end()),
              ::testing::IsSupersetOf({"DNS:localhost", "IP:127.0.0.1"}));
  EXPECT_GT(tls.peer_not_after_unix(), absl::ToUnixSeconds(absl::Now()));

  const std::string handle = connected->handle();
  ASSERT_TRUE(client_->Send(handle, "hello tls\n", 5000).ok());
  absl::StatusOr<v1::ReceiveResponse> reply = client_->Receive(handle, 100, 10, 5000);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->data(), "slt olleh\n");  // s_server -rev
  EXPECT_TRUE(Info(handle).tls().verified());
  EXPECT_EQ(Info(handle).tls().version(), "TLSv1.3");
}

TEST_F(TlsVerifyTest, UnknownIssuerIsCertVerifyFailed) {
  std::unique_ptr<OpenSslServer> server = StartServer();
  ASSERT_NE(server, nullptr);
  absl::StatusOr<v1::ConnectResponse> refused =
      client_->ConnectTls("127.0.0.1", server->port(), v1::TlsOptions(), 5000);
  ASSERT_TRUE(HasError(refused, absl::StatusCode::kFailedPrecondition,
                       v1::SOCKET_ERROR_CERT_VERIFY_FAILED));
  EXPECT_NE(refused.status().message().find("unable to get local issuer certificate"),
            absl::string_view::npos)
      << refused.status();
  EXPECT_EQ(server_->session_count(), 0u);
}

TEST_F(TlsVerifyTest, WrongServerNameIsHostnameMismatch) {
  std::unique_ptr<OpenSslServer> server = StartServer();
  ASSERT_NE(server, nullptr);
  v1::TlsOptions tls = Trusting();
  tls.set_server_name("wrong.example");
  absl::StatusOr<v1::ConnectResponse> refused =
      client_->ConnectTls("127.0.0.1", server->port(), tls, 5000);
  ASSERT_TRUE(HasError(refused, absl::StatusCode::kFailedPrecondition,
                       v1::SOCKET_ERROR_CERT_VERIFY_FAILED));
  EXPECT_NE(refused.status().message().find("hostname mismatch"), absl::string_view::npos)
      << refused.status();
}

TEST_F(TlsVerifyTest, ExpiredCertificateIsRefused) {
  std::unique_ptr<OpenSslServer> server = StartServer(Validity::kExpired);
  ASSERT_NE(server, nullptr);
  absl::StatusOr<v1::ConnectResponse> refused =
      client_->ConnectTls("127.0.0.1", server->port(), Trusting(), 5000);
  ASSERT_TRUE(HasError(refused, absl::StatusCode::kFailedPrecondition,
                       v1::SOCKET_ERROR_CERT_VERIFY_FAILED));
  EXPECT_NE(refused.status().message().find("certificate has expired"),
            absl::string_view::npos)
      << refused.status();
}

TEST_F(TlsVerifyTest, SkipVerifyEncryptsWithoutCheckingIdentity) {
  std::unique_ptr<OpenSslServer> server = StartServer(Validity::kExpired);
  ASSERT_NE(server, nullptr);
  v1::TlsOptions tls;
  tls.set_skip_verify(true);
  tls.set_server_name("wrong.example");
  absl::StatusOr<v1::ConnectResponse> connected =
      client_->ConnectTls("127.0.0.1", server->port(), tls, 5000);
  ASSERT_TRUE(connected.ok()) << connected.status();
  EXPECT_FALSE(connected->tls().verified());
  ASSERT_TRUE(client_->Send(connected->handle(), "abc\n", 5000).ok());
  EXPECT_EQ(client_->Receive(connected->handle(), 10, 4, 5000)->data(), "cba\n");
}

TEST_F(TlsVerifyTest, SniIsTheHostName) {
  std::unique_ptr<OpenSslServer> server = StartServer();
  ASSERT_NE(server, nullptr);
  // "localhost" is also ::1, where nothing listens: Happy Eyeballs falls back.
  absl::StatusOr<v1::ConnectResponse> connected =
      client_->ConnectTls("localhost", server->port(), Trusting(), 5000);
  ASSERT_TRUE(connected.ok()) << connected.status();
  EXPECT_TRUE(server->SawSni("localhost"));
  EXPECT_EQ(connected->tls().server_name(), "localhost");
}

class TlsPeerTest : public TlsVerifyTest {
 protected:
  tls::TlsServerOptions PeerOptions() {
    absl::StatusOr<IssuedCertificate> cert = ca_->IssueLocalhostServerCert();
    EXPECT_TRUE(cert.ok()) << cert.status();
    tls::TlsServerOptions options;
    options.cert_path = cert->cert_path;
    options.key_path = cert->key_path;
    return options;
  }
};

TEST_F(TlsPeerTest, MutualTlsNeedsTheClientCertificate) {
  tls::TlsServerOptions options = PeerOptions();
  options.ca_path = ca_->cert_path();
  options.require_client_cert = true;
  tls::TlsEchoPeer peer(options);
  absl::StatusOr<IssuedCertificate> client_cert =
      ca_->IssueClientCert("alice", {"spiffe://test/alice"});
  ASSERT_TRUE(client_cert.ok()) << client_cert.status();

  v1::TlsOptions with_cert = Trusting();
  with_cert.set_client_cert_pem(client_cert->cert_pem);
  with_cert.set_client_key_pem(client_cert->key_pem);
  absl::StatusOr<v1::ConnectResponse> accepted =
      client_->ConnectTls("127.0.0.1", peer.port(), with_cert, 5000);
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  ASSERT_TRUE(client_->Send(accepted->handle(), "ping", 5000).ok());
  EXPECT_EQ(client_->Receive(accepted->handle(), 10, 4, 5000)->data(), "ping");
  EXPECT_EQ(peer.recording(0).client_cert_subject, "CN=alice");

  // Without it: TLS 1.3 finishes the client's side of the handshake before
  // the server judges the certificate, so the refusal arrives either in
  // Connect or as the first read's error.
  absl::StatusOr<v1::ConnectResponse> refused =
      client_->ConnectTls("127.0.0.1", peer.port(), Trusting(), 5000);
  absl::Status error = refused.status();
  if (refused.ok()) error = client_->Receive(refused->handle(), 10, 1, 5000).status();
  ASSERT_FALSE(error.ok());
  EXPECT_TRUE(GetSocketError(error) == v1::SOCKET_ERROR_TLS_HANDSHAKE_FAILED ||
              GetSocketError(error) == v1::SOCKET_ERROR_TLS_PROTOCOL_ERROR)
      << error;
  EXPECT_NE(error.message().find("certificate required"), absl::string_view::npos) << error;
}

TEST_F(TlsPeerTest, AlpnIsOfferedAndReported) {
  tls::TlsEchoPeer peer(PeerOptions());
  v1::TlsOptions tls = Trusting();
  tls.add_alpn("h2");
  tls.add_alpn("http/1.1");
  absl::StatusOr<v1::ConnectResponse> connected =
      client_->ConnectTls("127.0.0.1", peer.port(), tls, 5000);
  ASSERT_TRUE(connected.ok()) << connected.status();
  EXPECT_EQ(connected->tls().alpn(), "http/1.1");
  ASSERT_TRUE(peer.WaitForHandshake());
  EXPECT_EQ(peer.recording(0).alpn_offered, (std::vector<std::string>{"h2", "http/1.1"}));
}

TEST_F(TlsPeerTest, MinimumVersionIsEnforced) {
  tls::TlsServerOptions options = PeerOptions();
  options.max_version = TLS1_2_VERSION;
  tls::TlsEchoPeer peer(options);
  v1::TlsOptions tls = Trusting();
  absl::StatusOr<v1::ConnectResponse> tls12 =
      client_->ConnectTls("127.0.0.1", peer.port(), tls, 5000);
  ASSERT_TRUE(tls12.ok()) << tls12.status();
  EXPECT_EQ(tls12->tls().version(), "TLSv1.2");
  tls.set_min_version(v1::TLS_VERSION_1_3);
  EXPECT_TRUE(HasError(client_->ConnectTls("127.0.0.1", peer.port(), tls, 5000),
                       absl::StatusCode::kUnavailable,
                       v1::SOCKET_ERROR_TLS_HANDSHAKE_FAILED));
}

TEST_F(TlsVerifyTest, HandshakeWithASilentPeerEndsAtTheTimeout) {
  peers::ScriptedPeer silent([](peers::PeerConnection& c) {
    while (!c.Read().stopped && c.SleepFor(std::chrono::milliseconds(10))) {
    }
  });
  const absl::Time start = absl::Now();
  EXPECT_TRUE(HasError(client_->ConnectTls("127.0.0.1", silent.port(), Trusting(), 300),
                       absl::StatusCode::kDeadlineExceeded,
                       v1::SOCKET_ERROR_TIMED_OUT));
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  EXPECT_EQ(server_->session_count(), 0u);
}

TEST_F(TlsVerifyTest, BadTlsOptionsAreInvalidArguments) {
  v1::TlsOptions bad_ca;
  bad_ca.set_ca_pem("not a certificate");
  EXPECT_TRUE(HasError(client_->ConnectTls("127.0.0.1", 443, bad_ca, 1000),
                       absl::StatusCode::kInvalidArgument,
                       v1::SOCKET_ERROR_INVALID_REQUEST));
  v1::TlsOptions key_without_cert;
  key_without_cert.set_client_key_pem("-----BEGIN PRIVATE KEY-----\n");
  EXPECT_TRUE(HasError(client_->ConnectTls("127.0.0.1", 443, key_without_cert, 1000),
                       absl::StatusCode::kInvalidArgument,
                       v1::SOCKET_ERROR_INVALID_REQUEST));
  v1::TlsOptions alpn;
  alpn.add_alpn("");
  EXPECT_TRUE(HasError(client_->ConnectTls("127.0.0.1", 443, alpn, 1000),
                       absl::StatusCode::kInvalidArgument,
                       v1::SOCKET_ERROR_INVALID_REQUEST));
}

// socketd's own trust store (--tls_ca_file / --tls_ca_dir), the role of
// Omnis's cacerts folder: no ca_pem needed in the request.
class TrustStoreTest : public SocketdTest {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<CertificateAuthority>> ca = CertificateAuthority::Create();
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = std::move(*ca);
    SocketdTest::SetUp();  // Options() below needs the CA.
  }
  std::unique_ptr<CertificateAuthority> ca_;
};

class TrustFileTest : public TrustStoreTest {
  ServerOptions Options() override {
    ServerOptions options;
    options.tls_trust.ca_file = ca_->cert_path();
    return options;
  }
};

TEST_F(TrustFileTest, CaFileFlagIsTrusted) {
  absl::StatusOr<IssuedCertificate> cert = ca_->IssueLocalhostServerCert();
  ASSERT_TRUE(cert.ok()) << cert.status();
  absl::StatusOr<std::unique_ptr<OpenSslServer>> server =
      OpenSslServer::Start({cert->cert_path, cert->key_path});
  ASSERT_TRUE(server.ok()) << server.status();
  absl::StatusOr<v1::ConnectResponse> connected =
      client_->ConnectTls("127.0.0.1", (*server)->port(), v1::TlsOptions(), 5000);
  ASSERT_TRUE(connected.ok()) << connected.status();
  EXPECT_TRUE(connected->tls().verified());
}

class TrustDirTest : public TrustStoreTest {
  ServerOptions Options() override {
    // A c_rehash-style directory: <hash>.0 links, made by `openssl rehash`.
    const std::string dir = ca_->dir() + "/trusted";
    const std::string command = "mkdir -p '" + dir + "' && cp '" + ca_->cert_path() +
                                "' '" + dir + "/ca.pem' && openssl rehash '" + dir + "'";
    EXPECT_EQ(std::system(command.c_str()), 0) << command;
    ServerOptions options;
    options.tls_trust.ca_dir = dir;
    return options;
  }
};

TEST_F(TrustDirTest, CaDirFlagIsTrustedAndOtherCasAreNot) {
  absl::StatusOr<IssuedCertificate> cert = ca_->IssueLocalhostServerCert();
  ASSERT_TRUE(cert.ok()) << cert.status();
  absl::StatusOr<std::unique_ptr<OpenSslServer>> server =
      OpenSslServer::Start({cert->cert_path, cert->key_path});
  ASSERT_TRUE(server.ok()) << server.status();
  absl::StatusOr<v1::ConnectResponse> connected =
      client_->ConnectTls("127.0.0.1", (*server)->port(), v1::TlsOptions(), 5000);
  ASSERT_TRUE(connected.ok()) << connected.status();
  EXPECT_TRUE(connected->tls().verified());

  absl::StatusOr<std::unique_ptr<CertificateAuthority>> stranger =
      CertificateAuthority::Create("stranger CA");
  ASSERT_TRUE(stranger.ok());
  absl::StatusOr<IssuedCertificate> other = (*stranger)->IssueLocalhostServerCert();
  ASSERT_TRUE(other.ok());
  absl::StatusOr<std::unique_ptr<OpenSslServer>> untrusted =
      OpenSslServer::Start({other->cert_path, other->key_path});
  ASSERT_TRUE(untrusted.ok());
  EXPECT_TRUE(HasError(
      client_->ConnectTls("127.0.0.1", (*untrusted)->port(), v1::TlsOptions(), 5000),
      absl::StatusCode::kFailedPrecondition, v1::SOCKET_ERROR_CERT_VERIFY_FAILED));
}

}  // namespace
}  // namespace socketsvc::e2e
