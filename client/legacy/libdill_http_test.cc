// The libdill facade's HTTP layer against a real nginx (client side), curl
// (server side) and scripted peers for what neither sends: malformed and
// oversized lines, silence. Every errno of http_*(3) is provoked.
#include <chrono>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/legacy/libdill_test_util.h"
#include "tests/peers/peers.h"
#include "tests/tls/certificate_authority.h"
#include "tests/tls/nginx_server.h"
#include "tests/tls/subprocess.h"

namespace socketsvc::libdill {
namespace {

class LibdillHttpTest : public LibdillTest {
 protected:
  void SetUp() override {
    LibdillTest::SetUp();
    auto ca = tls::CertificateAuthority::Create();
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = std::move(*ca);
    auto cert = ca_->IssueLocalhostServerCert();
    ASSERT_TRUE(cert.ok()) << cert.status();
    tls::NginxServer::Options options;
    options.cert_path = cert->cert_path;
    options.key_path = cert->key_path;
    options.plain_http = true;
    auto nginx = tls::NginxServer::Start(options);
    ASSERT_TRUE(nginx.ok()) << nginx.status();
    nginx_ = std::move(*nginx);
    ASSERT_TRUE(tls::WriteFile(nginx_->docroot() + "/index.html", kPage));
  }

  // An HTTP handle on a fresh connection to nginx.
  int AttachToNginx() {
    int s = ConnectTo(nginx_->http_port(), now() + 5000);
    return s < 0 ? s : http_attach(s);
  }

