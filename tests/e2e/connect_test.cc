// Connect against real loopback peers: success, refusal, resolution,
// timeouts and request validation.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/e2e/e2e_fixture.h"
#include "tests/peers/peers.h"

namespace socketsvc::e2e {
namespace {

using peers::ClosedPort;
using peers::EchoPeer;

TEST_F(SocketdTest, ConnectReportsBothEndsAndAnOpaqueHandle) {
  EchoPeer peer;
  absl::StatusOr<v1::ConnectResponse> connected =
      client_->Connect("127.0.0.1", peer.port(), 5000);
  ASSERT_TRUE(connected.ok()) << connected.status();
  EXPECT_EQ(connected->handle().substr(0, 3), "s1.");
  EXPECT_EQ(connected->handle().size(), 35u);
  EXPECT_EQ(connected->remote_address(), "127.0.0.1");
  EXPECT_EQ(connected->remote_port(), peer.port());
  EXPECT_EQ(connected->local_address(), "127.0.0.1");
  EXPECT_NE(connected->local_port(), 0u);
  EXPECT_TRUE(peer.WaitForConnections(1));

  v1::SocketInfo info = Info(connected->handle());
  EXPECT_EQ(info.state(), v1::SOCKET_STATE_OPEN);
  EXPECT_EQ(info.remote_port(), peer.port());
  EXPECT_EQ(info.local_port(), connected->local_port());
}

TEST_F(SocketdTest, ConnectToIpv6LoopbackAndByName) {
  EchoPeer peer;  // Listens on 127.0.0.1 only.
  // "localhost" resolves to ::1 and 127.0.0.1: every address is tried.
  absl::StatusOr<v1::ConnectResponse> by_name =
      client_->Connect("localhost", peer.port(), 5000);
  ASSERT_TRUE(by_name.ok()) << by_name.status();
  EXPECT_EQ(by_name->remote_address(), "127.0.0.1");
}

TEST_F(SocketdTest, RefusedConnectIsUnavailableWithErrno) {
  absl::StatusOr<v1::ConnectResponse> refused =
      client_->Connect("127.0.0.1", ClosedPort(), 5000);
  ASSERT_TRUE(HasError(refused, absl::StatusCode::kUnavailable,
                       v1::SOCKET_ERROR_CONNECTION_REFUSED));
  EXPECT_EQ(GetErrorDetail(refused.status())->os_errno(), ECONNREFUSED);
  EXPECT_EQ(GetErrorDetail(refused.status())->os_errno_name(), "ECONNREFUSED");
}

TEST_F(SocketdTest, ServiceNamesResolveThroughEtcServices) {
  // Nothing listens on port 80 here: a refusal proves "http" became a port.
  absl::StatusOr<v1::ConnectResponse> http =
      client_->ConnectService("127.0.0.1", "http", 5000);
  if (http.ok()) GTEST_SKIP() << "something listens on port 80 here";
  EXPECT_TRUE(HasError(http, absl::StatusCode::kUnavailable,
                       v1::SOCKET_ERROR_CONNECTION_REFUSED));

  EXPECT_TRUE(HasError(client_->ConnectService("127.0.0.1", "no-such-service", 5000),
                       absl::StatusCode::kInvalidArgument,
                       v1::SOCKET_ERROR_INVALID_REQUEST));
  // Numbers belong in `port` (getaddrinfo would wrap 99999 to another port).
  EXPECT_TRUE(HasError(client_->ConnectService("127.0.0.1", "99999", 5000),
                       absl::StatusCode::kInvalidArgument,
                       v1::SOCKET_ERROR_INVALID_REQUEST));
}

TEST_F(SocketdTest, UnresolvableNameIsHostNotFound) {
  absl::StatusOr<v1::ConnectResponse> missing =
      client_->Connect("no-such-host.invalid", 80, 10000);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(GetSocketError(missing.status()), v1::SOCKET_ERROR_HOST_NOT_FOUND)
      << missing.status();
  // NXDOMAIN is NOT_FOUND; with no resolver reachable it is a transient
  // UNAVAILABLE. Either way the caller learns the name did not resolve.
  EXPECT_TRUE(missing.status().code() == absl::StatusCode::kNotFound ||
              missing.status().code() == absl::StatusCode::kUnavailable);
}

TEST_F(SocketdTest, ConnectTimesOutWhenThePeerNeverAnswers) {
  // A listener with a full accept queue drops further SYNs: the connect hangs.
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(listener, 0), 0);
  socklen_t len = sizeof(addr);
  getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  const uint16_t port = ntohs(addr.sin_port);
  std::vector<std::string> fillers;
  absl::StatusOr<v1::ConnectResponse> last;
  const absl::Time start = absl::Now();
  for (int i = 0; i < 8; ++i) {
    last = client_->Connect("127.0.0.1", port, 300);
    if (!last.ok()) break;
    fillers.push_back(last->handle());
  }
  close(listener);
  ASSERT_TRUE(HasError(last, absl::StatusCode::kDeadlineExceeded,
                       v1::SOCKET_ERROR_TIMED_OUT));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST_F(SocketdTest, ConnectValidatesItsRequest) {
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  const auto kBad = v1::SOCKET_ERROR_INVALID_REQUEST;
  EXPECT_TRUE(HasError(client_->Connect("", 80, 1000), kInvalid, kBad));
  EXPECT_TRUE(HasError(client_->Connect("127.0.0.1", 0, 1000), kInvalid, kBad));
  EXPECT_TRUE(HasError(client_->Connect("127.0.0.1", 70000, 1000), kInvalid, kBad));
  EXPECT_TRUE(HasError(client_->Connect("127.0.0.1", 80, -7), kInvalid, kBad));
  EXPECT_TRUE(HasError(client_->Connect("127.0.0.1", 80, 0), kInvalid, kBad));
  EXPECT_TRUE(HasError(client_->Connect(std::string(300, 'a'), 80, 1000),
                       kInvalid, kBad));
  // No target at all.
  v1::ConnectRequest request;
  request.set_host("127.0.0.1");
  v1::ConnectResponse response;
  grpc::ClientContext context;
  grpc::Status status = client_->stub()->Connect(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(server_->session_count(), 0u);
}

}  // namespace
}  // namespace socketsvc::e2e
