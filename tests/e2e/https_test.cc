// HTTPS through socketd against a real nginx: a 4 MiB file, byte-exact.
#include "tests/e2e/e2e_fixture.h"
#include "tests/tls/certificate_authority.h"
#include "tests/tls/nginx_server.h"

namespace socketsvc::e2e {
namespace {

TEST_F(SocketdTest, HttpsGetOfFourMebibytesFromNginxIsByteExact) {
  absl::StatusOr<std::unique_ptr<tls::CertificateAuthority>> ca =
      tls::CertificateAuthority::Create();
  ASSERT_TRUE(ca.ok()) << ca.status();
  absl::StatusOr<tls::IssuedCertificate> cert = (*ca)->IssueLocalhostServerCert();
  ASSERT_TRUE(cert.ok()) << cert.status();
  absl::StatusOr<std::unique_ptr<tls::NginxServer>> nginx =
      tls::NginxServer::Start({cert->cert_path, cert->key_path});
  ASSERT_TRUE(nginx.ok()) << nginx.status();
  constexpr size_t kSize = 4 << 20;
  ASSERT_TRUE((*nginx)->WritePatternFile("big.bin", kSize));

  v1::TlsOptions tls;
  tls.set_ca_pem((*ca)->cert_pem());
  tls.add_alpn("http/1.1");
  absl::StatusOr<v1::ConnectResponse> connected =
      client_->ConnectTls("localhost", (*nginx)->https_port(), tls, 5000);
  ASSERT_TRUE(connected.ok()) << connected.status();
  EXPECT_TRUE(connected->tls().verified());
  EXPECT_EQ(connected->tls().alpn(), "http/1.1");
  const std::string handle = connected->handle();
  ASSERT_TRUE(client_
                  ->Send(handle,
                         "GET /big.bin HTTP/1.1\r\nHost: localhost\r\n"
                         "Connection: close\r\n\r\n",
                         5000)
                  .ok());
  const std::string response = ReceiveAll(handle);
  const size_t body_at = response.find("\r\n\r\n");
  ASSERT_NE(body_at, std::string::npos) << response.substr(0, 200);
  const std::string head = response.substr(0, body_at);
  EXPECT_EQ(head.rfind("HTTP/1.1 200 OK", 0), 0u) << head;
  EXPECT_NE(head.find("Content-Length: 4194304"), std::string::npos) << head;
  const std::string body = response.substr(body_at + 4);
  ASSERT_EQ(body.size(), kSize);
  EXPECT_TRUE(body == tls::NginxServer::Pattern(kSize));
  // nginx closed after the response (close_notify, then FIN): a clean EOF.
  EXPECT_EQ(Info(handle).state(), v1::SOCKET_STATE_PEER_CLOSED);
  absl::StatusOr<v1::CloseResponse> closed =
      client_->Close(handle, v1::CLOSE_MODE_COMPLETE, 5000);
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_TRUE(closed->released());
}

}  // namespace
}  // namespace socketsvc::e2e
