// Proves the TLS test infrastructure with clients that are not socketd: the
// openssl CLI, curl and a plain OpenSSL client. If these pass, a failing TLS
// end-to-end test points at socketd, not at its peers.
#include "tests/tls/tls_peers.h"

#include <openssl/ssl.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/peers/peers.h"
#include "tests/tls/certificate_authority.h"
#include "tests/tls/nginx_server.h"
#include "tests/tls/openssl_server.h"
#include "tests/tls/subprocess.h"
#include "tests/tls/tls_client.h"

namespace socketsvc::tls {
namespace {

using peers::Ending;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

class TlsPeersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ca = CertificateAuthority::Create();
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = *std::move(ca);
    auto server = ca_->IssueLocalhostServerCert();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    auto client =
        ca_->IssueClientCert("caller", {"spiffe://socketsvc.test/caller"});
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
  }

  // The subject, SANs and extended key usage, as `openssl x509` prints them.
  static std::string Describe(const std::string& cert_path) {
    return RunCommand({"openssl", "x509", "-in", cert_path, "-noout",
                       "-subject", "-ext", "subjectAltName,extendedKeyUsage"})
        .output;
  }

  // s_client with the output kept to the data (-quiet), which closes with
  // close_notify when its stdin ends (-no_ign_eof) and treats no line as a
  // command (-nocommands).
  std::unique_ptr<Subprocess> StartSClient(const std::string& address,
                                           std::vector<std::string> extra) {
    std::vector<std::string> argv = {"openssl",
                                     "s_client",
                                     "-connect",
                                     address,
                                     "-CAfile",
                                     ca_->cert_path(),
                                     "-verify_return_error",
                                     "-quiet",
                                     "-no_ign_eof",
                                     "-nocommands"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto process = Subprocess::Start(std::move(argv));
    EXPECT_TRUE(process.ok()) << process.status();
    return process.ok() ? *std::move(process) : nullptr;
  }

  TlsClient::Options ClientOptions() const {
    TlsClient::Options options;
    options.ca_path = ca_->cert_path();
    options.sni = "localhost";
    return options;
  }

  std::unique_ptr<CertificateAuthority> ca_;
  IssuedCertificate server_;
  IssuedCertificate client_;
};

TEST_F(TlsPeersTest, IssuedCertificatesVerifyAgainstTheirCaOnly) {
  EXPECT_THAT(server_.cert_pem, StartsWith("-----BEGIN CERTIFICATE-----"));
  EXPECT_THAT(server_.key_pem, StartsWith("-----BEGIN PRIVATE KEY-----"));
  EXPECT_EQ(server_.ca_pem, ca_->cert_pem());
  EXPECT_EQ(server_.ca_path, ca_->cert_path());

  CommandResult verify = ca_->Verify(server_.cert_path, "sslserver");
  EXPECT_TRUE(verify.ok()) << verify.output;
  EXPECT_THAT(verify.output, HasSubstr(": OK"));
  const std::string server = Describe(server_.cert_path);
  EXPECT_THAT(server, HasSubstr("CN = localhost"));
  EXPECT_THAT(server, HasSubstr("DNS:localhost, IP Address:127.0.0.1, "
                                "IP Address:0:0:0:0:0:0:0:1"));
  EXPECT_THAT(server, HasSubstr("TLS Web Server Authentication"));

  verify = ca_->Verify(client_.cert_path, "sslclient");
  EXPECT_TRUE(verify.ok()) << verify.output;
  const std::string client = Describe(client_.cert_path);
  EXPECT_THAT(client, HasSubstr("CN = caller"));
  EXPECT_THAT(client, HasSubstr("URI:spiffe://socketsvc.test/caller"));
  EXPECT_THAT(client, HasSubstr("TLS Web Client Authentication"));

  auto other_ca = CertificateAuthority::Create("other CA");
  ASSERT_TRUE(other_ca.ok()) << other_ca.status();
  auto stranger = (*other_ca)->IssueLocalhostServerCert();
  ASSERT_TRUE(stranger.ok()) << stranger.status();
  EXPECT_TRUE((*other_ca)->Verify(stranger->cert_path).ok());
  verify = ca_->Verify(stranger->cert_path);
  EXPECT_FALSE(verify.ok());
  EXPECT_THAT(verify.output,
              HasSubstr("unable to get local issuer certificate"));
}

TEST_F(TlsPeersTest, ExpiredAndNotYetValidCertificatesAreRejected) {
  auto expired = ca_->IssueLocalhostServerCert(Validity::kExpired);
  ASSERT_TRUE(expired.ok()) << expired.status();
  CommandResult verify = ca_->Verify(expired->cert_path);
  EXPECT_FALSE(verify.ok());
  EXPECT_THAT(verify.output, HasSubstr("certificate has expired"));

  auto early = ca_->IssueLocalhostServerCert(Validity::kNotYetValid);
  ASSERT_TRUE(early.ok()) << early.status();
  verify = ca_->Verify(early->cert_path);
  EXPECT_FALSE(verify.ok());
  EXPECT_THAT(verify.output, HasSubstr("certificate is not yet valid"));
}

TEST_F(TlsPeersTest, OpenSslServerReversesLinesAndObservesSniAndAlpn) {
  auto server = OpenSslServer::Start(
      {server_.cert_path, server_.key_path, "", false, {"http/1.1"}});
  ASSERT_TRUE(server.ok()) << server.status();
  auto client = StartSClient((*server)->address(),
                             {"-servername", "localhost", "-verify_hostname",
                              "localhost", "-alpn", "h2,http/1.1"});
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->WriteStdin("hello\r\n"));
  EXPECT_TRUE(client->WaitForOutput("olleh\n")) << client->Output();
  EXPECT_EQ((*server)->ObservedSni(), "localhost") << (*server)->Output();
  EXPECT_TRUE((*server)->SawSni("localhost"));
  EXPECT_THAT((*server)->SelectedAlpn(), ElementsAre("http/1.1"));
  EXPECT_EQ((*server)->handshakes(), 1);
  // stdin EOF: s_client sends close_notify.
  client->CloseStdin();
  EXPECT_TRUE(client->WaitForExit(std::chrono::seconds(10)).has_value());
  EXPECT_TRUE((*server)->WaitForCloses(1)) << (*server)->Output();
  EXPECT_TRUE((*server)->WaitForAlertReceived("warning close_notify"));

