// A TLS session's life against OpenSSL peers that record the wire: bulk
// bytes both ways, close_notify on COMPLETE/PARTIAL and none on ABORT, and
// StartTls after a plaintext exchange.
#include "tests/e2e/e2e_fixture.h"
#include "tests/peers/peers.h"
#include "tests/tls/certificate_authority.h"
#include "tests/tls/tls_peers.h"

namespace socketsvc::e2e {
namespace {

using peers::Ending;
using tls::CertificateAuthority;
using tls::IssuedCertificate;

class TlsSessionTest : public SocketdTest {
 protected:
  void SetUp() override {
    SocketdTest::SetUp();
    absl::StatusOr<std::unique_ptr<CertificateAuthority>> ca = CertificateAuthority::Create();
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = std::move(*ca);
    absl::StatusOr<IssuedCertificate> cert = ca_->IssueLocalhostServerCert();
    ASSERT_TRUE(cert.ok()) << cert.status();
    options_.cert_path = cert->cert_path;
    options_.key_path = cert->key_path;
  }

  v1::TlsOptions Trusting() {
    v1::TlsOptions tls;
    tls.set_ca_pem(ca_->cert_pem());
    return tls;
  }

  std::string ConnectTlsTo(uint16_t port) {
    absl::StatusOr<v1::ConnectResponse> connected =
        client_->ConnectTls("127.0.0.1", port, Trusting(), 5000);
    EXPECT_TRUE(connected.ok()) << connected.status();
    return connected.ok() ? connected->handle() : "";
  }

