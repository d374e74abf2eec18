// Every error number of the Synergy routines provoked for real: wrong
// arguments, files, ports, timeouts, clients that leave, deleted servers,
// socketd's limits and policy, socketd out of reach.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "client/legacy/synergy_test_util.h"
#include "tests/peers/peers.h"
#include "tests/tls/certificate_authority.h"

namespace socketsvc::synergy {
namespace {

// Expects `call` to return `number` with `error` starting with its text.
#define EXPECT_HTTP_ERROR(call, number, error)                                \
  do {                                                                        \
    EXPECT_EQ((call), (number)) << #call << ": " << (error);                  \
    EXPECT_TRUE(absl::StartsWith((error), HTTP_ERROR_TEXT(number))) << (error); \
  } while (0)

// Sends one GET on a plain socket and leaves it open; -1 on failure.
int RawRequest(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return -1;
  const std::string request = "GET /raw HTTP/1.1\r\nHost: x\r\n\r\n";
  if (write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    return -1;
  }
  return fd;
}

struct Received {
  std::string uri, method, handle, error;
  int length = 0;
};

int Receive(D_HANDLE id, Received& r, int timeout = 10, const std::string& log = "") {
  return HTTP_SERVER_RECEIVE(id, r.uri, r.method, timeout, r.handle, r.length, r.error,
                             nullptr, log);
}

TEST_F(SynergyTest, InvalidInstance) {
  Received r;
  EXPECT_HTTP_ERROR(Receive(4242, r), HTTP_ERR_INVALID_INSTANCE, r.error);
  std::string error;
  EXPECT_HTTP_ERROR(HTTP_SERVER_SEND(4242, 200, "OK", "", 0, error),
                    HTTP_ERR_INVALID_INSTANCE, error);
  EXPECT_HTTP_ERROR(HTTP_SERVER_DELETE(4242, error), HTTP_ERR_INVALID_INSTANCE, error);
  D_HANDLE id = Create();
  EXPECT_EQ(HTTP_SERVER_DELETE(id, error), HTTP_OK);
  EXPECT_HTTP_ERROR(HTTP_SERVER_DELETE(id, error), HTTP_ERR_INVALID_INSTANCE, error);
  EXPECT_HTTP_ERROR(Receive(id, r), HTTP_ERR_INVALID_INSTANCE, r.error);
  EXPECT_EQ(BoundPort(id), -1);
}

TEST_F(SynergyTest, InvalidArguments) {
  D_HANDLE id = 99;
  std::string error;
  EXPECT_HTTP_ERROR(HTTP_SERVER_CREATE(id, 70000, error), HTTP_ERR_INVALID_ARGUMENT, error);
  EXPECT_EQ(id, 0);
  EXPECT_HTTP_ERROR(HTTP_SERVER_CREATE(id, -1, error), HTTP_ERR_INVALID_ARGUMENT, error);
  id = Create();
  Received r;
  EXPECT_HTTP_ERROR(Receive(id, r, -1), HTTP_ERR_INVALID_ARGUMENT, r.error);

  int fd = RawRequest(BoundPort(id));
  ASSERT_GE(fd, 0);
  ASSERT_EQ(Receive(id, r), HTTP_OK) << r.error;
  EXPECT_HTTP_ERROR(HTTP_SERVER_SEND(id, 200, "OK", "abc", 4, error),
                    HTTP_ERR_INVALID_ARGUMENT, error);
  EXPECT_HTTP_ERROR(HTTP_SERVER_SEND(id, 200, "OK", "abc", -1, error),
                    HTTP_ERR_INVALID_ARGUMENT, error);
  EXPECT_HTTP_ERROR(HTTP_SERVER_SEND(id, 200, "OK", "", 0, error, {}, "", "2.0"),
                    HTTP_ERR_INVALID_ARGUMENT, error);
  EXPECT_HTTP_ERROR(HTTP_SERVER_SEND(id, 200, "OK", "", 0, error, {":no-name"}),
                    HTTP_ERR_INVALID_ARGUMENT, error);
  // socketd refuses these answers; the request keeps waiting for a valid one.
  EXPECT_HTTP_ERROR(HTTP_SERVER_SEND(id, 100, "Continue", "", 0, error),
                    HTTP_ERR_INVALID_ARGUMENT, error);
  EXPECT_HTTP_ERROR(HTTP_SERVER_SEND(id, 200, "OK", "", 0, error, {"Bad Name: x"}),
                    HTTP_ERR_INVALID_ARGUMENT, error);
  EXPECT_EQ(HTTP_SERVER_SEND(id, 200, "OK", "fine", 4, error), HTTP_OK) << error;
  char buf[512];
  const ssize_t n = read(fd, buf, sizeof(buf));
  ASSERT_GT(n, 0);
  EXPECT_TRUE(absl::StartsWith(std::string(buf, n), "HTTP/1.1 200 OK\r\n"));
  close(fd);
  EXPECT_EQ(HTTP_SERVER_DELETE(id), HTTP_OK);
}

TEST_F(SynergyTest, InvalidProtocols) {
  D_HANDLE id;
  std::string error;
  for (int protocols : {SSLVER_TLS1, SSLVER_SSL3 + SSLVER_TLS1_2, SSLVER_SSL2 + SSLVER_ALL,
                        SSLVER_TLS1_1, 0x40 + SSLVER_TLS1_2}) {
    EXPECT_HTTP_ERROR(HTTP_SERVER_CREATE(id, 0, error, protocols), HTTP_ERR_INVALID_PROTOCOL,
                      error);
    EXPECT_EQ(error, "Invalid SSL protocol specified");
  }
}

TEST_F(SynergyTest, CertificateAndCaFiles) {
  tls::TempDir dir("synergy");
  auto ca = tls::CertificateAuthority::Create();
  ASSERT_TRUE(ca.ok());
  auto cert = (*ca)->IssueLocalhostServerCert();
  ASSERT_TRUE(cert.ok());
  const std::string combined = dir.File("server.pem");
  ASSERT_TRUE(tls::WriteFile(combined, cert->cert_pem + cert->key_pem));
  const std::string garbage = dir.File("garbage.pem");
  ASSERT_TRUE(tls::WriteFile(garbage, "not a certificate\n"));
  D_HANDLE id;
  std::string error;
  EXPECT_HTTP_ERROR(HTTP_SERVER_CREATE(id, 0, error, 0, "", dir.File("missing.pem")),
                    HTTP_ERR_CERT_FILE, error);
  // The certificate alone is not enough: the key must be in the file too.
  EXPECT_HTTP_ERROR(HTTP_SERVER_CREATE(id, 0, error, 0, "", cert->cert_path),
                    HTTP_ERR_CERT_FILE, error);
  EXPECT_HTTP_ERROR(HTTP_SERVER_CREATE(id, 0, error, 0, "", combined, dir.File("no-ca.pem")),
                    HTTP_ERR_CA_FILE, error);
  EXPECT_HTTP_ERROR(HTTP_SERVER_CREATE(id, 0, error, 0, "", combined, garbage),
                    HTTP_ERR_CA_FILE, error);
  EXPECT_HTTP_ERROR(HTTP_SERVER_CREATE(id, 0, error, 0, "", "", (*ca)->cert_path()),
                    HTTP_ERR_INVALID_ARGUMENT, error);
  // A key that does not belong to the certificate: socketd refuses it.
  auto other = (*ca)->IssueLocalhostServerCert();
  ASSERT_TRUE(other.ok());
  const std::string mismatched = dir.File("mismatched.pem");
  ASSERT_TRUE(tls::WriteFile(mismatched, cert->cert_pem + other->key_pem));
  EXPECT_HTTP_ERROR(HTTP_SERVER_CREATE(id, 0, error, 0, "", mismatched),
                    HTTP_ERR_INVALID_ARGUMENT, error);
}

TEST_F(SynergyTest, PortInUse) {
  D_HANDLE first = Create();
  D_HANDLE second;
  std::string error;
  EXPECT_HTTP_ERROR(HTTP_SERVER_CREATE(second, BoundPort(first), error),
                    HTTP_ERR_PORT_IN_USE, error);
  EXPECT_EQ(HTTP_SERVER_DELETE(first), HTTP_OK);
}

TEST_F(SynergyTest, TimeoutNoRequestAndLogFile) {
  D_HANDLE id = Create();
  Received r;
  const absl::Time start = absl::Now();
  EXPECT_HTTP_ERROR(Receive(id, r, 1), HTTP_ERR_TIMEOUT, r.error);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(900));
  std::string error;
  EXPECT_HTTP_ERROR(HTTP_SERVER_SEND(id, 200, "OK", "", 0, error), HTTP_ERR_NO_REQUEST,
                    error);

