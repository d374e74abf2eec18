// Listen / Accept against real client sockets: data both ways, timeouts,
// cancellation without losing a connection, close modes seen by the client.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "tests/e2e/e2e_fixture.h"

namespace socketsvc::e2e {
namespace {

// A plain blocking client socket connected to 127.0.0.1:port.
class RawClient {
 public:
  explicit RawClient(uint16_t port, bool ipv6 = false) {
    fd_ = socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
    if (ipv6) {
      sockaddr_in6 addr{};
      addr.sin6_family = AF_INET6;
      addr.sin6_addr = in6addr_loopback;
      addr.sin6_port = htons(port);
      connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    } else {
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      addr.sin_port = htons(port);
      connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    }
  }
  ~RawClient() { close(fd_); }
  bool connected() const { return connected_; }
  void Write(const std::string& data) { ASSERT_EQ(write(fd_, data.data(), data.size()), ssize_t(data.size())); }
  // Reads until `n` bytes, EOF, or 5 s; "<eof>" or "<reset>" marks how it ended.
  std::string Read(size_t n) {
    std::string out;
    while (out.size() < n) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 5000) <= 0) return out + "<timeout>";
      char buf[4096];
      ssize_t got = read(fd_, buf, std::min(sizeof(buf), n - out.size()));
      if (got == 0) return out + "<eof>";
      if (got < 0) return out + (errno == ECONNRESET ? "<reset>" : "<error>");
      out.append(buf, got);
    }
    return out;
  }
  uint16_t local_port() const {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

TEST_F(SocketdTest, ListenAcceptAndTalkBothWays) {
  absl::StatusOr<v1::ListenResponse> listening = client_->Listen("", 0);
  ASSERT_TRUE(listening.ok()) << listening.status();
  EXPECT_EQ(listening->listener().substr(0, 3), "l1.");
  EXPECT_EQ(listening->bound_address(), "127.0.0.1");
  ASSERT_NE(listening->port(), 0u);

  RawClient peer(listening->port());
  ASSERT_TRUE(peer.connected());
  absl::StatusOr<v1::AcceptResponse> accepted =
      client_->Accept(listening->listener(), 5000);
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  ASSERT_FALSE(accepted->timed_out());
  EXPECT_EQ(accepted->handle().substr(0, 3), "s1.");
  EXPECT_EQ(accepted->peer_address(), "127.0.0.1");
  EXPECT_EQ(accepted->peer_port(), peer.local_port());
  EXPECT_EQ(accepted->local_port(), listening->port());

  const std::string handle = accepted->handle();
  ASSERT_TRUE(client_->Send(handle, "welcome\n", 5000).ok());
  EXPECT_EQ(peer.Read(8), "welcome\n");
  peer.Write("thanks");
  EXPECT_EQ(client_->Receive(handle, 100, 6, 5000)->data(), "thanks");

  v1::SocketInfo info = Info(listening->listener());
  EXPECT_EQ(info.state(), v1::SOCKET_STATE_LISTENING);
  EXPECT_EQ(info.local_port(), listening->port());
  EXPECT_EQ(info.connections_accepted(), 1u);

  // Every close mode of an accepted socket, as the client sees it.
  ASSERT_TRUE(client_->Close(handle, v1::CLOSE_MODE_COMPLETE, 300).ok());
  EXPECT_EQ(peer.Read(1), "<eof>");
  RawClient second(listening->port());
  const std::string aborted = client_->Accept(listening->listener(), 5000)->handle();
  ASSERT_TRUE(client_->Close(aborted, v1::CLOSE_MODE_ABORT, 1000).ok());
  EXPECT_EQ(second.Read(1), "<reset>");
}

TEST_F(SocketdTest, AcceptTimesOutWithAnAnswerAndCancelLosesNoConnection) {
  const std::string listener = client_->Listen("127.0.0.1", 0)->listener();
  const uint16_t port = Info(listener).local_port();
  absl::StatusOr<v1::AcceptResponse> none = client_->Accept(listener, 200);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->timed_out());
  EXPECT_TRUE(none->handle().empty());
  EXPECT_TRUE(client_->Accept(listener, 0)->timed_out());

  auto cancel = std::make_shared<CancelToken>();
  CallOptions options;
  options.cancel = cancel;
  std::thread waiter([&] {
    EXPECT_EQ(client_->Accept(listener, -1, options).status().code(),
              absl::StatusCode::kCancelled);
  });
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_EQ(Info(listener).pending_accepts(), 1u);
  cancel->Cancel();
  waiter.join();
  absl::SleepFor(absl::Milliseconds(100));
  RawClient peer(port);  // Arrives after the cancel: it waits in the backlog.
  absl::StatusOr<v1::AcceptResponse> accepted = client_->Accept(listener, 5000);
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  EXPECT_EQ(accepted->peer_port(), peer.local_port());
}

