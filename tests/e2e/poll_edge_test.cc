// Poll's edges, socketd in-process: timeouts, handles that name nothing,
// request errors, cancellation releasing everything, readiness the kernel
// cannot show (TLS plaintext held by OpenSSL, bytes a cancelled Receive
// left, a TLS session ticket that is not data), and other callers' handles.
#include "tests/e2e/poll_fixture.h"

namespace socketsvc::e2e {
namespace {

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
