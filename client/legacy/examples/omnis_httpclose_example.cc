// Seed example: Omnis Command Reference, HTTPClose.
//
//   ; Connect to the server IP address iHostName on port iPort, send
//   ; the message iMessage and then close the socket
//   Calculate iHostName as ''
//   Calculate iPort as 6000
//   Calculate lMessage as 'Hello remote application'
//   HTTPOpen (iHostName,iPort) Returns iSocket
//   If iSocket>0
//     ; connected
//     HTTPSend (iSocket,lMessage) Returns lCharCount
//   End If
//   HTTPClose (iSocket)
//
// Run against an in-process socketd and real peers: a TCP peer that records
// whether the close arrived as FIN or RST (the page's three close forms),
// and nginx for an HTTP exchange through the same commands. iHostName is the
// peer's address and iPort its port: the page leaves the host empty (which
// HTTPOpen answers with -511, "No address specified") and uses 6000.
#include "client/legacy/omnis_test_util.h"
#include "tests/peers/peers.h"
#include "tests/tls/certificate_authority.h"
#include "tests/tls/nginx_server.h"

namespace socketsvc::omnis {
namespace {

using peers::Ending;

class HttpCloseExample : public OmnisTest {
 protected:
  void SetUp() override {
    OmnisTest::SetUp();
    Use(*client_);  // The global commands, as Omnis code calls them.
  }
  void TearDown() override {
    StopUsing();
    OmnisTest::TearDown();
  }
};

TEST_F(HttpCloseExample, AsWritten) {
  peers::RecordingPeer remote_application;
  std::string iHostName = "127.0.0.1";
  int iPort = remote_application.port();
  std::string lMessage = "Hello remote application";
  int32_t lCharCount = 0;
  int32_t iSocket = HTTPOpen(iHostName, iPort);
  if (iSocket > 0) {
    // connected
    lCharCount = HTTPSend(iSocket, lMessage);
  }
  EXPECT_EQ(HTTPClose(iSocket), 0);

  EXPECT_GT(iSocket, 0);
  EXPECT_EQ(lCharCount, 24);
  ASSERT_TRUE(remote_application.WaitForEnding());
  EXPECT_EQ(remote_application.received(), "Hello remote application");
  EXPECT_EQ(remote_application.ending(), Ending::kEof);   // Complete close: FIN.
  EXPECT_EQ(HTTPSend(iSocket, lMessage), kErrBadSocket);  // Released.
  // With the page's empty host name:
  EXPECT_EQ(HTTPOpen("", iPort), kErrNoAddress);
}

// "The most brutal form of HTTPClose is an abortive close ... the socket is
// closed and released immediately."
TEST_F(HttpCloseExample, AbortiveCloseResetsAndReleases) {
  peers::RecordingPeer remote_application;
  int32_t iSocket = HTTPOpen("127.0.0.1", remote_application.port());
  ASSERT_GT(iSocket, 0);
  EXPECT_EQ(HTTPClose(iSocket, 2), 0);
  ASSERT_TRUE(remote_application.WaitForEnding());
  EXPECT_EQ(remote_application.ending(), Ending::kReset);
  EXPECT_EQ(HTTPClose(iSocket, 2), kErrBadSocket);
}

// "The mildest form of HTTPClose is a partial close ... the socket is not
// released ... you can no longer send data ... but you can continue to
// receive data. The remote application will be informed of the partial
// close, when it receives zero bytes."
TEST_F(HttpCloseExample, PartialCloseSendsFinAndKeepsTheSocket) {
  peers::ScriptedPeer remote_application([](peers::PeerConnection& conn) {
    peers::PeerConnection::ReadResult read;
    do read = conn.Read();
    while (read.ending == Ending::kOpen && !read.stopped);
    if (read.ending == Ending::kEof) conn.SendAll("I saw zero bytes");
  });
  int32_t iSocket = HTTPOpen("127.0.0.1", remote_application.port());
  ASSERT_GT(iSocket, 0);
  EXPECT_EQ(HTTPClose(iSocket, 1), 0);
  EXPECT_EQ(HTTPSend(iSocket, "too late"), kErrShutdown);
  std::string lBuffer, lAll;
  while (TCPReceive(iSocket, lBuffer) > 0) lAll += lBuffer;
  EXPECT_EQ(lAll, "I saw zero bytes");
  EXPECT_EQ(HTTPClose(iSocket), 0);  // "call HTTPClose again to release"
  EXPECT_EQ(HTTPClose(iSocket), kErrBadSocket);
}

// The same commands against a real web server.
TEST_F(HttpCloseExample, AgainstNginx) {
  absl::StatusOr<std::unique_ptr<tls::CertificateAuthority>> ca =
      tls::CertificateAuthority::Create();
  ASSERT_TRUE(ca.ok());
  absl::StatusOr<tls::IssuedCertificate> cert = (*ca)->IssueLocalhostServerCert();
  ASSERT_TRUE(cert.ok());
  tls::NginxServer::Options options;
  options.cert_path = cert->cert_path;
  options.key_path = cert->key_path;
  options.plain_http = true;
  absl::StatusOr<std::unique_ptr<tls::NginxServer>> nginx = tls::NginxServer::Start(options);
  ASSERT_TRUE(nginx.ok()) << nginx.status();
  ASSERT_TRUE((*nginx)->WritePatternFile("page.bin", 100000));

  int32_t iSocket = HTTPOpen("127.0.0.1", (*nginx)->http_port());
  ASSERT_GT(iSocket, 0);
  std::string lRequest = "GET /page.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  EXPECT_EQ(HTTPSend(iSocket, lRequest), static_cast<int32_t>(lRequest.size()));
  std::string lResponse;
  int32_t lCount = HTTPRead(iSocket, lResponse, 1);
  ASSERT_GT(lCount, 100000);
  EXPECT_EQ(lResponse.substr(0, 15), "HTTP/1.1 200 OK");
  EXPECT_TRUE(lResponse.substr(lResponse.size() - 100000) == tls::NginxServer::Pattern(100000));
  EXPECT_EQ(HTTPClose(iSocket), 0);
}

}  // namespace
}  // namespace socketsvc::omnis
