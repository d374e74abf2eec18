// Poll against real peers, socketd in-process: readiness of sockets
// (readable, writable, FIN and RST as HUP), listeners and HTTP servers; that
// a Poll takes no byte, no connection and no request; timeouts; handles
// that name nothing; request errors; cancellation releasing everything; and
// readiness the kernel cannot show (TLS plaintext held by OpenSSL, bytes a
// cancelled Receive left, a TLS session ticket that is not data).
#include <dirent.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <memory>

#include "absl/strings/match.h"
#include "tests/e2e/auth_test_util.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/e2e/http_test_util.h"
#include "tests/e2e/poll_test_util.h"
#include "tests/e2e/socket_probe.h"
#include "tests/peers/peers.h"
#include "tests/tls/certificate_authority.h"
#include "tests/tls/subprocess.h"
#include "tests/tls/tls_peers.h"

namespace socketsvc::e2e {
namespace {

using namespace std::chrono_literals;
using peers::Guarded;
using peers::PeerConnection;
using peers::ScriptedPeer;

constexpr uint32_t kReadable = v1::POLL_EVENT_READABLE;
constexpr uint32_t kWritable = v1::POLL_EVENT_WRITABLE;
constexpr uint32_t kAcceptable = v1::POLL_EVENT_ACCEPTABLE;
constexpr uint32_t kHup = v1::POLL_EVENT_HUP;
constexpr uint32_t kInvalid = v1::POLL_EVENT_INVALID;

// Sends `text` when the test says so, then reads until the client ends.
class TriggeredPeer {
 public:
  explicit TriggeredPeer(std::string text)
      : signal_(std::make_shared<Guarded<int>>(kWait)),
        peer_([signal = signal_, text = std::move(text)](PeerConnection& conn) {
          signal->WaitFor(peers::kDefaultWait * 3, [](int v) { return v != kWait; });
          if (signal->Get() != kGo) return;
          conn.SendAll(text);
          while (true) {
            PeerConnection::ReadResult r = conn.Read();
            if (r.stopped || r.ending != peers::Ending::kOpen) return;
          }
        }) {}
  // Lets a handler that never got Go() end with the peer.
  ~TriggeredPeer() {
    signal_->Update([](int& v) { v = v == kGo ? kGo : kStop; });
  }
  uint16_t port() const { return peer_.port(); }
  void Go() {
    signal_->Update([](int& v) { v = kGo; });
  }

 private:
  static constexpr int kWait = 0;
  static constexpr int kGo = 1;
  static constexpr int kStop = 2;
  std::shared_ptr<Guarded<int>> signal_;
  ScriptedPeer peer_;
};

// Descriptors of this process that are epoll instances.
int EpollInstances() {
  int count = 0;
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  while (dirent* entry = readdir(dir)) {
    char target[256];
    const std::string path = std::string("/proc/self/fd/") + entry->d_name;
    const ssize_t n = readlink(path.c_str(), target, sizeof(target) - 1);
    if (n <= 0) continue;
    target[n] = '\0';
    if (absl::StrContains(target, "eventpoll")) ++count;
  }
  closedir(dir);
  return count;
}

class PollTest : public SocketdTest {
 protected:
  using PollFuture = std::future<absl::StatusOr<v1::PollResponse>>;

  PollFuture PollAsync(std::vector<v1::PollItem> items, int64_t timeout_ms,
                       CallOptions options = {}) {
    return std::async(std::launch::async,
                      [client = *client_, items = std::move(items), timeout_ms, options] {
                        return client.Poll(items, timeout_ms, options);
                      });
  }

