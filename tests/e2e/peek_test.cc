// Receive with `peek` (MSG_PEEK semantics) over plain TCP and TLS: the bytes
// come back and the next Receive returns them again; min_bytes, EOF and the
// refusal of peek with an offset.
#include <string>

#include "tests/e2e/e2e_fixture.h"
#include "tests/peers/peers.h"
#include "tests/tls/certificate_authority.h"
#include "tests/tls/tls_peers.h"

namespace socketsvc::e2e {
namespace {

using peers::PeerConnection;
using peers::RecordingPeer;
using peers::ScriptedPeer;

TEST_F(SocketdTest, PeekReturnsBytesAndTheNextReceiveReturnsThemAgain) {
  RecordingPeer peer(RecordingPeer::Options{"hello"});
  const std::string handle = ConnectTo(peer.port());
  absl::StatusOr<v1::ReceiveResponse> peeked = client_->Peek(handle, 100, 5, 5000);
  ASSERT_TRUE(peeked.ok()) << peeked.status();
  EXPECT_EQ(peeked->data(), "hello");
  EXPECT_EQ(peeked->offset(), 0u);
  EXPECT_FALSE(peeked->eof());
  // Still in the kernel: nothing was read from the socket.
  EXPECT_EQ(Info(handle).bytes_received(), 0u);
  absl::StatusOr<v1::ReceiveResponse> part = client_->Peek(handle, 2, 1, 5000);
  ASSERT_TRUE(part.ok()) << part.status();
  EXPECT_EQ(part->data(), "he");

  absl::StatusOr<v1::ReceiveResponse> got = client_->Receive(handle, 100, 5, 5000);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->data(), "hello");
  EXPECT_EQ(got->offset(), 0u);
  // Nothing left: a peek that does not wait times out empty, at offset 5.
  absl::StatusOr<v1::ReceiveResponse> empty = client_->Peek(handle, 100, 1, 0);
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(empty->data(), "");
  EXPECT_TRUE(empty->timed_out());
  EXPECT_EQ(empty->offset(), 5u);
}

TEST_F(SocketdTest, PeekWaitsForMinBytesWithoutLosingAny) {
  // "ab" now, "cd" later, then FIN.
  ScriptedPeer peer([](PeerConnection& conn) {
    conn.SendAll("ab");
    conn.SleepFor(std::chrono::milliseconds(200));
    conn.SendAll("cd");
    conn.ShutdownWrite();
    conn.Read();  // Until the client's EOF.
  });
  const std::string handle = ConnectTo(peer.port());
  absl::StatusOr<v1::ReceiveResponse> peeked = client_->Peek(handle, 100, 4, 5000);
  ASSERT_TRUE(peeked.ok()) << peeked.status();
  EXPECT_EQ(peeked->data(), "abcd");
  EXPECT_FALSE(peeked->timed_out());
  absl::StatusOr<v1::ReceiveResponse> again = client_->Peek(handle, 100, 1, 5000);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->data().substr(0, 4), "abcd");
  EXPECT_EQ(ReceiveAll(handle), "abcd");
  // At EOF a peek says so, as a Receive does.
  absl::StatusOr<v1::ReceiveResponse> end = client_->Peek(handle, 100, 1, 5000);
  ASSERT_TRUE(end.ok()) << end.status();
  EXPECT_TRUE(end->eof());
  EXPECT_EQ(end->data(), "");
  EXPECT_EQ(end->offset(), 4u);
}

TEST_F(SocketdTest, PeekTimesOutWithWhatIsThere) {
  RecordingPeer peer(RecordingPeer::Options{"xyz"});
  const std::string handle = ConnectTo(peer.port());
  absl::StatusOr<v1::ReceiveResponse> peeked = client_->Peek(handle, 100, 10, 300);
  ASSERT_TRUE(peeked.ok()) << peeked.status();
  EXPECT_EQ(peeked->data(), "xyz");
  EXPECT_TRUE(peeked->timed_out());
  absl::StatusOr<v1::ReceiveResponse> got = client_->Receive(handle, 100, 3, 5000);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->data(), "xyz");
}

