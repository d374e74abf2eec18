// The socketd binary as a process: pending calls hold no thread, SIGTERM
// drains, --help lists the flags.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <deque>

#include "client/client.h"
#include "common/grpc_status.h"
#include "common/socket_error.h"
#include "gtest/gtest.h"
#include "tests/e2e/socketd_process.h"

namespace socketsvc::e2e {
namespace {

// A loopback listener that never accepts: the kernel completes up to
// `backlog` connections on its own, so socketd can hold many sockets without
// a thread per connection in the test.
class SilentListener {
 public:
  explicit SilentListener(int backlog) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    listen(fd_, backlog);
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentListener() { close(fd_); }
  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

// One asynchronous Receive kept pending on the client's callback API.
struct PendingReceive {
  grpc::ClientContext context;
  v1::ReceiveRequest request;
  v1::ReceiveResponse response;
};

TEST(SocketdProcessTest, PendingReceivesHoldNoThreadsAndSigtermDrains) {
  SocketdProcess socketd({"--shutdown_grace_ms=300"});
  ASSERT_TRUE(socketd.started());
  Client client = Client::Create(socketd.target());
  constexpr int kSessions = 1000;
  SilentListener listener(kSessions + 16);

  std::vector<std::string> handles;
  for (int i = 0; i < kSessions; ++i) {
    absl::StatusOr<v1::ConnectResponse> c =
        client.Connect("127.0.0.1", listener.port(), 5000);
    ASSERT_TRUE(c.ok()) << i << ": " << c.status();
    handles.push_back(c->handle());
  }
  const int threads_before = socketd.ThreadCount();

  std::deque<PendingReceive> pending(kSessions);
  std::atomic<int> finished{0};
  std::atomic<int> unavailable_or_cancelled{0};
  for (int i = 0; i < kSessions; ++i) {
    PendingReceive& p = pending[i];
    p.request.set_handle(handles[i]);
    p.request.set_timeout_ms(-1);
    client.stub()->async()->Receive(
        &p.context, &p.request, &p.response, [&](grpc::Status status) {
          if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
              status.error_code() == grpc::StatusCode::CANCELLED) {
            ++unavailable_or_cancelled;
          }
          ++finished;
        });
  }
  // Every Receive is pending in socketd: GetInfo shows it on a sample.
  const absl::Time limit = absl::Now() + absl::Seconds(20);
  while (absl::Now() < limit &&
         client.GetInfo(handles.back())->pending_receives() == 0) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_EQ(client.GetInfo(handles.front())->pending_receives(), 1u);
  EXPECT_EQ(finished.load(), 0);
  const int threads_during = socketd.ThreadCount();
  std::cerr << "socketd threads: " << threads_before << " with " << kSessions
            << " idle sessions, " << threads_during << " with " << kSessions
            << " pending Receives; fds: " << socketd.FdCount() << "\n";
  // A thread per pending call would add ~1000; allow gRPC's pool some slack.
  EXPECT_LE(threads_during, threads_before + 4);

  // SIGTERM: pending calls end (cancelled by the shutdown), the process exits 0.
  const int status = socketd.SignalAndWait(SIGTERM, 20000);
  ASSERT_NE(status, -1) << "socketd did not exit after SIGTERM";
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  const absl::Time end = absl::Now() + absl::Seconds(10);
  while (finished.load() < kSessions && absl::Now() < end) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(finished.load(), kSessions);
  EXPECT_EQ(unavailable_or_cancelled.load(), kSessions);
}

TEST(SocketdProcessTest, PendingTlsHandshakesHoldNoThreadsAndTimeOut) {
  SocketdProcess socketd;
  ASSERT_TRUE(socketd.started());
  Client client = Client::Create(socketd.target());
  // The kernel accepts the TCP connections; nobody ever answers the
  // ClientHello, so every handshake waits until its timeout.
  constexpr int kHandshakes = 300;
  SilentListener listener(kHandshakes + 16);
  const int threads_before = socketd.ThreadCount();

  struct PendingConnect {
    grpc::ClientContext context;
    v1::ConnectRequest request;
    v1::ConnectResponse response;
  };
  std::deque<PendingConnect> pending(kHandshakes);
  std::atomic<int> finished{0};
  std::atomic<int> timed_out{0};
  const absl::Time start = absl::Now();
  for (PendingConnect& p : pending) {
    p.request.set_host("127.0.0.1");
    p.request.set_port(listener.port());
    p.request.set_timeout_ms(3000);
    p.request.mutable_tls()->set_enabled(true);
    client.stub()->async()->Connect(
        &p.context, &p.request, &p.response, [&](grpc::Status status) {
          if (GetSocketError(FromGrpcStatus(status)) == v1::SOCKET_ERROR_TIMED_OUT) {
            ++timed_out;
          }
          ++finished;
        });
  }
  absl::SleepFor(absl::Milliseconds(1500));
  const int threads_during = socketd.ThreadCount();
  EXPECT_EQ(finished.load(), 0);
  std::cerr << "socketd threads: " << threads_before << " before, "
            << threads_during << " with " << kHandshakes
            << " pending TLS handshakes\n";
  EXPECT_LE(threads_during, threads_before + 4);
  const absl::Time limit = absl::Now() + absl::Seconds(15);
  while (finished.load() < kHandshakes && absl::Now() < limit) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(timed_out.load(), kHandshakes);
  // Each ended at its own 3 s timeout, not much later.
  EXPECT_LT(absl::Now() - start, absl::Seconds(8));
}

TEST(SocketdProcessTest, HelpListsEveryFlag) {
  const std::string command =
      RunfilePath("service/socketd") + " --help 2>&1";
  FILE* out = popen(command.c_str(), "r");
  ASSERT_NE(out, nullptr);
  std::string text;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof(buf), out)) text.append(buf, n);
  pclose(out);
  for (const char* flag :
       {"--listen", "--io_threads", "--replica_id", "--max_wait_ms",
        "--close_drain_timeout_ms", "--default_receive_bytes",
        "--max_receive_bytes", "--max_send_bytes", "--max_queued_calls",
        "--max_sessions", "--resolver_threads", "--tls_ca_file", "--tls_ca_dir",
        "--shutdown_grace_ms", "--drain_timeout_ms", "--idle_timeout_ms",
        "--max_sessions_per_principal", "--max_listeners", "--max_http_servers",
        "--max_queued_accepts", "--audit_log"}) {
    EXPECT_NE(text.find(flag), std::string::npos) << flag << " in\n" << text;
  }
}

TEST(SocketdProcessTest, RefusesABadListenAddress) {
  SocketdProcess socketd({"--listen=not-an-address"});
  EXPECT_FALSE(socketd.started());
}

TEST(SocketdProcessTest, RefusesANegativeIdleTimeout) {
  SocketdProcess socketd({"--idle_timeout_ms=-1"});
  EXPECT_FALSE(socketd.started());
}

TEST(SocketdProcessTest, RefusesAnUnreadableTrustStore) {
  SocketdProcess socketd({"--tls_ca_file=/nonexistent/ca.pem"});
  EXPECT_FALSE(socketd.started());
}

}  // namespace
}  // namespace socketsvc::e2e