  absl::StatusOr<v1::PollResponse> PollNow(std::vector<v1::PollItem> items) {
    return client_->Poll(items, 0);
  }
};

TEST_F(PollTest, ReadableWhenThePeerSendsAndThePollTakesNoByte) {
  TriggeredPeer peer("hello");
  const std::string handle = ConnectTo(peer.port());
  absl::StatusOr<v1::PollResponse> idle = PollNow({PollFor(handle, kReadable)});
  ASSERT_TRUE(idle.ok()) << idle.status();
  EXPECT_TRUE(idle->timed_out());
  EXPECT_EQ(Ready(*idle), "");

  PollFuture pending = PollAsync({PollFor(handle, kReadable)}, 10000);
  EXPECT_EQ(pending.wait_for(300ms), std::future_status::timeout);
  const absl::Time sent = absl::Now();
  peer.Go();
  absl::StatusOr<v1::PollResponse> woke = pending.get();
  ASSERT_TRUE(woke.ok()) << woke.status();
  EXPECT_LT(absl::Now() - sent, absl::Seconds(5));
  EXPECT_FALSE(woke->timed_out());
  EXPECT_EQ(Ready(*woke), ReadyEntry(handle, kReadable));
  // Level-triggered: still readable, since nothing was read.
  EXPECT_EQ(Ready(*PollNow({PollFor(handle, kReadable | kWritable)})),
            ReadyEntry(handle, kReadable | kWritable));
  absl::StatusOr<v1::ReceiveResponse> got = client_->Receive(handle, 100, 5, 5000);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->data(), "hello");
  EXPECT_TRUE(PollNow({PollFor(handle, kReadable)})->timed_out());
}

TEST_F(PollTest, WritableAtOnce) {
  peers::EchoPeer peer;
  const std::string handle = ConnectTo(peer.port());
  const absl::Time start = absl::Now();
  absl::StatusOr<v1::PollResponse> polled =
      client_->Poll({PollFor(handle, kReadable | kWritable)}, 10000);
  ASSERT_TRUE(polled.ok()) << polled.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  EXPECT_FALSE(polled->timed_out());
  EXPECT_EQ(Ready(*polled), ReadyEntry(handle, kWritable));
}

TEST_F(PollTest, PeerFinIsHupEvenWhenNotAskedFor) {
  ScriptedPeer peer([](PeerConnection& conn) { conn.Close(); });
  const std::string handle = ConnectTo(peer.port());
  ASSERT_TRUE(peer.WaitForFinished(1));
  absl::StatusOr<v1::PollResponse> polled =
      client_->Poll({PollFor(handle, kReadable)}, 10000);
  ASSERT_TRUE(polled.ok()) << polled.status();
  EXPECT_EQ(Ready(*polled), ReadyEntry(handle, kReadable | kHup));
  // Asked for nothing: HUP alone.
  EXPECT_EQ(Ready(*PollNow({PollFor(handle, 0)})), ReadyEntry(handle, kHup));
  absl::StatusOr<v1::ReceiveResponse> got = client_->Receive(handle, 100, 1, 5000);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(got->eof());
}

TEST_F(PollTest, PeerResetIsHupAndTheReceiveStillSeesTheReset) {
  // Resets once it got a byte: the connect itself always succeeds.
  peers::ResetPeer::Options options;
  options.read_before_reset = 1;
  peers::ResetPeer peer(options);
  const std::string handle = ConnectTo(peer.port());
  // Pending before the reset: woken by it.
  PollFuture pending = PollAsync({PollFor(handle, kReadable)}, 10000);
  EXPECT_EQ(pending.wait_for(300ms), std::future_status::timeout);
  ASSERT_TRUE(client_->Send(handle, "x", 5000).ok());
  ASSERT_TRUE(peer.WaitForResets(1));
  absl::StatusOr<v1::PollResponse> polled = pending.get();
  ASSERT_TRUE(polled.ok()) << polled.status();
  EXPECT_EQ(Ready(*polled), ReadyEntry(handle, kReadable | kHup));
  // The Poll did not swallow the error: Receive reports the reset.
  EXPECT_TRUE(HasError(client_->Receive(handle, 100, 1, 5000),
                       absl::StatusCode::kUnavailable,
                       v1::SOCKET_ERROR_CONNECTION_RESET));
  EXPECT_EQ(Ready(*PollNow({PollFor(handle, kWritable)})),
            ReadyEntry(handle, kWritable | kHup));
}

TEST_F(PollTest, ListenerAcceptableAndAcceptStillGetsTheConnection) {
  absl::StatusOr<v1::ListenResponse> listening = client_->Listen("127.0.0.1", 0);
  ASSERT_TRUE(listening.ok()) << listening.status();
  const std::string listener = listening->listener();
  EXPECT_TRUE(PollNow({PollFor(listener, kAcceptable)})->timed_out());

  PollFuture pending = PollAsync({PollFor(listener, kAcceptable)}, 10000);
  EXPECT_EQ(pending.wait_for(300ms), std::future_status::timeout);
  const int fd = ConnectLoopback(static_cast<uint16_t>(listening->port()));
  ASSERT_GE(fd, 0);
  absl::StatusOr<v1::PollResponse> polled = pending.get();
  ASSERT_TRUE(polled.ok()) << polled.status();
  EXPECT_EQ(Ready(*polled), ReadyEntry(listener, kAcceptable));
  // Level-triggered, and nothing was accepted: the connection is still there.
  EXPECT_EQ(Ready(*PollNow({PollFor(listener, kAcceptable)})),
            ReadyEntry(listener, kAcceptable));
  absl::StatusOr<v1::AcceptResponse> accepted = client_->Accept(listener, 0);
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  EXPECT_FALSE(accepted->timed_out());
  sockaddr_in local{};
  socklen_t len = sizeof(local);
  getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len);
  EXPECT_EQ(accepted->peer_port(), ntohs(local.sin_port));
  EXPECT_TRUE(PollNow({PollFor(listener, kAcceptable)})->timed_out());
  // The accepted socket works.
  ASSERT_EQ(write(fd, "abc", 3), 3);
  EXPECT_EQ(client_->Receive(accepted->handle(), 10, 3, 5000)->data(), "abc");
  close(fd);
}