TEST_F(SocketdTest, PeekWithOffsetIsRefused) {
  RecordingPeer peer(RecordingPeer::Options{"x"});
  const std::string handle = ConnectTo(peer.port());
  v1::ReceiveRequest request;
  request.set_handle(handle);
  request.set_peek(true);
  request.set_offset(0);
  EXPECT_TRUE(HasError(client_->Receive(request), absl::StatusCode::kInvalidArgument,
                       v1::SOCKET_ERROR_INVALID_REQUEST));
}

class TlsPeekTest : public SocketdTest {
 protected:
  void SetUp() override {
    SocketdTest::SetUp();
    absl::StatusOr<std::unique_ptr<tls::CertificateAuthority>> ca =
        tls::CertificateAuthority::Create();
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = std::move(*ca);
    absl::StatusOr<tls::IssuedCertificate> cert = ca_->IssueLocalhostServerCert();
    ASSERT_TRUE(cert.ok()) << cert.status();
    options_.cert_path = cert->cert_path;
    options_.key_path = cert->key_path;
  }

  std::string ConnectTlsTo(uint16_t port) {
    v1::TlsOptions tls;
    tls.set_ca_pem(ca_->cert_pem());
    absl::StatusOr<v1::ConnectResponse> connected =
        client_->ConnectTls("127.0.0.1", port, tls, 5000);
    EXPECT_TRUE(connected.ok()) << connected.status();
    return connected.ok() ? connected->handle() : "";
  }

  std::unique_ptr<tls::CertificateAuthority> ca_;
  tls::TlsServerOptions options_;
};

TEST_F(TlsPeekTest, PeekReturnsDecryptedBytesAndTheNextReceiveReturnsThemAgain) {
  tls::TlsEchoPeer peer(options_);
  const std::string handle = ConnectTlsTo(peer.port());
  ASSERT_TRUE(client_->Send(handle, "ping-pong", 5000).ok());
  absl::StatusOr<v1::ReceiveResponse> peeked = client_->Peek(handle, 100, 9, 5000);
  ASSERT_TRUE(peeked.ok()) << peeked.status();
  EXPECT_EQ(peeked->data(), "ping-pong");
  EXPECT_EQ(peeked->offset(), 0u);
  absl::StatusOr<v1::ReceiveResponse> got = client_->Receive(handle, 100, 9, 5000);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->data(), "ping-pong");
}

// More than one TLS record: SSL_peek sees one record at a time, so a peek
// for more reads the rest into socketd; every byte still comes back, once
// per peek and once for the Receive, in order.
TEST_F(TlsPeekTest, PeekAcrossRecords) {
  tls::TlsEchoPeer peer(options_);
  const std::string handle = ConnectTlsTo(peer.port());
  const std::string payload = peers::BulkSenderPeer::Pattern(100000);
  ASSERT_TRUE(client_->Send(handle, payload, 5000).ok());
  absl::StatusOr<v1::ReceiveResponse> peeked =
      client_->Peek(handle, payload.size(), payload.size(), 5000);
  ASSERT_TRUE(peeked.ok()) << peeked.status();
  EXPECT_TRUE(peeked->data() == payload) << peeked->data().size();
  absl::StatusOr<v1::ReceiveResponse> small = client_->Peek(handle, 10, 1, 5000);
  ASSERT_TRUE(small.ok()) << small.status();
  EXPECT_EQ(small->data(), payload.substr(0, 10));
  absl::StatusOr<v1::ReceiveResponse> got =
      client_->Receive(handle, payload.size(), payload.size(), 5000);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(got->data() == payload) << got->data().size();
  EXPECT_EQ(Info(handle).bytes_received(), payload.size());
}

}  // namespace
}  // namespace socketsvc::e2e
