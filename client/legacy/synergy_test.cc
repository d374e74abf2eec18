// The Synergy routines against curl: the RECEIVE/SEND loop with bodies,
// headers and the local log file, keep-alive by dont_close, HTTPS with and
// without client certificates, IPv6 by IP_flag, concurrent receivers.
#include <algorithm>
#include <thread>

#include "absl/strings/match.h"
#include "client/legacy/synergy_test_util.h"
#include "tests/tls/certificate_authority.h"

namespace socketsvc::synergy {
namespace {

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST_F(SynergyTest, ReceiveAndSendWithCurlAndALogFile) {
  D_HANDLE id = Create();
  ASSERT_GT(id, 0);
  tls::TempDir dir("synergy");
  const std::string log = dir.File("http.log");
  auto curl = StartCurl({"-i", "-H", "X-Custom: abc", "--data-binary", "payload",
                         Url(id, "/path?q=1")});
  std::string uri, method, handle, error = "stale";
  int length = -1;
  std::vector<std::string> headers;
  ASSERT_EQ(HTTP_SERVER_RECEIVE(id, uri, method, 10, handle, length, error, &headers, log),
            HTTP_OK)
      << error;
  EXPECT_EQ(error, "");
  EXPECT_EQ(uri, "/path?q=1");
  EXPECT_EQ(method, "POST");
  EXPECT_EQ(handle, "payload");
  EXPECT_EQ(length, 7);
  EXPECT_TRUE(Contains(headers, "X-Custom:abc"));
  EXPECT_TRUE(Contains(headers, "Content-Length:7"));
  const std::string page = "got " + handle + " and more";
  ASSERT_EQ(HTTP_SERVER_SEND(id, 201, "Made", page, 11, error,
                             {"Content-Type: text/plain", "X-Answer:42"}, log),
            HTTP_OK)
      << error;
  const std::string out = Finish(curl);
  EXPECT_TRUE(absl::StartsWith(out, "HTTP/1.1 201 Made\r\n")) << out;
  EXPECT_TRUE(absl::StrContains(out, "Content-Type: text/plain\r\n")) << out;
  EXPECT_TRUE(absl::StrContains(out, "X-Answer: 42\r\n")) << out;
  EXPECT_TRUE(absl::StrContains(out, "Connection: close\r\n")) << out;  // dont_close = 0
  EXPECT_TRUE(absl::EndsWith(out, "\r\n\r\ngot payload")) << out;  // length 11

  std::optional<std::string> logged = tls::ReadFile(log);
  ASSERT_TRUE(logged.has_value());
  EXPECT_TRUE(absl::StartsWith(*logged, "--- RECEIVE ")) << *logged;
  EXPECT_TRUE(absl::StrContains(*logged, "POST /path?q=1 HTTP/1.1\r\n")) << *logged;
  EXPECT_TRUE(absl::StrContains(*logged, "X-Custom: abc\r\n")) << *logged;
  EXPECT_TRUE(absl::StrContains(*logged, "\r\n\r\npayload\n--- SEND ")) << *logged;
  EXPECT_TRUE(absl::StrContains(*logged, "HTTP/1.1 201 Made\r\nContent-Type: text/plain\r\n"
                                         "X-Answer: 42\r\nContent-Length: 11\r\n"
                                         "Connection: close\r\n\r\ngot payload\n"))
      << *logged;
  EXPECT_EQ(HTTP_SERVER_DELETE(id, error), HTTP_OK);
}

TEST_F(SynergyTest, LogEntriesAreAppended) {
  D_HANDLE id = Create();
  tls::TempDir dir("synergy");
  const std::string log = dir.File("http.log");
  ASSERT_TRUE(tls::WriteFile(log, "earlier\n"));
  for (int i = 0; i < 2; ++i) {
    auto curl = StartCurl({Url(id, "/" + std::to_string(i))});
    std::string uri, method, handle, error;
    int length;
    ASSERT_EQ(HTTP_SERVER_RECEIVE(id, uri, method, handle, length, error, nullptr, log), 0);
    ASSERT_EQ(HTTP_SERVER_SEND(id, 200, "OK", "", 0, error, {}, log), 0) << error;
    Finish(curl);
  }
  std::string logged = tls::ReadFile(log).value_or("");
  EXPECT_TRUE(absl::StartsWith(logged, "earlier\n--- RECEIVE ")) << logged;
  EXPECT_TRUE(absl::StrContains(logged, "GET /0 HTTP/1.1"));
  EXPECT_TRUE(absl::StrContains(logged, "GET /1 HTTP/1.1"));
  EXPECT_EQ(HTTP_SERVER_DELETE(id), 0);
}

// Serves `n` requests, with `dont_close`, and returns curl's num_connects.
std::string ServeTwo(D_HANDLE id, int dont_close, const std::string& url1,
                     const std::string& url2) {
  auto curl = SynergyTest::StartCurl({"-o", "/dev/null", "-o", "/dev/null", "-w",
                                      "[%{num_connects}]", url1, url2});
  for (int i = 0; i < 2; ++i) {
    std::string uri, method, handle, error;
    int length;
    EXPECT_EQ(HTTP_SERVER_RECEIVE(id, uri, method, 10, handle, length, error), 0) << error;
    EXPECT_EQ(HTTP_SERVER_SEND(id, 200, "OK", uri, uri.size(), error, {}, "", "1.1",
                               dont_close),
              0)
        << error;
  }
  return SynergyTest::Finish(curl);
}

TEST_F(SynergyTest, DontCloseKeepsTheConnectionForTheNextRequest) {
  D_HANDLE id = Create();
  EXPECT_EQ(ServeTwo(id, 1, Url(id, "/a"), Url(id, "/b")), "[1][0]");
  EXPECT_EQ(ServeTwo(id, 0, Url(id, "/a"), Url(id, "/b")), "[1][1]");
  EXPECT_EQ(HTTP_SERVER_DELETE(id), 0);
}

TEST_F(SynergyTest, IpFlagListensOnIpv6Too) {
  D_HANDLE id = Create(/*IP_flag=*/1);
  ASSERT_GT(id, 0);
  auto curl = StartCurl({"-g", absl::StrCat("http://[::1]:", BoundPort(id), "/v6")});
  std::string uri, method, handle, error;
  int length;
  ASSERT_EQ(HTTP_SERVER_RECEIVE(id, uri, method, 10, handle, length, error), 0) << error;
  EXPECT_EQ(uri, "/v6");
  ASSERT_EQ(HTTP_SERVER_SEND(id, 200, "OK", "six", 3, error), 0) << error;
  EXPECT_EQ(Finish(curl), "six");
  EXPECT_EQ(HTTP_SERVER_DELETE(id), 0);
}

class SynergyHttpsTest : public SynergyTest {
 protected:
  void SetUp() override {
    SynergyTest::SetUp();
    auto ca = tls::CertificateAuthority::Create();
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = std::move(*ca);
    auto cert = ca_->IssueLocalhostServerCert();
    ASSERT_TRUE(cert.ok()) << cert.status();
    // Synergy's cert_file holds the certificate and its key.
    cert_file_ = dir_.File("server.pem");
    ASSERT_TRUE(tls::WriteFile(cert_file_, cert->cert_pem + cert->key_pem));
  }