TEST_F(PollTest, HttpServerReadableWhileARequestIsQueued) {
  absl::StatusOr<v1::ServerCreateResponse> server =
      client_->ServerCreate(v1::ServerCreateRequest());
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string id = server->server_id();
  EXPECT_TRUE(PollNow({PollFor(id, kReadable)})->timed_out());

  // A raw client.
  PollFuture pending = PollAsync({PollFor(id, kReadable)}, 10000);
  EXPECT_EQ(pending.wait_for(300ms), std::future_status::timeout);
  RawHttpClient raw(static_cast<uint16_t>(server->port()));
  ASSERT_TRUE(raw.Write("GET /raw HTTP/1.1\r\nHost: x\r\n\r\n"));
  absl::StatusOr<v1::PollResponse> polled = pending.get();
  ASSERT_TRUE(polled.ok()) << polled.status();
  EXPECT_EQ(Ready(*polled), ReadyEntry(id, kReadable));
  absl::StatusOr<v1::ServerReceiveResponse> request = client_->ServerReceive(id, 0);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->path(), "/raw");
  EXPECT_TRUE(PollNow({PollFor(id, kReadable)})->timed_out());
  v1::ServerSendRequest answer;
  answer.set_request_handle(request->request_handle());
  answer.set_status(200);
  answer.set_body("raw ok");
  ASSERT_TRUE(client_->ServerSend(answer).ok());
  std::optional<RawResponse> response = raw.ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->body, "raw ok");

  // curl, the Poll answered first and then the request taken.
  pending = PollAsync({PollFor(id, kReadable)}, 10000);
  auto curl = std::async(std::launch::async, [port = server->port()] {
    return tls::RunCommand({"curl", "-sS", "--max-time", "20",
                            absl::StrCat("http://127.0.0.1:", port, "/curl")});
  });
  polled = pending.get();
  ASSERT_TRUE(polled.ok()) << polled.status();
  EXPECT_EQ(Ready(*polled), ReadyEntry(id, kReadable));
  request = client_->ServerReceive(id, 0);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->path(), "/curl");
  answer.set_request_handle(request->request_handle());
  answer.set_body("curl ok");
  ASSERT_TRUE(client_->ServerSend(answer).ok());
  tls::CommandResult result = curl.get();
  EXPECT_TRUE(result.ok()) << result.output;
  EXPECT_EQ(result.output, "curl ok");
}