  // By IP, without SNI, ending with a bare FIN: no SNI and no close_notify.
  auto second = TlsClient::Connect("127.0.0.1", (*server)->port());
  ASSERT_TRUE(second.ok()) << second.status();
  TlsClient::Options tls;
  tls.ca_path = ca_->cert_path();
  tls.verify_ip = "127.0.0.1";
  ASSERT_TRUE((*second)->Handshake(tls).ok());
  ASSERT_TRUE((*second)->Write("abc\n"));
  EXPECT_EQ((*second)->Read(4), "cba\n");
  (*second)->ShutdownWrite();
  EXPECT_TRUE((*server)->WaitForCloses(2)) << (*server)->Output();
  EXPECT_THAT((*server)->ObservedSnis(), ElementsAre("localhost"));
  EXPECT_THAT((*server)->AlertsReceived(), ElementsAre("warning close_notify"));

  // A client that trusts another CA rejects the certificate with an alert.
  auto other_ca = CertificateAuthority::Create("other CA");
  ASSERT_TRUE(other_ca.ok()) << other_ca.status();
  auto third = TlsClient::Connect("127.0.0.1", (*server)->port());
  ASSERT_TRUE(third.ok()) << third.status();
  tls.ca_path = (*other_ca)->cert_path();
  EXPECT_FALSE((*third)->Handshake(tls).ok());
  EXPECT_TRUE((*server)->WaitForAlertReceived("fatal unknown_ca"))
      << (*server)->Output();
}

TEST_F(TlsPeersTest, OpenSslServerOnIpv6RequiresClientCertificate) {
  OpenSslServer::Options options;
  options.cert_path = server_.cert_path;
  options.key_path = server_.key_path;
  options.ca_path = ca_->cert_path();
  options.require_client_cert = true;
  options.bind_address = "::1";
  auto server = OpenSslServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_THAT((*server)->address(), StartsWith("[::1]:"));

  auto anonymous = StartSClient((*server)->address(), {});
  ASSERT_NE(anonymous, nullptr);
  anonymous->WriteStdin("hello\n");
  EXPECT_TRUE((*server)->WaitForHandshakeFailures(1)) << (*server)->Output();
  anonymous->WaitForExit(std::chrono::seconds(10));
  EXPECT_THAT(anonymous->Output(), Not(HasSubstr("olleh")));

  auto known = StartSClient((*server)->address(), {"-cert", client_.cert_path,
                                                   "-key", client_.key_path});
  ASSERT_NE(known, nullptr);
  ASSERT_TRUE(known->WriteStdin("hello\n"));
  EXPECT_TRUE(known->WaitForOutput("olleh\n")) << known->Output();
  EXPECT_TRUE((*server)->WaitForHandshakes(1)) << (*server)->Output();
  EXPECT_EQ((*server)->handshakes(), 1) << (*server)->Output();
}

