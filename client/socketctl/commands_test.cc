// socketctl's flag handling and TLS text, without socketd.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/status/status.h"
#include "client/socketctl/connect.h"
#include "client/socketctl/flags.h"
#include "client/socketctl/poll.h"
#include "client/socketctl/tls.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace socketsvc::socketctl {
namespace {

using ::testing::HasSubstr;

std::string TempFile(const std::string& name, const std::string& contents) {
  const char* dir = std::getenv("TEST_TMPDIR");
  std::string path = std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
  std::FILE* file = std::fopen(path.c_str(), "wb");
  EXPECT_NE(file, nullptr) << path;
  if (file == nullptr) return path;
  std::fwrite(contents.data(), 1, contents.size(), file);
  std::fclose(file);
  return path;
}

class CommandsTest : public ::testing::Test {
 private:
  absl::FlagSaver saver_;  // each test starts from the defaults
};

TEST_F(CommandsTest, PortOrServiceAndTimeout) {
  absl::StatusOr<v1::ConnectRequest> request =
      BuildConnectRequest("example.test", "443", std::nullopt);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->host(), "example.test");
  EXPECT_EQ(request->port(), 443u);
  EXPECT_FALSE(request->has_timeout_ms());
  EXPECT_FALSE(request->has_tls());

  absl::SetFlag(&FLAGS_timeout_ms, 2500);
  request = BuildConnectRequest("example.test", "https", std::nullopt);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->service(), "https");
  EXPECT_EQ(request->timeout_ms(), 2500);

  request = BuildConnectRequest("example.test", "70000", std::nullopt);
  EXPECT_EQ(request.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(request.status().message(), "bad port: 70000");
}

TEST_F(CommandsTest, NoTlsWithoutTheFlag) {
  absl::StatusOr<std::optional<v1::TlsOptions>> tls = ConnectTlsFromFlags();
  ASSERT_TRUE(tls.ok()) << tls.status();
  EXPECT_FALSE(tls->has_value());
}

TEST_F(CommandsTest, TlsSettingsWithoutTlsAreAUsageError) {
  absl::SetFlag(&FLAGS_tls_skip_verify, true);
  absl::StatusOr<std::optional<v1::TlsOptions>> tls = ConnectTlsFromFlags();
  EXPECT_EQ(tls.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(tls.status().message()), HasSubstr("need --tls"));
}

TEST_F(CommandsTest, EveryTlsFlag) {
  const std::string ca = TempFile("ca.pem", "CA PEM");
  const std::string cert = TempFile("cert.pem", "CERT PEM");
  const std::string key = TempFile("key.pem", "KEY PEM");
  absl::SetFlag(&FLAGS_tls, true);
  absl::SetFlag(&FLAGS_tls_skip_verify, true);
  absl::SetFlag(&FLAGS_tls_server_name, "name.test");
  absl::SetFlag(&FLAGS_tls_ca, ca);
  absl::SetFlag(&FLAGS_tls_cert, cert);
  absl::SetFlag(&FLAGS_tls_key, key);
  absl::SetFlag(&FLAGS_alpn, std::vector<std::string>{"h2", "http/1.1"});
  absl::SetFlag(&FLAGS_tls_min_version, "1.3");
  absl::StatusOr<std::optional<v1::TlsOptions>> tls = ConnectTlsFromFlags();
  ASSERT_TRUE(tls.ok()) << tls.status();
  ASSERT_TRUE(tls->has_value());
  const v1::TlsOptions& options = **tls;
  EXPECT_TRUE(options.enabled());
  EXPECT_TRUE(options.skip_verify());
  EXPECT_EQ(options.server_name(), "name.test");
  EXPECT_EQ(options.ca_pem(), "CA PEM");
  EXPECT_EQ(options.client_cert_pem(), "CERT PEM");
  EXPECT_EQ(options.client_key_pem(), "KEY PEM");
  ASSERT_EQ(options.alpn_size(), 2);
  EXPECT_EQ(options.alpn(0), "h2");
  EXPECT_EQ(options.alpn(1), "http/1.1");
  EXPECT_EQ(options.min_version(), v1::TLS_VERSION_1_3);

  absl::StatusOr<v1::ConnectRequest> request =
      BuildConnectRequest("example.test", "443", *tls);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->tls().ca_pem(), "CA PEM");
}