TEST_F(SocketdTest, ConcurrentAcceptsEachGetOneConnection) {
  const std::string listener = client_->Listen("", 0)->listener();
  const uint16_t port = Info(listener).local_port();
  absl::StatusOr<v1::AcceptResponse> a, b;
  std::thread first([&] { a = client_->Accept(listener, 5000); });
  std::thread second([&] { b = client_->Accept(listener, 5000); });
  absl::SleepFor(absl::Milliseconds(100));
  RawClient one(port), two(port);
  first.join();
  second.join();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->handle(), b->handle());
  EXPECT_NE(a->peer_port(), b->peer_port());
}

TEST_F(SocketdTest, ClosingAListenerEndsPendingAcceptsAndFreesThePort) {
  const std::string listener = client_->Listen("", 0)->listener();
  const uint16_t port = Info(listener).local_port();
  absl::StatusOr<v1::AcceptResponse> pending;
  std::thread waiter([&] { pending = client_->Accept(listener, 10000); });
  absl::SleepFor(absl::Milliseconds(100));
  absl::StatusOr<v1::CloseResponse> closed = client_->Close(listener, v1::CLOSE_MODE_ABORT);
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_TRUE(closed->released());
  waiter.join();
  EXPECT_TRUE(HasError(pending, absl::StatusCode::kAborted, v1::SOCKET_ERROR_NOT_CONNECTED));
  EXPECT_TRUE(HasError(client_->GetInfo(listener), absl::StatusCode::kNotFound,
                       v1::SOCKET_ERROR_INVALID_HANDLE));
  EXPECT_TRUE(HasError(client_->Accept(listener, 100), absl::StatusCode::kNotFound,
                       v1::SOCKET_ERROR_INVALID_HANDLE));
  RawClient refused(port);
  EXPECT_FALSE(refused.connected());
  // The port can be listened on again.
  EXPECT_TRUE(client_->Listen("", port).ok());
}

TEST_F(SocketdTest, ListenErrorsAreClear) {
  const uint16_t port = client_->Listen("", 0)->port();
  absl::StatusOr<v1::ListenResponse> taken = client_->Listen("127.0.0.1", port);
  ASSERT_TRUE(HasError(taken, absl::StatusCode::kFailedPrecondition,
                       v1::SOCKET_ERROR_ADDRESS_IN_USE));
  EXPECT_EQ(GetErrorDetail(taken.status())->os_errno(), EADDRINUSE);
  EXPECT_TRUE(HasError(client_->Listen("not-an-ip", 0), absl::StatusCode::kInvalidArgument,
                       v1::SOCKET_ERROR_INVALID_REQUEST));
  EXPECT_TRUE(HasError(client_->Listen("", 70000), absl::StatusCode::kInvalidArgument,
                       v1::SOCKET_ERROR_INVALID_REQUEST));
  // A listener handle is not a socket, and the other way round.
  const std::string listener = client_->Listen("", 0)->listener();
  EXPECT_TRUE(HasError(client_->Send(listener, "x", 100), absl::StatusCode::kNotFound,
                       v1::SOCKET_ERROR_INVALID_HANDLE));
  EXPECT_TRUE(HasError(client_->Accept("s1.0123456789abcdef0123456789abcdef", 100),
                       absl::StatusCode::kNotFound, v1::SOCKET_ERROR_INVALID_HANDLE));
}

TEST_F(SocketdTest, ListenOnIpv6Loopback) {
  absl::StatusOr<v1::ListenResponse> listening = client_->Listen("::1", 0);
  ASSERT_TRUE(listening.ok()) << listening.status();
  EXPECT_EQ(listening->bound_address(), "::1");
  RawClient peer(listening->port(), /*ipv6=*/true);
  ASSERT_TRUE(peer.connected());
  absl::StatusOr<v1::AcceptResponse> accepted = client_->Accept(listening->listener(), 5000);
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  EXPECT_EQ(accepted->peer_address(), "::1");
}

}  // namespace
}  // namespace socketsvc::e2e