TEST_F(TlsPeersTest, NginxServesFourMebibytesByteExact) {
  NginxServer::Options options;
  options.cert_path = server_.cert_path;
  options.key_path = server_.key_path;
  options.plain_http = true;
  auto nginx = NginxServer::Start(options);
  ASSERT_TRUE(nginx.ok()) << nginx.status();
  constexpr size_t kSize = 4 << 20;
  ASSERT_TRUE((*nginx)->WritePatternFile("file", kSize));
  TempDir out("curl");

  // By IP (the certificate's IP SAN), by name (its DNS SAN), and in clear.
  const std::string port = std::to_string((*nginx)->https_port());
  const std::vector<std::vector<std::string>> fetches = {
      {(*nginx)->HttpsUrl("file")},
      {"--resolve", "localhost:" + port + ":127.0.0.1",
       "https://localhost:" + port + "/file"},
      {(*nginx)->HttpUrl("/file")}};
  for (const std::vector<std::string>& fetch : fetches) {
    std::vector<std::string> argv = {
        "curl",           "-sS", "--fail",       "--cacert",
        ca_->cert_path(), "-o",  out.File("got")};
    argv.insert(argv.end(), fetch.begin(), fetch.end());
    CommandResult curl = RunCommand(argv);
    ASSERT_TRUE(curl.ok()) << curl.output << (*nginx)->ErrorLog();
    std::optional<std::string> got = ReadFile(out.File("got"));
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->size(), kSize);
    EXPECT_TRUE(*got == NginxServer::Pattern(kSize)) << "bytes differ";
  }

  // A client that trusts another CA refuses nginx's certificate.
  auto other_ca = CertificateAuthority::Create("other CA");
  ASSERT_TRUE(other_ca.ok()) << other_ca.status();
  CommandResult refused =
      RunCommand({"curl", "-sS", "--cacert", (*other_ca)->cert_path(), "-o",
                  "/dev/null", (*nginx)->HttpsUrl("file")});
  EXPECT_EQ(refused.exit_code, 60) << refused.output;  // Peer cert not OK.
  // The configuration is clean: nothing worse than [info] was logged.
  const std::string log = (*nginx)->ErrorLog();
  for (const char* level : {"[warn]", "[error]", "[crit]", "[alert]"}) {
    EXPECT_THAT(log, Not(HasSubstr(level))) << log;
  }
}

TEST_F(TlsPeersTest, TlsEchoPeerEchoesAndSeesSniAlpnAndCloseNotify) {
  TlsServerOptions options{server_.cert_path, server_.key_path};
  options.farewell = "bye";
  TlsEchoPeer peer(options);
  auto client = TlsClient::Connect("127.0.0.1", peer.port());
  ASSERT_TRUE(client.ok()) << client.status();
  TlsClient::Options tls = ClientOptions();
  tls.alpn = {"h2", "http/1.1"};
  ASSERT_TRUE((*client)->Handshake(tls).ok());
  EXPECT_EQ((*client)->alpn_selected(), "http/1.1");
  ASSERT_TRUE((*client)->Write("hello"));
  EXPECT_EQ((*client)->Read(5), "hello");
  (*client)->SendCloseNotify();
  std::string after_close;
  EXPECT_TRUE((*client)->ReadUntilCloseNotify(&after_close));
  EXPECT_EQ(after_close, "bye");
  (*client)->Close();

  ASSERT_TRUE(peer.WaitForEnded());
  TlsRecording rec = peer.recording();
  EXPECT_TRUE(rec.handshake_done);
  EXPECT_EQ(rec.sni, "localhost");
  EXPECT_THAT(rec.alpn_offered, ElementsAre("h2", "http/1.1"));
  EXPECT_EQ(rec.alpn_selected, "http/1.1");
  EXPECT_EQ(rec.protocol, "TLSv1.3");
  EXPECT_EQ(rec.received, "hello");
  EXPECT_TRUE(rec.close_notify_received);
  EXPECT_EQ(rec.tcp_ending, Ending::kEof);
}

TEST_F(TlsPeersTest, TlsEchoPeerTellsFinAndResetWithoutCloseNotify) {
  TlsServerOptions options{server_.cert_path, server_.key_path};
  options.max_version = TLS1_2_VERSION;
  TlsEchoPeer peer(options);
  for (int conn = 0; conn < 2; ++conn) {
    auto client = TlsClient::Connect("127.0.0.1", peer.port());
    ASSERT_TRUE(client.ok()) << client.status();
    TlsClient::Options tls = ClientOptions();
    tls.sni.clear();
    tls.verify_ip = "127.0.0.1";
    ASSERT_TRUE((*client)->Handshake(tls).ok());
    EXPECT_EQ((*client)->protocol(), "TLSv1.2");
    ASSERT_TRUE((*client)->Write("x"));
    EXPECT_EQ((*client)->Read(1), "x");
    if (conn == 0) {
      (*client)->ShutdownWrite();  // FIN, no close_notify.
    } else {
      (*client)->Reset();
    }
    ASSERT_TRUE(peer.WaitForEnded(peers::kDefaultWait, conn));
    TlsRecording rec = peer.recording(conn);
    EXPECT_EQ(rec.sni, "");
    EXPECT_FALSE(rec.close_notify_received);
    EXPECT_EQ(rec.tcp_ending, conn == 0 ? Ending::kEof : Ending::kReset);
  }
}

