// HTTP and HTTPS server instances against curl, with callers written as the
// C++ Client's ServerReceive / ServerSend loop: GET, a 5 MiB POST echoed
// byte for byte (curl sends "Expect: 100-continue" for it), a chunked
// upload, keep-alive across URLs, HTTPS with and without client
// certificates.
#include <random>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "tests/e2e/http_test_util.h"
#include "tests/tls/certificate_authority.h"
#include "tests/tls/subprocess.h"

namespace socketsvc::e2e {
namespace {

using tls::CommandResult;
using tls::RunCommand;

std::string Url(uint16_t port, const std::string& path,
                const std::string& host = "127.0.0.1") {
  return absl::StrCat("http://", host, ":", port, path);
}

std::string RandomBytes(size_t n) {
  std::mt19937_64 random(42);
  std::string bytes(n, '\0');
  for (char& c : bytes) c = static_cast<char>(random());
  return bytes;
}

bool HasHeader(const v1::ServerReceiveResponse& request, const std::string& name,
               const std::string& value) {
  for (const v1::HttpHeader& header : request.headers()) {
    if (absl::EqualsIgnoreCase(header.name(), name) &&
        absl::EqualsIgnoreCase(header.value(), value)) {
      return true;
    }
  }
  return false;
}

TEST_F(HttpServerTest, CurlGet) {
  const std::string id = CreateServer();
  ReceiveLoop loop(
      *http_, id, 2,
      [](const v1::ServerReceiveResponse& request, v1::ServerSendRequest& answer) {
        answer.set_status(200);
        answer.set_body(absl::StrCat("hello ", request.path(), " ", request.query()));
        v1::HttpHeader* type = answer.add_headers();
        type->set_name("Content-Type");
        type->set_value("text/plain");
      });
  CommandResult curl =
      RunCommand({"curl", "-sS", "-i", "--fail", Url(PortOf(id), "/greet?who=curl")});
  ASSERT_TRUE(curl.ok()) << curl.output;
  EXPECT_TRUE(absl::StartsWith(curl.output, "HTTP/1.1 200 OK\r\n")) << curl.output;
  EXPECT_TRUE(absl::StrContains(curl.output, "Content-Type: text/plain\r\n"));
  EXPECT_TRUE(absl::EndsWith(curl.output, "\r\n\r\nhello /greet who=curl"))
      << curl.output;
  loop.Stop();
  ASSERT_EQ(loop.requests().size(), 1u);
  const v1::ServerReceiveResponse request = loop.requests()[0];
  EXPECT_EQ(request.method(), "GET");
  bool from_curl = false;
  for (const v1::HttpHeader& header : request.headers()) {
    if (header.name() == "User-Agent")
      from_curl = absl::StartsWith(header.value(), "curl/");
  }
  EXPECT_TRUE(from_curl);
}

TEST_F(HttpServerTest, CurlPostOfFiveMebibytesIsEchoedByteExact) {
  const std::string id = CreateServer();
  ReceiveLoop loop(*http_, id, 2);
  tls::TempDir dir("http");
  const std::string body = RandomBytes(5 << 20);
  ASSERT_TRUE(tls::WriteFile(dir.File("in.bin"), body));
  CommandResult curl =
      RunCommand({"curl", "-sS", "--fail", "--data-binary", "@" + dir.File("in.bin"),
                  "-H", "Content-Type: application/octet-stream", "-o",
                  dir.File("out.bin"), Url(PortOf(id), "/echo")});
  ASSERT_TRUE(curl.ok()) << curl.output;
  std::optional<std::string> echoed = tls::ReadFile(dir.File("out.bin"));
  ASSERT_TRUE(echoed);
  ASSERT_EQ(echoed->size(), body.size());
  EXPECT_TRUE(*echoed == body);
  loop.Stop();
  ASSERT_EQ(loop.requests().size(), 1u);
  EXPECT_EQ(loop.requests()[0].method(), "POST");
  // curl asks before it sends a body this large; socketd said "100 Continue".
  EXPECT_TRUE(HasHeader(loop.requests()[0], "Expect", "100-continue"));
  EXPECT_TRUE(HasHeader(loop.requests()[0], "Content-Length", std::to_string(5 << 20)));
}

TEST_F(HttpServerTest, CurlChunkedUploadIsDecoded) {
  const std::string id = CreateServer();
  ReceiveLoop loop(*http_, id, 1);
  tls::TempDir dir("http");
  const std::string body = RandomBytes(300 * 1024 + 7);
  ASSERT_TRUE(tls::WriteFile(dir.File("in.bin"), body));
  CommandResult curl = RunCommand(
      {"curl", "-sS", "--fail", "-H", "Transfer-Encoding: chunked", "--data-binary",
       "@" + dir.File("in.bin"), "-o", dir.File("out.bin"), Url(PortOf(id), "/chunked")});
  ASSERT_TRUE(curl.ok()) << curl.output;
  std::optional<std::string> echoed = tls::ReadFile(dir.File("out.bin"));
  ASSERT_TRUE(echoed);
  EXPECT_TRUE(*echoed == body) << echoed->size() << " vs " << body.size();
  loop.Stop();
  ASSERT_EQ(loop.requests().size(), 1u);
  EXPECT_TRUE(HasHeader(loop.requests()[0], "Transfer-Encoding", "chunked"));
}

TEST_F(HttpServerTest, CurlReusesTheConnectionForSeveralUrls) {
  const std::string id = CreateServer();
  ReceiveLoop loop(*http_, id, 2);
  const uint16_t port = PortOf(id);
  CommandResult curl =
      RunCommand({"curl", "-sS", "-v", "--fail", "-o", "/dev/null", "-o", "/dev/null",
                  "-o", "/dev/null", "-w", "connects=%{num_connects}\n", Url(port, "/1"),
                  Url(port, "/2"), Url(port, "/3")});
  ASSERT_TRUE(curl.ok()) << curl.output;
  EXPECT_TRUE(absl::StrContains(curl.output, "Re-using existing connection"))
      << curl.output;
  std::vector<std::string> connects;
  for (absl::string_view line : absl::StrSplit(curl.output, '\n')) {
    if (absl::StartsWith(line, "connects=")) connects.emplace_back(line);
  }
  EXPECT_EQ(connects,
            (std::vector<std::string>{"connects=1", "connects=0", "connects=0"}));
  loop.Stop();
  EXPECT_EQ(loop.answered(), 3);
  EXPECT_EQ(ServerInfo(id).connections_accepted(), 1u);
}

class HttpsServerTest : public HttpServerTest {
 protected:
  void SetUp() override {
    HttpServerTest::SetUp();
    absl::StatusOr<std::unique_ptr<tls::CertificateAuthority>> ca =
        tls::CertificateAuthority::Create();
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = std::move(*ca);
    absl::StatusOr<tls::IssuedCertificate> cert = ca_->IssueLocalhostServerCert();
    ASSERT_TRUE(cert.ok()) << cert.status();
    server_cert_ = *cert;
  }