  int fd = RawRequest(BoundPort(id));
  ASSERT_GE(fd, 0);
  // A log that cannot be opened fails the call before it takes the request.
  EXPECT_HTTP_ERROR(Receive(id, r, 10, "/nonexistent/dir/http.log"), HTTP_ERR_LOG_FILE,
                    r.error);
  ASSERT_EQ(Receive(id, r), HTTP_OK) << r.error;
  EXPECT_EQ(r.uri, "/raw");
  EXPECT_HTTP_ERROR(HTTP_SERVER_SEND(id, 200, "OK", "", 0, error, {}, "/nonexistent/x.log"),
                    HTTP_ERR_LOG_FILE, error);
  EXPECT_EQ(HTTP_SERVER_SEND(id, 204, "", "", 0, error), HTTP_OK) << error;
  EXPECT_HTTP_ERROR(HTTP_SERVER_SEND(id, 200, "OK", "", 0, error), HTTP_ERR_NO_REQUEST,
                    error);
  close(fd);
  EXPECT_EQ(HTTP_SERVER_DELETE(id), HTTP_OK);
}

TEST_F(SynergyTest, ClientThatLeftBeforeItsAnswer) {
  D_HANDLE id = Create();
  int fd = RawRequest(BoundPort(id));
  ASSERT_GE(fd, 0);
  Received r;
  ASSERT_EQ(Receive(id, r), HTTP_OK) << r.error;
  linger reset{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
  close(fd);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::string error;
  EXPECT_HTTP_ERROR(HTTP_SERVER_SEND(id, 200, "OK", "late", 4, error),
                    HTTP_ERR_CONNECTION_CLOSED, error);
  EXPECT_HTTP_ERROR(HTTP_SERVER_SEND(id, 200, "OK", "", 0, error), HTTP_ERR_NO_REQUEST,
                    error);
  EXPECT_EQ(HTTP_SERVER_DELETE(id), HTTP_OK);
}

TEST_F(SynergyTest, DeleteEndsAWaitingReceive) {
  D_HANDLE id = Create();
  Received r;
  int status = -1;
  std::thread waiting([&] { status = Receive(id, r, 0); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(HTTP_SERVER_DELETE(id), HTTP_OK);
  waiting.join();
  EXPECT_EQ(status, HTTP_ERR_SERVER_DELETED) << r.error;
  EXPECT_TRUE(absl::StartsWith(r.error, HTTP_ERROR_TEXT(HTTP_ERR_SERVER_DELETED)));
}

TEST_F(SynergyTest, UnreachableSocketd) {
  Use(Client::Create(absl::StrCat("127.0.0.1:", peers::ClosedPort())), LoopbackOptions());
  D_HANDLE id;
  std::string error;
  EXPECT_HTTP_ERROR(HTTP_SERVER_CREATE(id, 0, error), HTTP_ERR_SERVICE_UNAVAILABLE, error);
}

class SynergyLimitsTest : public SynergyTest {
 protected:
  ServerOptions Options() override {
    ServerOptions options;
    options.http.max_servers = 1;
    options.http.response_timeout = absl::Milliseconds(300);
    return options;
  }
};

TEST_F(SynergyLimitsTest, ResourceLimitAndExpiredRequest) {
  D_HANDLE id = Create();
  D_HANDLE second;
  std::string error;
  EXPECT_HTTP_ERROR(HTTP_SERVER_CREATE(second, 0, error), HTTP_ERR_RESOURCE_LIMIT, error);
  int fd = RawRequest(BoundPort(id));
  ASSERT_GE(fd, 0);
  Received r;
  ASSERT_EQ(Receive(id, r), HTTP_OK) << r.error;
  std::this_thread::sleep_for(std::chrono::milliseconds(800));  // socketd sent 504
  EXPECT_HTTP_ERROR(HTTP_SERVER_SEND(id, 200, "OK", "", 0, error),
                    HTTP_ERR_REQUEST_EXPIRED, error);
  close(fd);
  EXPECT_EQ(HTTP_SERVER_DELETE(id), HTTP_OK);
}

class SynergyPolicyTest : public SynergyTest {
 protected:
  ServerOptions Options() override {
    ServerOptions options;
    options.policy_file = policy_.File("policy.txtpb");
    // A policy without rules denies everything.
    EXPECT_TRUE(tls::WriteFile(options.policy_file, "# nothing is allowed\n"));
    return options;
  }
  tls::TempDir policy_{"policy"};
};

TEST_F(SynergyPolicyTest, ListenPolicyDenies) {
  D_HANDLE id;
  std::string error;
  EXPECT_HTTP_ERROR(HTTP_SERVER_CREATE(id, 0, error), HTTP_ERR_PERMISSION_DENIED, error);
}

}  // namespace
}  // namespace socketsvc::synergy
