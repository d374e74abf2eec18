// Omnis HTTP commands: HTTPOpen/HTTPSend/HTTPRead/HTTPClose against a real
// nginx (plain and HTTPS, verify on and off), HTTPRead's framing and error
// codes against scripted peers, and HTTPRead on the server side.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "absl/strings/match.h"
#include "client/legacy/omnis_test_util.h"
#include "tests/peers/peers.h"
#include "tests/tls/certificate_authority.h"
#include "tests/tls/nginx_server.h"
#include "tests/tls/openssl_server.h"

namespace socketsvc::omnis {
namespace {

using std::chrono::milliseconds;

class OmnisHttpTest : public OmnisTest {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<tls::CertificateAuthority>> ca =
        tls::CertificateAuthority::Create();
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = std::move(*ca);
    absl::StatusOr<tls::IssuedCertificate> cert = ca_->IssueLocalhostServerCert();
    ASSERT_TRUE(cert.ok()) << cert.status();
    tls::NginxServer::Options options;
    options.cert_path = cert->cert_path;
    options.key_path = cert->key_path;
    options.plain_http = true;
    absl::StatusOr<std::unique_ptr<tls::NginxServer>> nginx = tls::NginxServer::Start(options);
    ASSERT_TRUE(nginx.ok()) << nginx.status();
    nginx_ = std::move(*nginx);
    std::ofstream(nginx_->docroot() + "/hello.txt") << "hello from nginx\n";
    OmnisTest::SetUp();  // socketd trusts ca_ (Omnis: its cacerts folder).
  }

  ServerOptions Options() override {
    ServerOptions options;
    options.tls_trust.ca_file = ca_->cert_path();
    return options;
  }

