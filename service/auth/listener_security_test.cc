#include "service/auth/listener_security.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace socketsvc {
namespace {

TEST(IsLocalListenAddressTest, LoopbackOnly) {
  for (const char* local :
       {"127.0.0.1:50051", "127.0.0.1:0", "127.1.2.3:1", "[::1]:50051",
        "localhost:50051", "LOCALHOST:1", "[::ffff:127.0.0.1]:5",
        "unix:/run/socketd.sock", "unix-abstract:socketd"}) {
    EXPECT_TRUE(IsLocalListenAddress(local)) << local;
  }
  for (const char* remote :
       {"0.0.0.0:50051", "0.0.0.0:0", "[::]:50051", ":50051", "10.0.0.1:1",
        "192.168.1.1:443", "[2001:db8::1]:1", "[::ffff:10.0.0.1]:5",
        "example.com:50051", "localhost.example.com:1", "50051", ""}) {
    EXPECT_FALSE(IsLocalListenAddress(remote)) << remote;
  }
}

TEST(CheckListenAddressTest, NonLoopbackNeedsAuthenticationOrTheFlag) {
  EXPECT_TRUE(CheckListenAddress("127.0.0.1:0", false, false).ok());
  EXPECT_TRUE(CheckListenAddress("0.0.0.0:0", true, false).ok());
  EXPECT_TRUE(CheckListenAddress("0.0.0.0:0", false, true).ok());
  const absl::Status refused = CheckListenAddress("0.0.0.0:0", false, false);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(refused.message(), "--allow_unauthenticated"));
  EXPECT_TRUE(absl::StrContains(refused.message(), "0.0.0.0:0"));
}

TEST(ListenerCredentialsTest, FlagCombinations) {
  AuthOptions options;
  EXPECT_TRUE(ListenerCredentials(options).ok());  // Plaintext.
  options.client_ca_file = "/ca.pem";
  EXPECT_TRUE(absl::StrContains(ListenerCredentials(options).status().message(),
                                "--client_ca (mutual TLS) needs --tls_cert"));
  options = {};
  options.tls_cert_file = "/cert.pem";
  EXPECT_TRUE(absl::StrContains(ListenerCredentials(options).status().message(),
                                "go together"));
  options.tls_key_file = "/no/such/key.pem";
  options.tls_cert_file = "/no/such/cert.pem";
  const absl::Status missing = ListenerCredentials(options).status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(missing.message(),
                                "--tls_cert: cannot read "
                                "/no/such/cert.pem"))
      << missing;
}

}  // namespace
}  // namespace socketsvc