TEST_F(CommandsTest, BadTlsFlags) {
  absl::SetFlag(&FLAGS_tls_ca, "/nonexistent/ca.pem");
  absl::StatusOr<v1::TlsOptions> tls = TlsOptionsFromFlags();
  EXPECT_EQ(tls.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(tls.status().message(),
            "--tls_ca: cannot read /nonexistent/ca.pem: No such file or "
            "directory");

  absl::SetFlag(&FLAGS_tls_ca, TempFile("empty.pem", ""));
  EXPECT_THAT(std::string(TlsOptionsFromFlags().status().message()),
              HasSubstr("is empty"));
  absl::SetFlag(&FLAGS_tls_ca, "");

  absl::SetFlag(&FLAGS_tls_cert, TempFile("only_cert.pem", "CERT"));
  EXPECT_THAT(std::string(TlsOptionsFromFlags().status().message()),
              HasSubstr("go together"));
  absl::SetFlag(&FLAGS_tls_cert, "");

  absl::SetFlag(&FLAGS_tls_min_version, "1.1");
  EXPECT_THAT(std::string(TlsOptionsFromFlags().status().message()),
              HasSubstr("1.2 or 1.3"));
  absl::SetFlag(&FLAGS_tls_min_version, "");

  absl::SetFlag(&FLAGS_alpn, std::vector<std::string>{"h2", ""});
  EXPECT_EQ(TlsOptionsFromFlags().status().code(),
            absl::StatusCode::kInvalidArgument);
}

v1::TlsInfo SampleInfo() {
  v1::TlsInfo info;
  info.set_version("TLSv1.3");
  info.set_cipher("TLS_AES_256_GCM_SHA384");
  info.set_server_name("localhost");
  info.set_verified(true);
  info.set_peer_subject("CN=localhost");
  info.set_peer_issuer("CN=test-ca");
  info.add_peer_sans("DNS:localhost");
  info.add_peer_sans("IP:127.0.0.1");
  info.set_peer_not_before_unix(1700000000);
  info.set_peer_not_after_unix(1700086400);
  return info;
}

TEST(TlsTextTest, Summary) {
  v1::TlsInfo info = SampleInfo();
  EXPECT_EQ(TlsSummary(info),
            "tls TLSv1.3 TLS_AES_256_GCM_SHA384 verified peer=CN=localhost");
  info.set_verified(false);
  info.set_alpn("h2");
  EXPECT_EQ(TlsSummary(info),
            "tls TLSv1.3 TLS_AES_256_GCM_SHA384 unverified peer=CN=localhost "
            "alpn=h2");
}

TEST(TlsTextTest, InfoLines) {
  EXPECT_EQ(TlsInfoLines(SampleInfo()),
            "tls.version: TLSv1.3\n"
            "tls.cipher: TLS_AES_256_GCM_SHA384\n"
            "tls.server_name: localhost\n"
            "tls.verified: true\n"
            "tls.peer_subject: CN=localhost\n"
            "tls.peer_issuer: CN=test-ca\n"
            "tls.peer_sans: DNS:localhost, IP:127.0.0.1\n"
            "tls.peer_not_before: 2023-11-14T22:13:20Z\n"
            "tls.peer_not_after: 2023-11-15T22:13:20Z\n");
}

TEST(PollTest, ItemsFromArguments) {
  absl::StatusOr<std::vector<v1::PollItem>> items =
      ParsePollItems({"s1.aa", "l1.bb", "h1.cc=rw", "s1.dd=a"});
  ASSERT_TRUE(items.ok()) << items.status();
  ASSERT_EQ(items->size(), 4u);
  EXPECT_EQ((*items)[0].handle(), "s1.aa");
  EXPECT_EQ((*items)[0].events(), v1::POLL_EVENT_READABLE);
  EXPECT_EQ((*items)[1].events(), v1::POLL_EVENT_ACCEPTABLE);
  EXPECT_EQ((*items)[2].handle(), "h1.cc");
  EXPECT_EQ((*items)[2].events(), v1::POLL_EVENT_READABLE | v1::POLL_EVENT_WRITABLE);
  EXPECT_EQ((*items)[3].events(), v1::POLL_EVENT_ACCEPTABLE);
  EXPECT_FALSE(ParsePollItems({}).ok());
  EXPECT_FALSE(ParsePollItems({"=r"}).ok());
  EXPECT_FALSE(ParsePollItems({"s1.aa=x"}).ok());
}

TEST(PollTest, ReadyLines) {
  v1::PollResponse response;
  v1::PollReady* ready = response.add_ready();
  ready->set_handle("s1.aa");
  ready->set_events(v1::POLL_EVENT_READABLE | v1::POLL_EVENT_HUP);
  ready = response.add_ready();
  ready->set_handle("bad");
  ready->set_events(v1::POLL_EVENT_INVALID);
  EXPECT_EQ(PollReadyLines(response), "s1.aa readable,hup\nbad invalid\n");
}

}  // namespace
}  // namespace socketsvc::socketctl
