// The peer CA must be the replicas' own: a CA shared with --client_ca is
// refused at start, since any client certificate could then act as a
// replica. Certificates made by the openssl CLI at test time.
#include "service/routing/peer_credentials.h"

#include "gtest/gtest.h"
#include "tests/tls/certificate_authority.h"
#include "tests/tls/subprocess.h"

namespace socketsvc {
namespace {

TEST(PeerCredentialsTest, APeerCaSharedWithClientCaIsRefused) {
  auto replicas = tls::CertificateAuthority::Create("replica CA");
  auto clients = tls::CertificateAuthority::Create("client CA");
  ASSERT_TRUE(replicas.ok() && clients.ok());
  EXPECT_TRUE(CheckPeerCaIsNotClientCa((*replicas)->cert_pem(), (*clients)->cert_path()).ok());
  EXPECT_TRUE(CheckPeerCaIsNotClientCa((*replicas)->cert_pem(), "").ok());
  absl::Status shared =
      CheckPeerCaIsNotClientCa((*replicas)->cert_pem(), (*replicas)->cert_path());
  EXPECT_EQ(shared.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(shared.message().find("share a CA certificate"), absl::string_view::npos);
  // A bundle that contains the peer CA among others is refused too.
  const std::string bundle = (*clients)->dir() + "/bundle.pem";
  ASSERT_TRUE(tls::WriteFile(bundle, (*clients)->cert_pem() + (*replicas)->cert_pem()));
  EXPECT_FALSE(CheckPeerCaIsNotClientCa((*replicas)->cert_pem(), bundle).ok());
}

}  // namespace
}  // namespace socketsvc