TEST_F(PollTest, TimesOutWhenNothingIsReady) {
  TriggeredPeer peer("never");
  const std::string handle = ConnectTo(peer.port());
  const absl::Time start = absl::Now();
  absl::StatusOr<v1::PollResponse> polled =
      client_->Poll({PollFor(handle, kReadable)}, 300);
  const absl::Duration took = absl::Now() - start;
  ASSERT_TRUE(polled.ok()) << polled.status();
  EXPECT_TRUE(polled->timed_out());
  EXPECT_EQ(polled->ready_size(), 0);
  EXPECT_GE(took, absl::Milliseconds(280));
  EXPECT_LT(took, absl::Seconds(5));

  // Unset timeout: answered timed_out before the gRPC deadline, not failed.
  CallOptions options;
  options.rpc_timeout = absl::Milliseconds(600);
  polled = client_->Poll({PollFor(handle, kReadable)}, std::nullopt, options);
  ASSERT_TRUE(polled.ok()) << polled.status();
  EXPECT_TRUE(polled->timed_out());
}

TEST_F(PollTest, HandlesThatNameNothingAreInvalidPerItem) {
  peers::EchoPeer peer;
  const std::string live = ConnectTo(peer.port());
  const std::string closed = ConnectTo(peer.port());
  ASSERT_TRUE(client_->Close(closed, v1::CLOSE_MODE_ABORT, 1000).ok());
  const std::string unknown = UnknownLike(live);
  const std::string request_kind = "r1.0123456789abcdef0123456789abcdef";
  absl::StatusOr<v1::PollResponse> polled =
      client_->Poll({PollFor("garbage", kReadable), PollFor(live, kWritable),
                     PollFor(unknown, kReadable), PollFor("", 0),
                     PollFor(closed, kWritable), PollFor(request_kind, kReadable)},
                    10000);
  ASSERT_TRUE(polled.ok()) << polled.status();
  EXPECT_FALSE(polled->timed_out());
  EXPECT_EQ(Ready(*polled),
            absl::StrCat(ReadyEntry("garbage", kInvalid), " ",
                         ReadyEntry(live, kWritable), " ", ReadyEntry(unknown, kInvalid),
                         " ", ReadyEntry("", kInvalid), " ", ReadyEntry(closed, kInvalid),
                         " ", ReadyEntry(request_kind, kInvalid)));
}

TEST_F(PollTest, SameHandleTwiceIsAnsweredPerItem) {
  peers::EchoPeer peer;
  const std::string handle = ConnectTo(peer.port());
  ASSERT_TRUE(client_->Send(handle, "x", 5000).ok());
  ASSERT_TRUE(client_->Poll({PollFor(handle, kReadable)}, 5000).ok());
  absl::StatusOr<v1::PollResponse> polled =
      PollNow({PollFor(handle, kReadable), PollFor(handle, kWritable),
               PollFor(handle, kAcceptable)});
  ASSERT_TRUE(polled.ok()) << polled.status();
  EXPECT_EQ(Ready(*polled), absl::StrCat(ReadyEntry(handle, kReadable), " ",
                                         ReadyEntry(handle, kWritable)));
}

TEST_F(PollTest, ClosedWhilePendingIsInvalid) {
  TriggeredPeer peer("never");
  const std::string handle = ConnectTo(peer.port());
  absl::StatusOr<v1::ListenResponse> listening = client_->Listen("127.0.0.1", 0);
  ASSERT_TRUE(listening.ok());
  PollFuture pending = PollAsync(
      {PollFor(handle, kReadable), PollFor(listening->listener(), kAcceptable)}, 10000);
  EXPECT_EQ(pending.wait_for(300ms), std::future_status::timeout);
  ASSERT_TRUE(client_->Close(handle, v1::CLOSE_MODE_ABORT, 1000).ok());
  absl::StatusOr<v1::PollResponse> polled = pending.get();
  ASSERT_TRUE(polled.ok()) << polled.status();
  EXPECT_EQ(Ready(*polled), ReadyEntry(handle, kInvalid));

  pending = PollAsync({PollFor(listening->listener(), kAcceptable)}, 10000);
  EXPECT_EQ(pending.wait_for(300ms), std::future_status::timeout);
  ASSERT_TRUE(client_->Close(listening->listener(), v1::CLOSE_MODE_ABORT, 1000).ok());
  polled = pending.get();
  ASSERT_TRUE(polled.ok()) << polled.status();
  EXPECT_EQ(Ready(*polled), ReadyEntry(listening->listener(), kInvalid));
}

