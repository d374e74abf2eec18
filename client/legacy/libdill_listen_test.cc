// The libdill facade's addresses and server side: ipaddr_* conversions and
// lookups (through socketd), tcp_listen/tcp_accept with real clients, and
// the errno of every failure path that needs no peer.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "client/legacy/libdill_test_util.h"
#include "tests/peers/peers.h"
#include "tests/tls/subprocess.h"

namespace socketsvc::libdill {
namespace {

std::string Str(const struct ipaddr& addr) {
  char text[IPADDR_MAXSTRLEN];
  return ipaddr_str(&addr, text);
}

TEST_F(LibdillTest, LiteralAddresses) {
  struct ipaddr addr;
  ASSERT_EQ(ipaddr_remote(&addr, "127.0.0.1", 80, 0, -1), 0);
  EXPECT_EQ(Str(addr), "127.0.0.1");
  EXPECT_EQ(ipaddr_port(&addr), 80);
  EXPECT_EQ(ipaddr_family(&addr), AF_INET);
  EXPECT_EQ(ipaddr_len(&addr), static_cast<int>(sizeof(sockaddr_in)));
  EXPECT_EQ(ipaddr_sockaddr(&addr)->sa_family, AF_INET);
  ASSERT_EQ(ipaddr_remote(&addr, "::1", 443, IPADDR_IPV6, -1), 0);
  EXPECT_EQ(Str(addr), "::1");
  EXPECT_EQ(ipaddr_family(&addr), AF_INET6);
  ipaddr_setport(&addr, 8443);
  EXPECT_EQ(ipaddr_port(&addr), 8443);
  struct ipaddr same;
  ASSERT_EQ(ipaddr_local(&same, "::1", 1, IPADDR_PREF_IPV6), 0);
  EXPECT_EQ(ipaddr_equal(&addr, &same, 1), 1);
  EXPECT_EQ(ipaddr_equal(&addr, &same, 0), 0);
  // A literal of the wrong family for the mode does not resolve.
  EXPECT_ERRNO(ipaddr_remote(&addr, "127.0.0.1", 80, IPADDR_IPV6, -1), EADDRNOTAVAIL);
  EXPECT_ERRNO(ipaddr_remote(&addr, "127.0.0.1", 80, 7, -1), EINVAL);
  EXPECT_ERRNO(ipaddr_remote(&addr, "127.0.0.1", 70000, 0, -1), EINVAL);
}

TEST_F(LibdillTest, NamesAreResolvedBySocketd) {
  struct ipaddr addr;
  ASSERT_EQ(ipaddr_remote(&addr, "localhost", 80, 0, now() + 5000), 0);
  EXPECT_EQ(Str(addr), "127.0.0.1");  // mode 0 = IPADDR_PREF_IPV4
  ASSERT_EQ(ipaddr_remote(&addr, "localhost", 80, IPADDR_PREF_IPV6, now() + 5000), 0);
  EXPECT_EQ(Str(addr), "::1");
  ASSERT_EQ(ipaddr_remote(&addr, "localhost", 80, IPADDR_IPV4, now() + 5000), 0);
  EXPECT_EQ(Str(addr), "127.0.0.1");
  EXPECT_ERRNO(ipaddr_remote(&addr, "no-such-host.invalid", 80, 0, now() + 5000),
               EADDRNOTAVAIL);
}

TEST_F(LibdillTest, LookupThatMayNotWaitTimesOut) {
  struct ipaddr addr;
  // Deadline 0: socketd answers only what needs no lookup thread.
  EXPECT_ERRNO(ipaddr_remote(&addr, "needs-a-lookup.example", 80, 0, 0), ETIMEDOUT);
}

TEST_F(LibdillTest, LocalAddresses) {
  struct ipaddr addr;
  ASSERT_EQ(ipaddr_local(&addr, nullptr, 5555, 0), 0);
  EXPECT_EQ(Str(addr), "0.0.0.0");
  ASSERT_EQ(ipaddr_local(&addr, nullptr, 5555, IPADDR_IPV6), 0);
  EXPECT_EQ(Str(addr), "::");
  ASSERT_EQ(ipaddr_local(&addr, "lo", 5555, IPADDR_IPV4), 0);
  EXPECT_EQ(Str(addr), "127.0.0.1");
  EXPECT_EQ(ipaddr_port(&addr), 5555);
  EXPECT_ERRNO(ipaddr_local(&addr, "no-such-interface0", 5555, 0), ENODEV);
  EXPECT_ERRNO(ipaddr_local(&addr, "::1", 5555, IPADDR_IPV4), ENODEV);
}

TEST_F(LibdillTest, ListenAcceptAndTalk) {
  struct ipaddr local;
  ASSERT_EQ(ipaddr_local(&local, "127.0.0.1", 0, 0), 0);
  int listener = tcp_listen(&local, 10);
  ASSERT_GE(listener, 0) << strerror(errno);
  const int port = ipaddr_port(&local);
  ASSERT_GT(port, 0);  // Written back, as libdill does for port 0.

  int client = ConnectTo(static_cast<uint16_t>(port), now() + 5000);
  ASSERT_GE(client, 0);
  struct ipaddr peer;
  int server = tcp_accept(listener, &peer, now() + 5000);
  ASSERT_GE(server, 0) << strerror(errno);
  EXPECT_EQ(Str(peer), "127.0.0.1");
  EXPECT_GT(ipaddr_port(&peer), 0);

  ASSERT_EQ(Send(client, "ping"), 0);
  EXPECT_EQ(Receive(server, 4, now() + 5000), "ping");
  ASSERT_EQ(Send(server, "pong"), 0);
  EXPECT_EQ(Receive(client, 4, now() + 5000), "pong");
  EXPECT_EQ(tcp_done(client, -1), 0);
  EXPECT_ERRNO(brecv(server, nullptr, 1, now() + 5000), EPIPE);
  EXPECT_EQ(tcp_close(server, now() + 5000), 0);
  EXPECT_EQ(tcp_close(client, now() + 5000), 0);

  // Nobody connects: ETIMEDOUT, at the deadline or at once.
  const int64_t start = now();
  EXPECT_ERRNO(tcp_accept(listener, nullptr, now() + 200), ETIMEDOUT);
  EXPECT_GE(now() - start, 150);
  EXPECT_ERRNO(tcp_accept(listener, nullptr, 0), ETIMEDOUT);

  // The port is taken while the listener lives.
  struct ipaddr again;
  ASSERT_EQ(ipaddr_local(&again, "127.0.0.1", port, 0), 0);
  EXPECT_ERRNO(tcp_listen(&again, 10), EADDRINUSE);

  // Listeners are no bytestreams; tcp_close on one is hclose.
  EXPECT_ERRNO(Send(listener, "x"), ENOTSUP);
  EXPECT_ERRNO(tcp_done(listener, -1), ENOTSUP);
  EXPECT_ERRNO(http_attach(listener), ENOTSUP);
  EXPECT_EQ(tcp_close(listener, -1), 0);
  EXPECT_ERRNO(tcp_accept(listener, nullptr, 0), EBADF);
  EXPECT_ERRNO(ConnectTo(static_cast<uint16_t>(port), now() + 5000), ECONNREFUSED);
}

TEST_F(LibdillTest, ConcurrentAcceptIsEbusy) {
  struct ipaddr local;
  ASSERT_EQ(ipaddr_local(&local, "127.0.0.1", 0, 0), 0);
  int listener = tcp_listen(&local, 10);
  ASSERT_GE(listener, 0);
  std::thread waiting([&] { EXPECT_ERRNO(tcp_accept(listener, nullptr, now() + 1500), ETIMEDOUT); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_ERRNO(tcp_accept(listener, nullptr, now() + 100), EBUSY);
  waiting.join();
  EXPECT_EQ(hclose(listener), 0);
}

TEST_F(LibdillTest, ListenOnAnAddressSocketdsHostDoesNotHave) {
  struct ipaddr local;
  ASSERT_EQ(ipaddr_local(&local, "192.0.2.1", 0, 0), 0);  // TEST-NET-1
  EXPECT_ERRNO(tcp_listen(&local, 10), EADDRNOTAVAIL);
}

TEST_F(LibdillTest, UnreachableSocketdIsEnetdown) {
  Use(Client::Create(absl::StrCat("127.0.0.1:", peers::ClosedPort())));
  struct ipaddr addr;
  ASSERT_EQ(ipaddr_remote(&addr, "127.0.0.1", 80, 0, -1), 0);
  EXPECT_ERRNO(tcp_connect(&addr, now() + 2000), ENETDOWN);
  EXPECT_ERRNO(tcp_listen(&addr, 1), ENETDOWN);
  EXPECT_ERRNO(ipaddr_remote(&addr, "localhost", 80, 0, now() + 2000), EADDRNOTAVAIL);
}

class LibdillLimitTest : public LibdillTest {
 protected:
  ServerOptions Options() override {
    ServerOptions options;
    options.session.max_sessions = 1;
    return options;
  }
};

TEST_F(LibdillLimitTest, SocketdsSessionLimitIsEmfile) {
  peers::EchoPeer echo;
  int first = ConnectTo(echo.port());
  ASSERT_GE(first, 0);
  EXPECT_ERRNO(ConnectTo(echo.port()), EMFILE);
  EXPECT_EQ(hclose(first), 0);
}

class LibdillPolicyTest : public LibdillTest {
 protected:
  ServerOptions Options() override {
    ServerOptions options;
    options.policy_file = dir_.File("policy.txtpb");
    // A policy without rules denies every Connect and Listen.
    EXPECT_TRUE(tls::WriteFile(options.policy_file, "# nothing is allowed\n"));
    return options;
  }
  tls::TempDir dir_{"policy"};
};

TEST_F(LibdillPolicyTest, PolicyRefusalIsEacces) {
  peers::EchoPeer echo;
  EXPECT_ERRNO(ConnectTo(echo.port(), now() + 5000), EACCES);
  struct ipaddr local;
  ASSERT_EQ(ipaddr_local(&local, "127.0.0.1", 0, 0), 0);
  EXPECT_ERRNO(tcp_listen(&local, 1), EACCES);
}

}  // namespace
}  // namespace socketsvc::libdill