TEST_F(TlsPeersTest, TlsEchoPeerChecksClientCertificates) {
  TlsServerOptions options{server_.cert_path, server_.key_path};
  options.ca_path = ca_->cert_path();
  options.require_client_cert = true;
  TlsEchoPeer peer(options);

  // Without a certificate. (Over TLS 1.3 the client's handshake completes
  // before the server has judged it; the server's verdict is what counts.)
  auto anonymous = TlsClient::Connect("127.0.0.1", peer.port());
  ASSERT_TRUE(anonymous.ok());
  (void)(*anonymous)->Handshake(ClientOptions());
  EXPECT_FALSE(peer.WaitForHandshake(peers::kDefaultWait, 0));
  EXPECT_THAT(peer.recording(0).handshake_error,
              HasSubstr("peer did not return a certificate"));

  auto known = TlsClient::Connect("127.0.0.1", peer.port());
  ASSERT_TRUE(known.ok());
  TlsClient::Options tls = ClientOptions();
  tls.cert_path = client_.cert_path;
  tls.key_path = client_.key_path;
  ASSERT_TRUE((*known)->Handshake(tls).ok());
  EXPECT_TRUE(peer.WaitForHandshake(peers::kDefaultWait, 1));
  EXPECT_EQ(peer.recording(1).client_cert_subject, "CN=caller");

  // The other way round: a server with another CA's certificate is refused.
  auto other_ca = CertificateAuthority::Create("other CA");
  ASSERT_TRUE(other_ca.ok());
  auto stranger = (*other_ca)->IssueLocalhostServerCert();
  ASSERT_TRUE(stranger.ok());
  TlsEchoPeer impostor({stranger->cert_path, stranger->key_path});
  auto client = TlsClient::Connect("127.0.0.1", impostor.port());
  ASSERT_TRUE(client.ok());
  absl::Status handshake = (*client)->Handshake(ClientOptions());
  EXPECT_THAT(handshake.ToString(), HasSubstr("certificate verify failed"));
}

TEST_F(TlsPeersTest, StartTlsPeerWorksWithSClientStartTlsSmtp) {
  StartTlsPeer peer({server_.cert_path, server_.key_path});
  auto client =
      StartSClient("127.0.0.1:" + std::to_string(peer.port()),
                   {"-starttls", "smtp", "-servername", "localhost", "-crlf"});
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->WriteStdin("hello\n"));  // -crlf: sent as "hello\r\n".
  EXPECT_TRUE(client->WaitForOutput("tls:hello\r\n")) << client->Output();
  client->CloseStdin();  // s_client: close_notify, then close.
  ASSERT_TRUE(peer.WaitForEnded());
  TlsRecording rec = peer.recording();
  EXPECT_THAT(rec.plaintext_received, StartsWith("EHLO "));
  EXPECT_THAT(rec.plaintext_received, HasSubstr("\r\nSTARTTLS\r\n"));
  EXPECT_EQ(rec.sni, "localhost");
  EXPECT_EQ(rec.received, "hello\r\n");
  EXPECT_TRUE(rec.close_notify_received);
}

TEST_F(TlsPeersTest, StartTlsPeerSpeaksTheDocumentedDialogue) {
  StartTlsPeer peer({server_.cert_path, server_.key_path});
  auto client = TlsClient::Connect("127.0.0.1", peer.port());
  ASSERT_TRUE(client.ok());
  EXPECT_EQ((*client)->ReadPlainLine(), "220 ready\r\n");
  ASSERT_TRUE((*client)->SendPlain("NOOP\r\nSTARTTLS\r\n"));
  EXPECT_EQ((*client)->ReadPlainLine(), "502 unknown command\r\n");
  EXPECT_EQ((*client)->ReadPlainLine(), "220 go ahead\r\n");
  ASSERT_TRUE((*client)->Handshake(ClientOptions()).ok());
  ASSERT_TRUE((*client)->Write("one\r\ntwo\npart"));
  EXPECT_EQ((*client)->Read(17), "tls:one\r\ntls:two\n");
  (*client)->Reset();
  ASSERT_TRUE(peer.WaitForEnded());
  EXPECT_EQ(peer.recording().received, "one\r\ntwo\npart");
  EXPECT_FALSE(peer.recording().close_notify_received);
  EXPECT_EQ(peer.recording().tcp_ending, Ending::kReset);
}

}  // namespace
}  // namespace socketsvc::tls
