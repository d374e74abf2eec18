// Seed example: Omnis Command Reference, TCPConnect.
//
//   ; Connect to the server IP address iHostName on port iPort ready for
//   ; sending a message
//   Calculate iHostName as ''
//   Calculate iPort as 6000
//   TCPConnect (iHostName,iPort) Returns iSocket
//   If iSocket>0
//   ; connected
//   End If
//
// Run against an in-process socketd and a real echo peer (iHostName and
// iPort are the peer's: the page leaves the host empty, which TCPConnect
// answers with -511, and uses 6000), then with the optional secure and
// verify parameters against nginx, whose CA socketd trusts the way Omnis
// trusts the certificates in its secure/cacerts folder.
#include "absl/strings/match.h"
#include "client/legacy/omnis_test_util.h"
#include "tests/peers/peers.h"
#include "tests/tls/certificate_authority.h"
#include "tests/tls/nginx_server.h"
#include "tests/tls/openssl_server.h"

namespace socketsvc::omnis {
namespace {

class TcpConnectExample : public OmnisTest {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<tls::CertificateAuthority>> ca =
        tls::CertificateAuthority::Create();
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = std::move(*ca);
    OmnisTest::SetUp();
    Use(*client_);
  }
  void TearDown() override {
    StopUsing();
    OmnisTest::TearDown();
  }
  // socketd's --tls_ca_file: the role of Omnis's cacerts folder.
  ServerOptions Options() override {
    ServerOptions options;
    options.tls_trust.ca_file = ca_->cert_path();
    return options;
  }

  // socketd's view of a socket of the global commands.
  v1::SocketInfo Global(int32_t socket) { return Info(UsedWebCommands()->handle(socket)); }

  std::unique_ptr<tls::CertificateAuthority> ca_;
};

TEST_F(TcpConnectExample, AsWritten) {
  peers::EchoPeer server;
  std::string iHostName = "127.0.0.1";
  int iPort = server.port();
  bool connected = false;
  int32_t iSocket = TCPConnect(iHostName, iPort);
  if (iSocket > 0) {
    // connected
    connected = true;
  }
  ASSERT_TRUE(connected) << iSocket;
  // "ready for sending a message"
  EXPECT_EQ(TCPSend(iSocket, "message"), 7);
  std::string lBuffer;
  EXPECT_EQ(TCPReceive(iSocket, lBuffer, 7), 7);
  EXPECT_EQ(lBuffer, "message");
  EXPECT_EQ(TCPClose(iSocket), 0);
  // The page's empty host name, and nobody listening:
  EXPECT_EQ(TCPConnect("", iPort), kErrNoAddress);
  EXPECT_EQ(TCPConnect(iHostName, peers::ClosedPort()), kErrConnectionRefused);
}

TEST_F(TcpConnectExample, SecureWithAndWithoutVerify) {
  absl::StatusOr<tls::IssuedCertificate> cert = ca_->IssueLocalhostServerCert();
  ASSERT_TRUE(cert.ok());
  tls::NginxServer::Options options;
  options.cert_path = cert->cert_path;
  options.key_path = cert->key_path;
  absl::StatusOr<std::unique_ptr<tls::NginxServer>> nginx = tls::NginxServer::Start(options);
  ASSERT_TRUE(nginx.ok()) << nginx.status();
  const int iPort = (*nginx)->https_port();

  // secure kTrue, verify kTrue (the default): the name must match.
  int32_t iSocket = TCPConnect("localhost", iPort, true);
  ASSERT_GT(iSocket, 0) << WebDevGetSecureError();
  EXPECT_TRUE(Global(iSocket).tls().verified());
  EXPECT_EQ(TCPClose(iSocket), 0);

  // A server whose certificate names another host fails verification:
  // -1021, and the SSL library's reason from WebDevGetSecureError.
  absl::StatusOr<tls::IssuedCertificate> other = ca_->IssueServerCert({"www.example.test"});
  ASSERT_TRUE(other.ok());
  absl::StatusOr<std::unique_ptr<tls::OpenSslServer>> impostor =
      tls::OpenSslServer::Start({other->cert_path, other->key_path});
  ASSERT_TRUE(impostor.ok()) << impostor.status();
  EXPECT_EQ(TCPConnect("localhost", (*impostor)->port(), true), kErrSecure);
  EXPECT_TRUE(absl::StrContains(WebDevGetSecureError(), "hostname mismatch"))
      << WebDevGetSecureError();
  iSocket = TCPConnect("localhost", (*impostor)->port(), true, false);
  EXPECT_GT(iSocket, 0);
  EXPECT_EQ(TCPClose(iSocket, 2), 0);

  // verify kFalse: still encrypted, identity unchecked.
  iSocket = TCPConnect("localhost", iPort, true, false);
  ASSERT_GT(iSocket, 0);
  EXPECT_FALSE(Global(iSocket).tls().verified());
  EXPECT_FALSE(Global(iSocket).tls().version().empty());
  EXPECT_EQ(TCPClose(iSocket), 0);
}

}  // namespace
}  // namespace socketsvc::omnis
