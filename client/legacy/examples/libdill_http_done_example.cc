// Seed example: libdill's http_done(3) man page.
//
//   int s = tcp_connect(&addr, -1);
//   s = http_attach(s);
//   http_sendrequest(s, "GET", "/", -1);
//   http_sendfield(s, "Host", "www.example.org", -1);
//   http_done(s, -1);
//   char reason[256];
//   http_recvstatus(s, reason, sizeof(reason), -1);
//   while(1) {
//       char name[256];
//       char value[256];
//       int rc = http_recvfield(s, name, sizeof(name), value, sizeof(value), -1);
//       if(rc == -1 && errno == EPIPE) break;
//   }
//   s = http_detach(s, -1);
//   tcp_close(s);
//
// Run as written against an in-process socketd and a real nginx (plain
// HTTP): `addr` is nginx's address (the page leaves it to the reader), the
// Host field stays "www.example.org" (nginx's default server answers it).
// What the program saw is recorded for the assertions; the page's lines are
// unchanged, including the one-argument tcp_close(s) of libdill 1.x, which
// the facade accepts with deadline -1.
#include <cerrno>
#include <map>
#include <string>

#include "absl/strings/ascii.h"
#include "client/legacy/libdill.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/tls/certificate_authority.h"
#include "tests/tls/nginx_server.h"
#include "tests/tls/subprocess.h"

namespace {

using namespace socketsvc::libdill;  // NOLINT: the example reads like C.

struct Seen {
  int status = 0;
  std::string reason;
  std::map<std::string, std::string> fields;  // lower-case names
  std::string body;
  int close_rc = -2;
};

// The man page's example, with recording added (marked "seen.").
Seen RunManPageExample(const struct ipaddr& addr) {
  Seen seen;
  int s = tcp_connect(&addr, -1);
  s = http_attach(s);
  http_sendrequest(s, "GET", "/", -1);
  http_sendfield(s, "Host", "www.example.org", -1);
  http_done(s, -1);
  char reason[256];
  seen.status = http_recvstatus(s, reason, sizeof(reason), -1);
  seen.reason = reason;
  while (1) {
    char name[256];
    char value[256];
    int rc = http_recvfield(s, name, sizeof(name), value, sizeof(value), -1);
    if (rc == -1 && errno == EPIPE) break;
    seen.fields[absl::AsciiStrToLower(name)] = value;
  }
  s = http_detach(s, -1);
  // Not on the page: the body follows the head on the bytestream.
  auto length = seen.fields.find("content-length");
  if (length != seen.fields.end()) {
    seen.body.resize(std::stoul(length->second));
    brecv(s, seen.body.data(), seen.body.size(), now() + 5000);
  }
  seen.close_rc = tcp_close(s);
  return seen;
}

class HttpDoneExample : public socketsvc::e2e::SocketdTest {
 protected:
  void SetUp() override {
    SocketdTest::SetUp();
    Use(*client_);
    auto ca = socketsvc::tls::CertificateAuthority::Create();
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = std::move(*ca);
    auto cert = ca_->IssueLocalhostServerCert();
    ASSERT_TRUE(cert.ok()) << cert.status();
    socketsvc::tls::NginxServer::Options options;
    options.cert_path = cert->cert_path;
    options.key_path = cert->key_path;
    options.plain_http = true;
    auto nginx = socketsvc::tls::NginxServer::Start(options);
    ASSERT_TRUE(nginx.ok()) << nginx.status();
    nginx_ = std::move(*nginx);
  }

  std::unique_ptr<socketsvc::tls::CertificateAuthority> ca_;
  std::unique_ptr<socketsvc::tls::NginxServer> nginx_;
};

TEST_F(HttpDoneExample, AsWrittenAgainstNginx) {
  const std::string page = "<h1>www.example.org</h1>\n";
  ASSERT_TRUE(socketsvc::tls::WriteFile(nginx_->docroot() + "/index.html", page));
  struct ipaddr addr;
  ASSERT_EQ(ipaddr_remote(&addr, "127.0.0.1", nginx_->http_port(), 0, -1), 0);

  Seen seen = RunManPageExample(addr);
  EXPECT_EQ(seen.status, 200);
  EXPECT_EQ(seen.reason, "OK");
  EXPECT_EQ(seen.fields["content-length"], std::to_string(page.size()));
  // The test nginx maps no types: every file is its default_type.
  EXPECT_EQ(seen.fields["content-type"], "application/octet-stream");
  EXPECT_EQ(seen.fields["server"].substr(0, 6), "nginx/");
  EXPECT_EQ(seen.body, page);
  EXPECT_EQ(seen.close_rc, 0);  // nginx closed its side after our FIN.
}

TEST_F(HttpDoneExample, WithoutAnIndexNginxSaysForbidden) {
  struct ipaddr addr;
  ASSERT_EQ(ipaddr_remote(&addr, "127.0.0.1", nginx_->http_port(), 0, -1), 0);
  Seen seen = RunManPageExample(addr);
  // An empty directory without autoindex: 403, with an HTML body.
  EXPECT_EQ(seen.status, 403);
  EXPECT_EQ(seen.reason, "Forbidden");
  EXPECT_NE(seen.body.find("403 Forbidden"), std::string::npos) << seen.body;
  EXPECT_EQ(seen.close_rc, 0);
}

}  // namespace