  std::string CreateHttps(const std::string& client_ca_pem = "") {
    v1::ServerCreateRequest request;
    request.mutable_tls()->set_cert_pem(server_cert_.cert_pem);
    request.mutable_tls()->set_key_pem(server_cert_.key_pem);
    request.mutable_tls()->set_client_ca_pem(client_ca_pem);
    return CreateServer(request);
  }

  std::vector<std::string> Curl(uint16_t port) {
    return {"curl",           "-sS",
            "--fail",         "--cacert",
            ca_->cert_path(), absl::StrCat("https://localhost:", port, "/secure")};
  }

  std::unique_ptr<tls::CertificateAuthority> ca_;
  tls::IssuedCertificate server_cert_;
};

TEST_F(HttpsServerTest, HttpsWithoutClientCertificates) {
  const std::string id = CreateHttps();
  EXPECT_TRUE(ServerInfo(id).tls());
  ReceiveLoop loop(*http_, id, 1);
  CommandResult curl = RunCommand(Curl(PortOf(id)));
  ASSERT_TRUE(curl.ok()) << curl.output;
  loop.Stop();
  ASSERT_EQ(loop.requests().size(), 1u);
  EXPECT_EQ(loop.requests()[0].path(), "/secure");
  EXPECT_EQ(loop.requests()[0].client_cert_subject(), "");
  // A client that does not trust the certificate ends the handshake.
  CommandResult untrusted =
      RunCommand({"curl", "-sS", absl::StrCat("https://localhost:", PortOf(id), "/")});
  EXPECT_FALSE(untrusted.ok()) << untrusted.output;
  EXPECT_TRUE(WaitForInfo(
      id, [](const v1::ServerInfo& i) { return i.tls_handshake_failures() == 1; }));
}

TEST_F(HttpsServerTest, ClientCertificatesAreRequiredAndNamed) {
  const std::string id = CreateHttps(ca_->cert_pem());
  absl::StatusOr<tls::IssuedCertificate> alice = ca_->IssueClientCert("alice");
  ASSERT_TRUE(alice.ok()) << alice.status();
  absl::StatusOr<std::unique_ptr<tls::CertificateAuthority>> other =
      tls::CertificateAuthority::Create("other CA");
  ASSERT_TRUE(other.ok());
  absl::StatusOr<tls::IssuedCertificate> mallory = (*other)->IssueClientCert("mallory");
  ASSERT_TRUE(mallory.ok());
  ReceiveLoop loop(*http_, id, 1);

  CommandResult without = RunCommand(Curl(PortOf(id)));
  EXPECT_FALSE(without.ok()) << without.output;
  std::vector<std::string> foreign = Curl(PortOf(id));
  foreign.insert(foreign.end(),
                 {"--cert", mallory->cert_path, "--key", mallory->key_path});
  CommandResult refused = RunCommand(foreign);
  EXPECT_FALSE(refused.ok()) << refused.output;
  EXPECT_TRUE(WaitForInfo(
      id, [](const v1::ServerInfo& i) { return i.tls_handshake_failures() == 2; }));
  EXPECT_EQ(loop.delivered(), 0);

  std::vector<std::string> with_cert = Curl(PortOf(id));
  with_cert.insert(with_cert.end(),
                   {"--cert", alice->cert_path, "--key", alice->key_path});
  CommandResult accepted = RunCommand(with_cert);
  ASSERT_TRUE(accepted.ok()) << accepted.output;
  loop.Stop();
  ASSERT_EQ(loop.requests().size(), 1u);
  EXPECT_EQ(loop.requests()[0].client_cert_subject(), "CN=alice");
}

}  // namespace
}  // namespace socketsvc::e2e