  static constexpr char kPage[] = "<html>hello from nginx</html>\n";
  std::unique_ptr<tls::CertificateAuthority> ca_;
  std::unique_ptr<tls::NginxServer> nginx_;
};

TEST_F(LibdillHttpTest, RequestStatusFieldsThenBodyOnTheBytestream) {
  int s = AttachToNginx();
  ASSERT_GE(s, 0) << strerror(errno);
  ASSERT_EQ(http_sendrequest(s, "GET", "/index.html", -1), 0);
  ASSERT_EQ(http_sendfield(s, "Host", "  localhost  ", -1), 0);
  ASSERT_EQ(http_done(s, -1), 0);
  EXPECT_ERRNO(http_done(s, -1), EPIPE);
  char reason[64];
  EXPECT_EQ(http_recvstatus(s, reason, sizeof(reason), now() + 5000), 200);
  EXPECT_STREQ(reason, "OK");
  size_t length = 0;
  bool saw_server = false;
  for (;;) {
    char name[256];
    char value[256];
    int rc = http_recvfield(s, name, sizeof(name), value, sizeof(value), now() + 5000);
    if (rc == -1) {
      EXPECT_EQ(errno, EPIPE);
      break;
    }
    if (absl::EqualsIgnoreCase(name, "Content-Length")) length = std::stoul(value);
    if (absl::EqualsIgnoreCase(name, "Server")) saw_server = absl::StartsWith(value, "nginx");
  }
  EXPECT_TRUE(saw_server);
  // The end of the head stays the end.
  char name[8], value[8];
  EXPECT_ERRNO(http_recvfield(s, name, sizeof(name), value, sizeof(value), 0), EPIPE);
  int t = http_detach(s, now() + 5000);
  ASSERT_GE(t, 0) << strerror(errno);
  EXPECT_ERRNO(http_done(s, -1), EBADF);
  ASSERT_EQ(length, sizeof(kPage) - 1);
  EXPECT_EQ(Receive(t, length, now() + 5000), kPage);
  EXPECT_EQ(tcp_close(t, now() + 5000), 0);
}

TEST_F(LibdillHttpTest, NotFoundAndSmallBuffers) {
  int s = AttachToNginx();
  ASSERT_GE(s, 0);
  ASSERT_EQ(http_sendrequest(s, "GET", "/missing", -1), 0);
  ASSERT_EQ(http_sendfield(s, "Host", "localhost", -1), 0);
  ASSERT_EQ(http_done(s, -1), 0);
  char tiny[4];
  // "Not Found" does not fit: EMSGSIZE, and the line is consumed.
  EXPECT_ERRNO(http_recvstatus(s, tiny, sizeof(tiny), now() + 5000), EMSGSIZE);
  char name[256], value[256];
  EXPECT_ERRNO(http_recvfield(s, tiny, sizeof(tiny), value, sizeof(value), now() + 5000),
               EMSGSIZE);  // "Server"
  EXPECT_EQ(http_recvfield(s, name, sizeof(name), value, sizeof(value), now() + 5000), 0);
  EXPECT_STREQ(name, "Date");
  EXPECT_EQ(hclose(s), 0);
}

TEST_F(LibdillHttpTest, InvalidArgumentsAndWrongHandles) {
  int tcp = ConnectTo(nginx_->http_port());
  ASSERT_GE(tcp, 0);
  EXPECT_ERRNO(http_sendrequest(tcp, "GET", "/", -1), ENOTSUP);
  EXPECT_ERRNO(http_detach(tcp, -1), ENOTSUP);
  int s = http_attach(tcp);
  ASSERT_GE(s, 0);
  // The bytestream's number belongs to the HTTP handle now.
  EXPECT_ERRNO(Send(tcp, "x"), EBADF);
  EXPECT_ERRNO(http_attach(tcp), EBADF);
  EXPECT_ERRNO(Send(s, "x"), ENOTSUP);
  EXPECT_ERRNO(brecv(s, nullptr, 1, 0), ENOTSUP);
  EXPECT_ERRNO(tcp_done(s, -1), ENOTSUP);
  EXPECT_ERRNO(tcp_close(s, -1), ENOTSUP);
  EXPECT_ERRNO(http_attach(s), ENOTSUP);
  EXPECT_ERRNO(http_sendrequest(s, "GET", "/a b", -1), EINVAL);
  EXPECT_ERRNO(http_sendrequest(s, "G\tET", "/", -1), EINVAL);
  EXPECT_ERRNO(http_sendstatus(s, 99, "Low", -1), EINVAL);
  EXPECT_ERRNO(http_sendstatus(s, 600, "High", -1), EINVAL);
  EXPECT_ERRNO(http_sendfield(s, "Bad Name", "v", -1), EINVAL);
  EXPECT_ERRNO(http_sendfield(s, "Bad:Name", "v", -1), EINVAL);
  EXPECT_ERRNO(http_sendfield(s, "Empty", "   ", -1), EINVAL);
  EXPECT_ERRNO(http_sendfield(s, "Split", "a\r\nInjected: 1", -1), EINVAL);
  EXPECT_ERRNO(http_recvstatus(999999, nullptr, 0, 0), EBADF);
  EXPECT_EQ(hclose(s), 0);
  EXPECT_ERRNO(hclose(s), EBADF);
}

// A peer that sends `head` and then keeps the connection open.
std::unique_ptr<peers::ScriptedPeer> Says(std::string head) {
  return std::make_unique<peers::ScriptedPeer>([head](peers::PeerConnection& conn) {
    conn.SendAll(head);
    conn.SleepFor(std::chrono::seconds(30));
  });
}

TEST_F(LibdillHttpTest, MalformedLinesAreEproto) {
  auto peer = Says("HTTP/1.1 2x0 Odd\r\nNoColonHere\r\nICY 200 OK\r\n");
  int s = http_attach(ConnectTo(peer->port()));
  ASSERT_GE(s, 0);
  char reason[64], name[64], value[64];
  EXPECT_ERRNO(http_recvstatus(s, reason, sizeof(reason), now() + 5000), EPROTO);
  EXPECT_ERRNO(http_recvfield(s, name, sizeof(name), value, sizeof(value), now() + 5000),
               EPROTO);
  EXPECT_ERRNO(http_recvstatus(s, reason, sizeof(reason), now() + 5000), EPROTO);
  EXPECT_EQ(hclose(s), 0);
}

TEST_F(LibdillHttpTest, LineLongerThanLibdillsBufferIsEmsgsizeThenBroken) {
  auto peer = Says("HTTP/1.1 200 " + std::string(2000, 'x') + "\r\n\r\n");
  int s = http_attach(ConnectTo(peer->port()));
  ASSERT_GE(s, 0);
  char reason[4096];
  EXPECT_ERRNO(http_recvstatus(s, reason, sizeof(reason), now() + 5000), EMSGSIZE);
  EXPECT_ERRNO(http_recvstatus(s, reason, sizeof(reason), now() + 5000), ECONNRESET);
  EXPECT_EQ(hclose(s), 0);
}

TEST_F(LibdillHttpTest, SilenceTimesOutThenTheHandleIsBroken) {
  peers::RecordingPeer quiet;
  int s = http_attach(ConnectTo(quiet.port()));
  ASSERT_GE(s, 0);
  char reason[64];
  EXPECT_ERRNO(http_recvstatus(s, reason, sizeof(reason), now() + 200), ETIMEDOUT);
  EXPECT_ERRNO(http_recvstatus(s, reason, sizeof(reason), now() + 200), ECONNRESET);
  // A detach that cannot finish closes the handle anyway.
  EXPECT_ERRNO(http_detach(s, now() + 200), ECONNRESET);
  EXPECT_ERRNO(hclose(s), EBADF);
  EXPECT_TRUE(quiet.WaitForEnding());
  EXPECT_EQ(quiet.ending(), peers::Ending::kReset);
}

TEST_F(LibdillHttpTest, PeerClosingMidHeadIsEpipeThenEconnreset) {
  peers::SendThenHalfClosePeer peer("HTTP/1.1 200 OK\r\nServer: x");
  int s = http_attach(ConnectTo(peer.port()));
  ASSERT_GE(s, 0);
  char reason[64], name[64], value[64];
  EXPECT_EQ(http_recvstatus(s, reason, sizeof(reason), now() + 5000), 200);
  EXPECT_ERRNO(http_recvfield(s, name, sizeof(name), value, sizeof(value), now() + 5000),
               EPIPE);
  EXPECT_ERRNO(http_recvfield(s, name, sizeof(name), value, sizeof(value), now() + 5000),
               ECONNRESET);
  EXPECT_EQ(hclose(s), 0);
}

TEST_F(LibdillHttpTest, ServerSideWithCurl) {
  struct ipaddr local;
  ASSERT_EQ(ipaddr_local(&local, "127.0.0.1", 0, 0), 0);
  int listener = tcp_listen(&local, 10);
  ASSERT_GE(listener, 0);
  auto curl = tls::Subprocess::Start(
      {"curl", "-sS", "-i", "-H", "X-Test: yes",
       absl::StrCat("http://127.0.0.1:", ipaddr_port(&local), "/some/where")});
  ASSERT_TRUE(curl.ok()) << curl.status();
  int s = http_attach(tcp_accept(listener, nullptr, now() + 10000));
  ASSERT_GE(s, 0) << strerror(errno);
  char command[8], resource[4];
  // "/some/where" does not fit in 4 bytes.
  EXPECT_ERRNO(http_recvrequest(s, command, sizeof(command), resource, sizeof(resource),
                                now() + 5000),
               EMSGSIZE);
  EXPECT_EQ(hclose(s), 0);
  (*curl)->WaitForExit(std::chrono::seconds(10));

  auto again = tls::Subprocess::Start(
      {"curl", "-sS", "-i", absl::StrCat("http://127.0.0.1:", ipaddr_port(&local), "/x")});
  ASSERT_TRUE(again.ok());
  s = http_attach(tcp_accept(listener, nullptr, now() + 10000));
  ASSERT_GE(s, 0);
  char path[64];
  ASSERT_EQ(http_recvrequest(s, command, sizeof(command), path, sizeof(path), now() + 5000),
            0);
  EXPECT_STREQ(command, "GET");
  EXPECT_STREQ(path, "/x");
  ASSERT_EQ(http_sendstatus(s, 200, "Fine", -1), 0);
  ASSERT_EQ(http_sendfield(s, "Content-Length", "2", -1), 0);
  ASSERT_EQ(http_sendfield(s, "Connection", "close", -1), 0);
  // http_detach sends the blank line itself and skips the request's fields.
  int t = http_detach(s, now() + 5000);
  ASSERT_GE(t, 0) << strerror(errno);
  ASSERT_EQ(Send(t, "ok"), 0);
  EXPECT_EQ(tcp_close(t, now() + 5000), 0);
  ASSERT_TRUE((*again)->WaitForExit(std::chrono::seconds(10)).has_value());
  (*again)->Stop(std::chrono::milliseconds(0));  // Collects the rest of the output.
  EXPECT_TRUE(absl::StartsWith((*again)->Output(), "HTTP/1.1 200 Fine\r\n"))
      << (*again)->Output();
  EXPECT_TRUE(absl::EndsWith((*again)->Output(), "\r\n\r\nok")) << (*again)->Output();
  EXPECT_EQ(hclose(listener), 0);
}

}  // namespace
}  // namespace socketsvc::libdill