TEST_F(PollTest, BadRequestsAreRefused) {
  EXPECT_TRUE(HasError(client_->Poll({}, 0), absl::StatusCode::kInvalidArgument,
                       v1::SOCKET_ERROR_INVALID_REQUEST));
  std::vector<v1::PollItem> many(4097, PollFor("garbage", kReadable));
  absl::StatusOr<v1::PollResponse> too_many = client_->Poll(many, 0);
  EXPECT_TRUE(HasError(too_many, absl::StatusCode::kResourceExhausted,
                       v1::SOCKET_ERROR_LIMIT_EXCEEDED));
  EXPECT_TRUE(absl::StrContains(too_many.status().message(), "4096"));
  many.resize(4096);
  absl::StatusOr<v1::PollResponse> most = client_->Poll(many, 0);
  ASSERT_TRUE(most.ok()) << most.status();
  EXPECT_EQ(most->ready_size(), 4096);
  absl::StatusOr<v1::PollResponse> bits = client_->Poll({PollFor("garbage", 64)}, 0);
  EXPECT_TRUE(HasError(bits, absl::StatusCode::kInvalidArgument,
                       v1::SOCKET_ERROR_INVALID_REQUEST));
  EXPECT_TRUE(absl::StrContains(bits.status().message(), "items[0].events"));
  absl::StatusOr<v1::PollResponse> long_handle = client_->Poll(
      {PollFor("garbage", kReadable), PollFor(std::string(129, 's'), 0)}, 0);
  EXPECT_TRUE(HasError(long_handle, absl::StatusCode::kInvalidArgument,
                       v1::SOCKET_ERROR_INVALID_REQUEST));
  EXPECT_TRUE(absl::StrContains(long_handle.status().message(), "items[1].handle"));
  EXPECT_TRUE(HasError(client_->Poll({PollFor("garbage", kReadable)}, -2),
                       absl::StatusCode::kInvalidArgument,
                       v1::SOCKET_ERROR_INVALID_REQUEST));
}

TEST_F(PollTest, CancelledPollLeavesNothingBehind) {
  TriggeredPeer peer("after the cancel");
  const std::string handle = ConnectTo(peer.port());
  const int epolls_before = EpollInstances();
  auto cancel = std::make_shared<CancelToken>();
  CallOptions options;
  options.cancel = cancel;
  PollFuture pending = PollAsync({PollFor(handle, kReadable)}, -1, options);
  // The pending Poll holds one epoll instance.
  const absl::Time limit = absl::Now() + absl::Seconds(10);
  while (EpollInstances() == epolls_before && absl::Now() < limit) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(EpollInstances(), epolls_before + 1);
  cancel->Cancel();
  EXPECT_TRUE(
      HasError(pending.get(), absl::StatusCode::kCancelled, v1::SOCKET_ERROR_CANCELLED));
  while (EpollInstances() != epolls_before && absl::Now() < limit) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(EpollInstances(), epolls_before);
  // The socket is untouched: the bytes sent after the cancel arrive whole.
  peer.Go();
  absl::StatusOr<v1::ReceiveResponse> got = client_->Receive(handle, 100, 16, 5000);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->data(), "after the cancel");
}

TEST_F(PollTest, BytesACancelledReceiveLeftAreReadable) {
  TriggeredPeer peer("12345");
  const std::string handle = ConnectTo(peer.port());
  auto cancel = std::make_shared<CancelToken>();
  CallOptions options;
  options.cancel = cancel;
  // A Receive that takes the 5 bytes and waits for 10.
  auto receive = std::async(std::launch::async, [&] {
    return client_->Receive(handle, 100, 10, 10000, options);
  });
  peer.Go();
  const absl::Time limit = absl::Now() + absl::Seconds(10);
  while (Info(handle).bytes_received() < 5 && absl::Now() < limit) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_EQ(Info(handle).bytes_received(), 5u);
  // Nothing in the kernel, nothing held yet: not readable.
  PollFuture pending = PollAsync({PollFor(handle, kReadable)}, 10000);
  EXPECT_EQ(pending.wait_for(300ms), std::future_status::timeout);
  // The cancelled Receive leaves its bytes to socketd: that wakes the Poll.
  cancel->Cancel();
  EXPECT_TRUE(
      HasError(receive.get(), absl::StatusCode::kCancelled, v1::SOCKET_ERROR_CANCELLED));
  absl::StatusOr<v1::PollResponse> polled = pending.get();
  ASSERT_TRUE(polled.ok()) << polled.status();
  EXPECT_EQ(Ready(*polled), ReadyEntry(handle, kReadable));
  EXPECT_EQ(client_->Receive(handle, 100, 1, 0)->data(), "12345");
}