  std::string Serve(D_HANDLE id, std::vector<std::string> curl_args) {
    curl_args.insert(curl_args.end(),
                     {"--cacert", ca_->cert_path(),
                      absl::StrCat("https://localhost:", BoundPort(id), "/secure")});
    auto curl = StartCurl(curl_args);
    std::string uri, method, handle, error;
    int length;
    if (HTTP_SERVER_RECEIVE(id, uri, method, 5, handle, length, error) == HTTP_OK) {
      EXPECT_EQ(HTTP_SERVER_SEND(id, 200, "OK", uri, uri.size(), error), 0) << error;
    }
    return Finish(curl);
  }

  tls::TempDir dir_{"synergy"};
  std::unique_ptr<tls::CertificateAuthority> ca_;
  std::string cert_file_;
};

TEST_F(SynergyHttpsTest, CertFileMakesAnHttpsServer) {
  D_HANDLE id = 0;
  std::string error;
  ASSERT_EQ(HTTP_SERVER_CREATE(id, 0, error, SSLVER_TLS1_1 + SSLVER_TLS1_2, "HIGH",
                               cert_file_),
            HTTP_OK)
      << error;
  EXPECT_EQ(Serve(id, {}), "/secure");
  EXPECT_EQ(HTTP_SERVER_DELETE(id), 0);
}

TEST_F(SynergyHttpsTest, CaFileRequiresClientCertificates) {
  absl::StatusOr<tls::IssuedCertificate> alice = ca_->IssueClientCert("alice");
  ASSERT_TRUE(alice.ok());
  D_HANDLE id = 0;
  std::string error;
  ASSERT_EQ(HTTP_SERVER_CREATE(id, 0, error, SSLVER_ALL, "", cert_file_, ca_->cert_path()),
            HTTP_OK)
      << error;
  // Without a certificate the handshake fails; nothing reaches RECEIVE.
  auto refused = StartCurl({"--cacert", ca_->cert_path(),
                            absl::StrCat("https://localhost:", BoundPort(id), "/")});
  std::string uri, method, handle;
  int length;
  EXPECT_EQ(HTTP_SERVER_RECEIVE(id, uri, method, 2, handle, length, error),
            HTTP_ERR_TIMEOUT);
  Finish(refused);
  EXPECT_NE(refused->WaitForExit(std::chrono::seconds(1)).value_or(0), 0);
  EXPECT_EQ(Serve(id, {"--cert", alice->cert_path, "--key", alice->key_path}), "/secure");
  EXPECT_EQ(HTTP_SERVER_DELETE(id), 0);
}

TEST_F(SynergyTest, ConcurrentReceiversEachAnswerTheirOwnRequest) {
  D_HANDLE id = Create();
  constexpr int kThreads = 3;
  std::vector<std::thread> receivers;
  for (int t = 0; t < kThreads; ++t) {
    receivers.emplace_back([&, t] {
      std::string uri, method, handle, error;
      int length;
      ASSERT_EQ(HTTP_SERVER_RECEIVE(id, uri, method, 20, handle, length, error), 0) << error;
      // Answers go out in another order than the requests came: each must
      // still reach the curl that asked.
      std::this_thread::sleep_for(std::chrono::milliseconds(300 * (kThreads - t)));
      EXPECT_EQ(HTTP_SERVER_SEND(id, 200, "OK", uri, uri.size(), error), 0) << error;
    });
  }
  std::vector<std::unique_ptr<tls::Subprocess>> curls;
  for (int i = 0; i < kThreads; ++i) curls.push_back(StartCurl({Url(id, "/c" + std::to_string(i))}));
  for (int i = 0; i < kThreads; ++i) EXPECT_EQ(Finish(curls[i]), "/c" + std::to_string(i));
  for (std::thread& t : receivers) t.join();
  EXPECT_EQ(HTTP_SERVER_DELETE(id), 0);
}

}  // namespace
}  // namespace socketsvc::synergy