  std::unique_ptr<CertificateAuthority> ca_;
  tls::TlsServerOptions options_;
};

TEST_F(TlsSessionTest, BulkBytesBothWaysAreExact) {
  tls::TlsEchoPeer peer(options_);
  const std::string handle = ConnectTlsTo(peer.port());
  const std::string payload = peers::BulkSenderPeer::Pattern(2 << 20);
  std::string echoed;
  std::thread receiver([&] {
    while (echoed.size() < payload.size()) {
      absl::StatusOr<v1::ReceiveResponse> r = client_->Receive(handle, 1 << 20, 1, 10000);
      if (!r.ok() || r->eof() || r->timed_out()) break;
      echoed += r->data();
    }
  });
  for (size_t offset = 0; offset < payload.size(); offset += 256 << 10) {
    ASSERT_TRUE(client_->Send(handle, payload.substr(offset, 256 << 10), 10000).ok());
  }
  receiver.join();
  EXPECT_EQ(echoed.size(), payload.size());
  EXPECT_TRUE(echoed == payload);
  EXPECT_EQ(Info(handle).bytes_received(), payload.size());
}

TEST_F(TlsSessionTest, CompleteCloseSendsCloseNotifyThenFin) {
  tls::TlsEchoPeer peer(options_);
  const std::string handle = ConnectTlsTo(peer.port());
  ASSERT_TRUE(client_->Send(handle, "x", 5000).ok());
  absl::StatusOr<v1::CloseResponse> closed =
      client_->Close(handle, v1::CLOSE_MODE_COMPLETE, 5000);
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_TRUE(closed->released());
  EXPECT_FALSE(closed->drain_timed_out());
  ASSERT_TRUE(peer.WaitForEnded());
  tls::TlsRecording recording = peer.recording(0);
  EXPECT_TRUE(recording.close_notify_received);
  EXPECT_EQ(recording.tcp_ending, Ending::kEof);
}

TEST_F(TlsSessionTest, PartialCloseSendsCloseNotifyAndStillReceives) {
  options_.farewell = "goodbye";
  tls::TlsEchoPeer peer(options_);
  const std::string handle = ConnectTlsTo(peer.port());
  absl::StatusOr<v1::CloseResponse> partial =
      client_->Close(handle, v1::CLOSE_MODE_PARTIAL, 5000);
  ASSERT_TRUE(partial.ok()) << partial.status();
  EXPECT_FALSE(partial->released());
  // The peer answers our close_notify with a farewell and its own.
  EXPECT_EQ(ReceiveAll(handle), "goodbye");
  EXPECT_TRUE(HasError(client_->Send(handle, "late", 1000),
                       absl::StatusCode::kFailedPrecondition,
                       v1::SOCKET_ERROR_BROKEN_PIPE));
  ASSERT_TRUE(client_->Close(handle, v1::CLOSE_MODE_COMPLETE, 5000)->released());
  ASSERT_TRUE(peer.WaitForEnded());
  EXPECT_TRUE(peer.recording(0).close_notify_received);
  EXPECT_EQ(peer.recording(0).tcp_ending, Ending::kEof);
}

TEST_F(TlsSessionTest, AbortSendsNoCloseNotify) {
  tls::TlsEchoPeer peer(options_);
  const std::string handle = ConnectTlsTo(peer.port());
  ASSERT_TRUE(client_->Send(handle, "x", 5000).ok());
  ASSERT_TRUE(peer.WaitForReceived(1));
  ASSERT_TRUE(client_->Close(handle, v1::CLOSE_MODE_ABORT, 5000)->released());
  ASSERT_TRUE(peer.WaitForEnded());
  EXPECT_FALSE(peer.recording(0).close_notify_received);
  EXPECT_EQ(peer.recording(0).tcp_ending, Ending::kReset);
}

TEST_F(TlsSessionTest, StartTlsUpgradesAfterThePlaintextExchange) {
  tls::StartTlsPeer peer(options_);
  absl::StatusOr<v1::ConnectResponse> connected =
      client_->Connect("localhost", peer.port(), 5000);
  ASSERT_TRUE(connected.ok()) << connected.status();
  const std::string handle = connected->handle();
  EXPECT_EQ(client_->Receive(handle, 100, 11, 5000)->data(), "220 ready\r\n");
  EXPECT_FALSE(Info(handle).has_tls());
  ASSERT_TRUE(client_->Send(handle, "STARTTLS\r\n", 5000).ok());
  EXPECT_EQ(client_->Receive(handle, 100, 14, 5000)->data(), "220 go ahead\r\n");

  // The name verified defaults to the host given to Connect.
  absl::StatusOr<v1::StartTlsResponse> upgraded =
      client_->StartTls(handle, Trusting(), 5000);
  ASSERT_TRUE(upgraded.ok()) << upgraded.status();
  EXPECT_TRUE(upgraded->tls().verified());
  EXPECT_EQ(upgraded->tls().server_name(), "localhost");
  ASSERT_TRUE(client_->Send(handle, "hello\r\n", 5000).ok());
  EXPECT_EQ(client_->Receive(handle, 100, 11, 5000)->data(), "tls:hello\r\n");
  EXPECT_TRUE(Info(handle).tls().verified());
  ASSERT_TRUE(peer.WaitForHandshake());
  EXPECT_EQ(peer.recording(0).plaintext_received, "STARTTLS\r\n");
  EXPECT_EQ(peer.recording(0).sni, "localhost");

  // Already TLS: a second StartTls is refused and changes nothing.
  EXPECT_TRUE(HasError(client_->StartTls(handle, Trusting(), 1000),
                       absl::StatusCode::kFailedPrecondition,
                       v1::SOCKET_ERROR_INVALID_REQUEST));
  ASSERT_TRUE(client_->Send(handle, "again\r\n", 5000).ok());
  EXPECT_EQ(client_->Receive(handle, 100, 11, 5000)->data(), "tls:again\r\n");
  ASSERT_TRUE(client_->Close(handle, v1::CLOSE_MODE_COMPLETE, 5000).ok());
  ASSERT_TRUE(peer.WaitForEnded());
  EXPECT_TRUE(peer.recording(0).close_notify_received);
}

TEST_F(TlsSessionTest, StartTlsRefusesABusyHandle) {
  peers::EchoPeer peer;
  const std::string handle = ConnectTo(peer.port());
  std::thread pending([&] { client_->Receive(handle, 10, 1, 1500).IgnoreError(); });
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_TRUE(HasError(client_->StartTls(handle, Trusting(), 1000),
                       absl::StatusCode::kFailedPrecondition,
                       v1::SOCKET_ERROR_INVALID_REQUEST));
  pending.join();
}

TEST_F(TlsSessionTest, StartTlsWithAPeerThatDoesNotSpeakTlsBreaksTheSocket) {
  peers::EchoPeer peer;  // Echoes our ClientHello back: not a ServerHello.
  const std::string handle = ConnectTo(peer.port());
  absl::StatusOr<v1::StartTlsResponse> failed = client_->StartTls(handle, Trusting(), 5000);
  ASSERT_TRUE(HasError(failed, absl::StatusCode::kUnavailable,
                       v1::SOCKET_ERROR_TLS_HANDSHAKE_FAILED));
  v1::SocketInfo info = Info(handle);
  EXPECT_EQ(info.state(), v1::SOCKET_STATE_BROKEN);
  EXPECT_EQ(info.last_error(), v1::SOCKET_ERROR_TLS_HANDSHAKE_FAILED);
  EXPECT_TRUE(HasError(client_->Send(handle, "x", 1000), absl::StatusCode::kUnavailable,
                       v1::SOCKET_ERROR_TLS_HANDSHAKE_FAILED));
  EXPECT_TRUE(client_->Close(handle, v1::CLOSE_MODE_ABORT, 1000).ok());
}

}  // namespace
}  // namespace socketsvc::e2e
