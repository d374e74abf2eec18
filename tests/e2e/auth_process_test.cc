// Authentication of the real socketd binary: SIGHUP re-reads the tokens
// file without dropping a session, a bad file on SIGHUP keeps the tokens in
// force, a non-loopback --listen without authentication refuses to start,
// and socketctl's --token_file/--server_ca/--client_cert flags.
#include <signal.h>

#include <chrono>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/client.h"
#include "common/socket_error.h"
#include "gtest/gtest.h"
#include "tests/e2e/socketd_process.h"
#include "tests/peers/peers.h"
#include "tests/tls/certificate_authority.h"
#include "tests/tls/subprocess.h"

namespace socketsvc::e2e {
namespace {

constexpr char kAliceToken[] = "alice-0123456789abcdef";
constexpr char kAliceNewToken[] = "alice-new-0123456789abcdef";
constexpr char kCarolToken[] = "carol-0123456789abcdef";

Client WithToken(const std::string& target, const std::string& token) {
  ClientCredentialsOptions credentials;
  credentials.bearer_token = token;
  return Client::Create(target, credentials);
}

bool RefusedAsUnauthenticated(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnauthenticated &&
         GetSocketError(status) == v1::SOCKET_ERROR_UNAUTHENTICATED;
}

// Polls `ok` for up to 10 s (SIGHUP is handled asynchronously).
template <typename F>
bool Eventually(F ok) {
  const absl::Time limit = absl::Now() + absl::Seconds(10);
  while (absl::Now() < limit) {
    if (ok()) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return false;
}

class AuthProcessTest : public ::testing::Test {
 protected:
  std::string File(const std::string& name, const std::string& text) {
    const std::string path = dir_.File(name);
    EXPECT_TRUE(tls::WriteFile(path, text));
    return path;
  }

  tls::TempDir dir_{"authproc"};
};

TEST_F(AuthProcessTest, SighupReloadsTokensWithoutDroppingSessions) {
  const std::string tokens =
      File("tokens", absl::StrCat(kAliceToken, " alice\n"));
  SocketdProcess socketd({"--tokens_file=" + tokens});
  ASSERT_TRUE(socketd.started());
  peers::EchoPeer peer;
  absl::StatusOr<v1::ConnectResponse> connected =
      WithToken(socketd.target(), kAliceToken)
          .Connect("127.0.0.1", peer.port(), 5000);
  ASSERT_TRUE(connected.ok()) << connected.status();
  EXPECT_TRUE(RefusedAsUnauthenticated(
      WithToken(socketd.target(), kCarolToken).Resolve("localhost").status()));

  // alice moves to a new token, carol is added; the old token goes.
  ASSERT_TRUE(tls::WriteFile(tokens, absl::StrCat(kAliceNewToken, " alice\n",
                                                  kCarolToken, " carol\n")));
  ASSERT_EQ(kill(socketd.pid(), SIGHUP), 0);
  EXPECT_TRUE(Eventually([&] {
    return WithToken(socketd.target(), kCarolToken).Resolve("localhost").ok();
  }));
  EXPECT_TRUE(RefusedAsUnauthenticated(WithToken(socketd.target(), kAliceToken)
                                           .GetInfo(connected->handle())
                                           .status()));
  // The connection made before the reload is still there, still alice's.
  const Client alice = WithToken(socketd.target(), kAliceNewToken);
  ASSERT_TRUE(alice.Send(connected->handle(), "still here").ok());
  absl::StatusOr<v1::ReceiveResponse> echoed =
      alice.Receive(connected->handle(), 0, 10, 5000);
  ASSERT_TRUE(echoed.ok()) << echoed.status();
  EXPECT_EQ(echoed->data(), "still here");
  EXPECT_EQ(WithToken(socketd.target(), kCarolToken)
                .GetInfo(connected->handle())
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(peer.connections(), 1);
}

TEST_F(AuthProcessTest, BadTokensFileOnSighupKeepsTheTokensInForce) {
  const std::string tokens =
      File("tokens", absl::StrCat(kAliceToken, " alice\n"));
  absl::StatusOr<std::unique_ptr<tls::Subprocess>> socketd =
      tls::Subprocess::Start({RunfilePath("service/socketd"),
                              "--listen=127.0.0.1:0",
                              "--tokens_file=" + tokens});
  ASSERT_TRUE(socketd.ok()) << socketd.status();
  ASSERT_TRUE((*socketd)->WaitForOutputMatching(
      [](const std::string& out) {
        const size_t at = out.find("listening on ");
        return at != std::string::npos &&
               out.find('\n', at) != std::string::npos;
      },
      std::chrono::seconds(20)));
  const std::string output = (*socketd)->Output();
  const size_t at = output.find("listening on 127.0.0.1:");
  ASSERT_NE(at, std::string::npos) << output;
  int port = 0;
  ASSERT_TRUE(absl::SimpleAtoi(
      output.substr(at + 23, output.find('\n', at) - at - 23), &port))
      << output;
  const std::string target = absl::StrCat("127.0.0.1:", port);

  ASSERT_TRUE(
      tls::WriteFile(tokens, absl::StrCat(kCarolToken, " carol extra\n")));
  ASSERT_EQ(kill((*socketd)->pid(), SIGHUP), 0);
  ASSERT_TRUE((*socketd)->WaitForOutput("reload failed"));
  EXPECT_TRUE(absl::StrContains((*socketd)->Output(), "line 1"));
  EXPECT_TRUE(WithToken(target, kAliceToken).Resolve("localhost").ok());
  EXPECT_TRUE(RefusedAsUnauthenticated(
      WithToken(target, kCarolToken).Resolve("localhost").status()));
  EXPECT_TRUE((*socketd)->Running());
}

TEST_F(AuthProcessTest, NonLoopbackListenWithoutAuthenticationRefusesToStart) {
  const tls::CommandResult refused =
      tls::RunCommand({RunfilePath("service/socketd"), "--listen=0.0.0.0:0"},
                      "", std::chrono::seconds(20));
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_TRUE(absl::StrContains(
      refused.output, "refusing to listen on 0.0.0.0:0 without authentication"))
      << refused.output;
  EXPECT_TRUE(absl::StrContains(refused.output, "--allow_unauthenticated"));
  EXPECT_FALSE(absl::StrContains(refused.output, "listening on"));
  // TLS alone encrypts but says nothing about who calls.
  const tls::CommandResult ipv6 =
      tls::RunCommand({RunfilePath("service/socketd"), "--listen=[::]:0"}, "",
                      std::chrono::seconds(20));
  EXPECT_EQ(ipv6.exit_code, 1) << ipv6.output;
}

TEST_F(AuthProcessTest, AllowUnauthenticatedStartsOnAllAddresses) {
  // SocketdProcess puts --listen=127.0.0.1:0 first; the later flag wins.
  SocketdProcess socketd({"--listen=0.0.0.0:0", "--allow_unauthenticated"});
  ASSERT_TRUE(socketd.started());
  const Client client = Client::Create(socketd.target());
  absl::StatusOr<v1::ListenResponse> listening = client.Listen("", 0);
  ASSERT_TRUE(listening.ok()) << listening.status();
  EXPECT_TRUE(client.GetInfo(listening->listener()).ok());
}

TEST_F(AuthProcessTest, NonLoopbackListenWithTokensStarts) {
  SocketdProcess socketd(
      {"--listen=0.0.0.0:0",
       "--tokens_file=" +
           File("tokens", absl::StrCat(kAliceToken, " alice\n"))});
  ASSERT_TRUE(socketd.started());
  EXPECT_TRUE(
      WithToken(socketd.target(), kAliceToken).Resolve("localhost").ok());
  EXPECT_TRUE(RefusedAsUnauthenticated(
      Client::Create(socketd.target()).Resolve("localhost").status()));
}

TEST_F(AuthProcessTest, MalformedTokensFileRefusesToStart) {
  const tls::CommandResult refused = tls::RunCommand(
      {RunfilePath("service/socketd"),
       "--tokens_file=" + File("tokens", "# ok\ntoo-short alice\n")},
      "", std::chrono::seconds(20));
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_TRUE(absl::StrContains(refused.output, "line 2")) << refused.output;
  EXPECT_FALSE(absl::StrContains(refused.output, "too-short"))
      << refused.output;
}

TEST_F(AuthProcessTest, SocketctlSendsTokensAndClientCertificates) {
  absl::StatusOr<std::unique_ptr<tls::CertificateAuthority>> ca =
      tls::CertificateAuthority::Create();
  ASSERT_TRUE(ca.ok()) << ca.status();
  absl::StatusOr<tls::IssuedCertificate> server_cert =
      (*ca)->IssueLocalhostServerCert();
  ASSERT_TRUE(server_cert.ok());
  absl::StatusOr<tls::IssuedCertificate> client_cert =
      (*ca)->IssueClientCert("ctl", {"spiffe://test/ctl"});
  ASSERT_TRUE(client_cert.ok());
  SocketdProcess socketd(
      {"--tls_cert=" + server_cert->cert_path,
       "--tls_key=" + server_cert->key_path,
       "--client_ca=" + (*ca)->cert_path(),
       "--tokens_file=" +
           File("tokens", absl::StrCat(kAliceToken, " alice\n"))});
  ASSERT_TRUE(socketd.started());
  const std::string socketctl = RunfilePath("client/socketctl/socketctl");
  const std::vector<std::string> tls_flags = {
      "--server=" + socketd.target(), "--server_ca=" + (*ca)->cert_path(),
      "--server_tls_name=localhost", "--client_cert=" + client_cert->cert_path,
      "--client_key=" + client_cert->key_path};
  auto run = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv = {socketctl};
    argv.insert(argv.end(), tls_flags.begin(), tls_flags.end());
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back("resolve");
    argv.push_back("127.0.0.1");
    return tls::RunCommand(argv);
  };
  // The client certificate authenticates; a token, when given, decides.
  EXPECT_EQ(run({}).exit_code, 0) << run({}).output;
  const std::string token_file =
      File("ctl-token", absl::StrCat(kAliceToken, "\n"));
  EXPECT_EQ(run({"--token_file=" + token_file}).exit_code, 0);
  const tls::CommandResult wrong = run({"--token=wrong-0123456789abcdef"});
  EXPECT_EQ(wrong.exit_code, 6) << wrong.output;
  EXPECT_TRUE(absl::StrContains(wrong.output, "SOCKET_ERROR_UNAUTHENTICATED"))
      << wrong.output;
  // Without a client certificate the handshake fails: socketd unreachable.
  const tls::CommandResult no_cert = tls::RunCommand(
      {socketctl, "--server=" + socketd.target(),
       "--server_ca=" + (*ca)->cert_path(), "--server_tls_name=localhost",
       "--rpc_timeout=5s", "resolve", "127.0.0.1"});
  EXPECT_EQ(no_cert.exit_code, 2) << no_cert.output;
  // A flag file that cannot be read is a usage error.
  EXPECT_EQ(run({"--token_file=/no/such/file"}).exit_code, 1);
}

}  // namespace
}  // namespace socketsvc::e2e