  std::unique_ptr<tls::CertificateAuthority> ca_;
  std::unique_ptr<tls::NginxServer> nginx_;
};

constexpr char kGetHello[] = "GET /hello.txt HTTP/1.1\r\nHost: localhost\r\n\r\n";

TEST_F(OmnisHttpTest, HTTPOpenSendReadCloseAgainstNginxWithKeepAlive) {
  const int32_t socket = cmds_->HTTPOpen("127.0.0.1", nginx_->http_port());
  ASSERT_GT(socket, 0);
  // Two requests at once: each HTTPRead returns exactly one response.
  const std::string two = std::string(kGetHello) + kGetHello;
  EXPECT_EQ(cmds_->HTTPSend(socket, two), static_cast<int32_t>(two.size()));
  for (int i = 0; i < 2; ++i) {
    std::string response;
    const int32_t count = cmds_->HTTPRead(socket, response, 1);
    ASSERT_GT(count, 0);
    EXPECT_EQ(static_cast<size_t>(count), response.size());
    EXPECT_TRUE(absl::StartsWith(response, "HTTP/1.1 200 OK\r\n")) << response;
    EXPECT_TRUE(absl::StrContains(response, "Content-Length: 17\r\n")) << response;
    EXPECT_TRUE(absl::EndsWith(response, "\r\n\r\nhello from nginx\n")) << response;
  }
  EXPECT_EQ(cmds_->HTTPClose(socket), 0);
}

TEST_F(OmnisHttpTest, SecureHTTPOpenVerifiesAgainstSocketdsTrustStore) {
  const int32_t socket = cmds_->HTTPOpen("localhost", nginx_->https_port(), true);
  ASSERT_GT(socket, 0) << cmds_->WebDevGetSecureError();
  EXPECT_TRUE(InfoOf(socket).tls().verified());
  ASSERT_GT(cmds_->HTTPSend(socket, kGetHello), 0);
  std::string response;
  ASSERT_GT(cmds_->HTTPRead(socket, response, 1), 0);
  EXPECT_TRUE(absl::EndsWith(response, "hello from nginx\n")) << response;
  EXPECT_EQ(cmds_->HTTPClose(socket, 1), kErrPartialCloseSecure);
  EXPECT_EQ(cmds_->HTTPClose(socket), 0);
}

TEST_F(OmnisHttpTest, UntrustedCertificateIsMinus1021WithTextUnlessVerifyIsOff) {
  absl::StatusOr<std::unique_ptr<tls::CertificateAuthority>> other =
      tls::CertificateAuthority::Create("untrusted CA");
  ASSERT_TRUE(other.ok());
  absl::StatusOr<tls::IssuedCertificate> cert = (*other)->IssueLocalhostServerCert();
  ASSERT_TRUE(cert.ok());
  absl::StatusOr<std::unique_ptr<tls::OpenSslServer>> server =
      tls::OpenSslServer::Start({cert->cert_path, cert->key_path});
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ(cmds_->WebDevGetSecureError(), "");
  EXPECT_EQ(cmds_->TCPConnect("localhost", (*server)->port(), true), kErrSecure);
  EXPECT_TRUE(absl::StrContains(cmds_->WebDevGetSecureError(), "certificate"))
      << cmds_->WebDevGetSecureError();
  // The text is kept per thread, as in Omnis.
  std::string other_thread = "unset";
  std::thread([&] { other_thread = cmds_->WebDevGetSecureError(); }).join();
  EXPECT_EQ(other_thread, "");
  const int32_t socket = cmds_->HTTPOpen("localhost", (*server)->port(), true, /*verify=*/false);
  ASSERT_GT(socket, 0);
  EXPECT_FALSE(InfoOf(socket).tls().verified());
  ASSERT_EQ(cmds_->TCPSend(socket, "olleh\n"), 6);
  std::string buffer;
  EXPECT_EQ(cmds_->TCPReceive(socket, buffer), 6);
  EXPECT_EQ(buffer, "hello\n");
  EXPECT_EQ(cmds_->TCPClose(socket), 0);
}

TEST_F(OmnisHttpTest, HTTPOpenDefaultsToPort80Or443) {
  const int32_t plain = cmds_->HTTPOpen("127.0.0.1");
  if (plain > 0) {
    EXPECT_EQ(InfoOf(plain).remote_port(), 80u);
  } else {
    EXPECT_EQ(plain, kErrConnectionRefused);
  }
  const int32_t secure = cmds_->HTTPOpen("127.0.0.1", {}, true);
  if (secure > 0) {
    EXPECT_EQ(InfoOf(secure).remote_port(), 443u);
  } else {
    EXPECT_TRUE(secure == kErrConnectionRefused || secure == kErrSecure) << secure;
  }
}

// A peer that sends `script` (in two halves, 50 ms apart), then closes if
// `close` or else stays silent.
std::unique_ptr<peers::ScriptedPeer> ScriptPeer(std::string script, bool close) {
  return std::make_unique<peers::ScriptedPeer>([script, close](peers::PeerConnection& conn) {
    const size_t half = script.size() / 2;
    conn.SendAll(script.substr(0, half));
    conn.SleepFor(milliseconds(50));
    conn.SendAll(script.substr(half));
    if (!close) conn.SleepFor(milliseconds(20000));
  });
}

TEST_F(OmnisHttpTest, HTTPReadFramesChunkedAndUntilCloseResponses) {
  auto chunked = ScriptPeer(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\nEXTRA",
      false);
  int32_t socket = cmds_->TCPConnect("127.0.0.1", chunked->port());
  std::string buffer;
  ASSERT_GT(cmds_->HTTPRead(socket, buffer, 1), 0);
  EXPECT_TRUE(absl::EndsWith(buffer, "0\r\nTrailer: x\r\n\r\n")) << buffer;
  EXPECT_EQ(cmds_->TCPReceive(socket, buffer), 5);  // What followed it.
  EXPECT_EQ(buffer, "EXTRA");

  auto until_close = ScriptPeer("HTTP/1.0 200 OK\r\nServer: x\r\n\r\nall of it", true);
  socket = cmds_->TCPConnect("127.0.0.1", until_close->port());
  ASSERT_EQ(cmds_->HTTPRead(socket, buffer, 1), 39);
  EXPECT_TRUE(absl::EndsWith(buffer, "\r\n\r\nall of it")) << buffer;
  EXPECT_EQ(cmds_->TCPReceive(socket, buffer), 0);
}

TEST_F(OmnisHttpTest, HTTPReadErrorCodes) {
  struct Case {
    std::string script;
    bool close;
    int32_t code;
  };
  const Case cases[] = {
      {"HTP/1.1 200 OK\r\n\r\n", false, kErrBadResponse},
      {"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n", false, kErrResponseSyntax},
      {"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", false, kErrResponseSyntax},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", false, kErrResponseSyntax},
      {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", true, kErrShortResponse},
      {"HTTP/1.1 200 OK\r\nContent-Le", true, kErrShortResponse},
  };
  for (const Case& c : cases) {
    auto peer = ScriptPeer(c.script, c.close);
    const int32_t socket = cmds_->TCPConnect("127.0.0.1", peer->port());
    std::string buffer;
    EXPECT_EQ(cmds_->HTTPRead(socket, buffer, 1), c.code) << c.script;
    EXPECT_EQ(cmds_->TCPClose(socket, 2), 0);
  }
  // Nothing for the comms timeout (here 1 s): -522.
  ASSERT_EQ(cmds_->WebDevSetConfig(nullptr, 1), 0);
  auto silent = ScriptPeer("HTTP/1.1 200 OK\r\n", false);
  const int32_t socket = cmds_->TCPConnect("127.0.0.1", silent->port());
  std::string buffer;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(cmds_->HTTPRead(socket, buffer, 1), kErrTimeout);
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(900));
  // The partial head is not lost: TCPReceive returns it.
  EXPECT_EQ(cmds_->TCPReceive(socket, buffer), 17);
}

// HTTPRead type 0 (the default): a whole request on a TCPAccept socket.
TEST_F(OmnisHttpTest, HTTPReadOnTheServerSideReadsACompleteRequest) {
  const int32_t listener = cmds_->TCPSocket();
  ASSERT_EQ(cmds_->TCPBind(listener, 0), 0);
  ASSERT_EQ(cmds_->TCPListen(listener), 0);
  const uint16_t port = static_cast<uint16_t>(cmds_->TCPGetMyPort(listener));
  std::string answer;
  std::thread browser([port, &answer] {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
      const std::string head = "POST /form HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\n";
      (void)!write(fd, head.data(), head.size());
      std::this_thread::sleep_for(milliseconds(50));
      (void)!write(fd, "a=1&b=2", 7);
      char buf[256];
      ssize_t n;
      while ((n = read(fd, buf, sizeof(buf))) > 0) answer.append(buf, n);
    }
    close(fd);
  });
  const int32_t connected = cmds_->TCPAccept(listener);
  ASSERT_GT(connected, 0);
  std::string request;
  ASSERT_EQ(cmds_->HTTPRead(connected, request), 58);
  EXPECT_TRUE(absl::StartsWith(request, "POST /form HTTP/1.1\r\n"));
  EXPECT_TRUE(absl::EndsWith(request, "\r\n\r\na=1&b=2"));
  const std::string reply = "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n";
  EXPECT_EQ(cmds_->HTTPSend(connected, reply), static_cast<int32_t>(reply.size()));
  EXPECT_EQ(cmds_->HTTPClose(connected), 0);
  browser.join();
  EXPECT_EQ(answer, reply);
}

}  // namespace
}  // namespace socketsvc::omnis