class PollTlsTest : public PollTest {
 protected:
  void SetUp() override {
    PollTest::SetUp();
    absl::StatusOr<std::unique_ptr<tls::CertificateAuthority>> ca =
        tls::CertificateAuthority::Create();
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = std::move(*ca);
    absl::StatusOr<tls::IssuedCertificate> cert = ca_->IssueLocalhostServerCert();
    ASSERT_TRUE(cert.ok()) << cert.status();
    options_.cert_path = cert->cert_path;
    options_.key_path = cert->key_path;
  }

  std::unique_ptr<tls::CertificateAuthority> ca_;
  tls::TlsServerOptions options_;
};

TEST_F(PollTlsTest, SessionTicketsAreNotDataButHeldPlaintextIs) {
  // TLS 1.3 tickets arrive after the handshake: bytes for the kernel, no
  // data for a Receive.
  options_.session_tickets = true;
  tls::TlsEchoPeer peer(options_);
  v1::TlsOptions trust;
  trust.set_ca_pem(ca_->cert_pem());
  absl::StatusOr<v1::ConnectResponse> connected =
      client_->ConnectTls("127.0.0.1", peer.port(), trust, 5000);
  ASSERT_TRUE(connected.ok()) << connected.status();
  const std::string handle = connected->handle();
  absl::SleepFor(absl::Milliseconds(200));  // Let the tickets arrive.
  EXPECT_TRUE(client_->Poll({PollFor(handle, kReadable)}, 300)->timed_out());

  ASSERT_TRUE(client_->Send(handle, "hello world", 5000).ok());
  absl::StatusOr<v1::PollResponse> polled =
      client_->Poll({PollFor(handle, kReadable)}, 10000);
  ASSERT_TRUE(polled.ok()) << polled.status();
  EXPECT_EQ(Ready(*polled), ReadyEntry(handle, kReadable));
  absl::StatusOr<v1::ReceiveResponse> first = client_->Receive(handle, 5, 5, 5000);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->data(), "hello");
  // The rest of the record is decrypted inside socketd, not in the kernel.
  EXPECT_EQ(Ready(*PollNow({PollFor(handle, kReadable)})), ReadyEntry(handle, kReadable));
  EXPECT_EQ(client_->Receive(handle, 100, 6, 5000)->data(), " world");
  EXPECT_TRUE(PollNow({PollFor(handle, kReadable)})->timed_out());
}

// Another principal's handle is INVALID, exactly like one that never
// existed.
TEST_F(AuthTest, PollSeesOnlyTheCallersHandles) {
  Start(TokensOnly(
      WriteTokens(absl::StrCat(kAliceToken, " alice\n", kBobToken, " bob\n"))));
  peers::EchoPeer peer;
  Client alice = Plain(kAliceToken);
  Client bob = Plain(kBobToken);
  absl::StatusOr<v1::ConnectResponse> connected =
      alice.Connect("127.0.0.1", peer.port(), 5000);
  ASSERT_TRUE(connected.ok()) << connected.status();
  const std::string handle = connected->handle();
  absl::StatusOr<v1::PollResponse> mine = alice.Poll({PollFor(handle, kWritable)}, 0);
  ASSERT_TRUE(mine.ok()) << mine.status();
  EXPECT_EQ(Ready(*mine), ReadyEntry(handle, kWritable));
  absl::StatusOr<v1::PollResponse> theirs = bob.Poll({PollFor(handle, kWritable)}, 0);
  ASSERT_TRUE(theirs.ok()) << theirs.status();
  EXPECT_EQ(Ready(*theirs), ReadyEntry(handle, kInvalid));
}

}  // namespace
}  // namespace socketsvc::e2e
