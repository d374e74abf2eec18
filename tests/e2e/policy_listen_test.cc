// Listen rules, per-principal rules and in-process reloads of the policy.
#include "tests/e2e/policy_test_util.h"

#include <signal.h>

#include <memory>
#include <string>

namespace socketsvc::e2e {
namespace {

// --- Listen rules
// ---------------------------------------------------------------

TEST_F(PolicyTest, ListenAndServerCreateOnDeniedPortsAreRefused) {
  const uint16_t allowed = ClosedPort();
  uint16_t other = ClosedPort();
  while (other == allowed) other = ClosedPort();
  ASSERT_NO_FATAL_FAILURE(
      Start(absl::StrReplaceAll(R"pb(
                                  listen {
                                    name: "no-privileged"
                                    action: DENY
                                    ports { first: 1 last: 1023 }
                                  }
                                  listen {
                                    name: "loopback"
                                    action: ALLOW
                                    cidrs: [ "127.0.0.1/32", "::1/128" ]
                                    ports { first: 0 }
                                    ports { first: ALLOWED }
                                  }
                                )pb",
                                {{"ALLOWED", absl::StrCat(allowed)}})));

  absl::StatusOr<v1::ListenResponse> listening =
      client_->Listen("127.0.0.1", allowed);
  ASSERT_TRUE(listening.ok()) << listening.status();
  ASSERT_TRUE(client_->Close(listening->listener()).ok());
  EXPECT_TRUE(client_->Listen("127.0.0.1", 0).ok());
  EXPECT_TRUE(DeniedBy(client_->Listen("127.0.0.1", other),
                       absl::StrCat("no policy rule allows listening on "
                                    "127.0.0.1:",
                                    other)));
  EXPECT_TRUE(DeniedBy(client_->Listen("0.0.0.0", allowed), "(default deny)"));
  EXPECT_TRUE(DeniedBy(client_->Listen("127.0.0.1", 80),
                       "policy rule \"no-privileged\" denies listening on "
                       "127.0.0.1:80"));

  v1::ServerCreateRequest create;
  create.set_port(other);
  EXPECT_TRUE(DeniedBy(client_->ServerCreate(create),
                       absl::StrCat("listening on 127.0.0.1:", other)));
  create.set_port(80);
  EXPECT_TRUE(DeniedBy(client_->ServerCreate(create), "\"no-privileged\""));
  create.set_bind_address("[::]");
  create.set_port(0);
  EXPECT_TRUE(DeniedBy(client_->ServerCreate(create), "listening on [::]:0"));
  create.set_bind_address("");
  create.set_port(allowed);
  absl::StatusOr<v1::ServerCreateResponse> created =
      client_->ServerCreate(create);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->port(), allowed);
}

// --- Principals
// ------------------------------------------------------------------

TEST_F(PolicyTest, RulesForOtherPrincipalsDoNotApply) {
  EchoPeer peer;
  ASSERT_NO_FATAL_FAILURE(Start(R"pb(
    egress { name: "alice-only" action: ALLOW principals: "alice" }
  )pb"));
  EXPECT_TRUE(DeniedBy(client_->Connect("127.0.0.1", peer.port(), 5000),
                       "for principal \"anonymous\" (default deny)"));
  ASSERT_NO_FATAL_FAILURE(Reload(R"pb(
    egress { name: "alice-only" action: ALLOW principals: "alice" }
    egress {
      name: "anonymous"
      action: ALLOW
      principals: [ "anonymous" ]
    }
  )pb"));
  EXPECT_TRUE(client_->Connect("127.0.0.1", peer.port(), 5000).ok());
}

// Two principals by bearer token (--tokens_file): one rule each.
TEST_F(PolicyTest, PerPrincipalRulesWithTokens) {
  constexpr char kAliceToken[] = "alice-token-0123456789abcdef";
  constexpr char kBobToken[] = "bob-token-0123456789abcdef";
  const std::string tokens = TempPath("tokens");
  WriteFile(tokens, absl::StrCat(kAliceToken, " alice\n", kBobToken, " bob\n"));
  chmod(tokens.c_str(), 0600);
  EchoPeer peer;
  ServerOptions options;
  options.auth.tokens_file = tokens;
  ASSERT_NO_FATAL_FAILURE(
      Start(absl::StrReplaceAll(
                R"pb(
                  egress {
                    name: "alice-to-peer"
                    action: ALLOW
                    principals: "alice"
                    ports { first: PORT }
                  }
                  listen { name: "bob-listens" action: ALLOW principals: "bob" }
                )pb",
                {{"PORT", absl::StrCat(peer.port())}}),
            options));
  std::remove(tokens.c_str());

  auto connect = [&](const char* token) -> absl::Status {
    grpc::ClientContext context;
    context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(10));
    v1::ConnectRequest request;
    request.set_host("127.0.0.1");
    request.set_port(peer.port());
    v1::ConnectResponse response;
    return FromGrpcStatus(
        client_->stub()->Connect(&context, request, &response));
  };
  auto listen = [&](const char* token) -> absl::Status {
    grpc::ClientContext context;
    context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
    v1::ListenRequest request;
    request.set_bind_address("127.0.0.1");
    v1::ListenResponse response;
    return FromGrpcStatus(
        client_->stub()->Listen(&context, request, &response));
  };
  EXPECT_TRUE(connect(kAliceToken).ok()) << connect(kAliceToken);
  EXPECT_TRUE(
      DeniedBy(connect(kBobToken), "for principal \"bob\" (default deny)"));
  EXPECT_TRUE(listen(kBobToken).ok()) << listen(kBobToken);
  EXPECT_TRUE(
      DeniedBy(listen(kAliceToken), "for principal \"alice\" (default deny)"));
}

// --- Reloads
// ------------------------------------------------------------------------

TEST_F(PolicyTest, ReloadLeavesExistingSessionsAlone) {
  EchoPeer peer;
  ASSERT_NO_FATAL_FAILURE(Start(R"pb(
    egress { name: "loopback" action: ALLOW cidrs: "127.0.0.0/8" }
  )pb"));
  absl::StatusOr<v1::ConnectResponse> connected =
      client_->Connect("127.0.0.1", peer.port(), 5000);
  ASSERT_TRUE(connected.ok()) << connected.status();

  ASSERT_NO_FATAL_FAILURE(Reload(R"pb(
    egress { name: "nothing" action: DENY }
  )pb"));
  EXPECT_TRUE(DeniedBy(client_->Connect("127.0.0.1", peer.port(), 5000),
                       "policy rule \"nothing\" denies"));
  // The session made under the old policy still works both ways.
  ASSERT_TRUE(client_->Send(connected->handle(), "still here", 5000).ok());
  absl::StatusOr<v1::ReceiveResponse> echoed =
      client_->Receive(connected->handle(), 64, 10, 5000);
  ASSERT_TRUE(echoed.ok()) << echoed.status();
  EXPECT_EQ(echoed->data(), "still here");
}

TEST_F(PolicyTest, BrokenFileKeepsThePolicyInForce) {
  EchoPeer peer;
  ASSERT_NO_FATAL_FAILURE(Start(R"pb(
    egress { name: "loopback" action: ALLOW cidrs: "127.0.0.0/8" }
  )pb"));
  WritePolicy(
      "egress {\n  name: \"x\"\n  action: ALLOW\n  cidrs: "
      "\"127.0.0.0/33\"\n}\n");
  absl::Status reloaded = server_->Reload();
  ASSERT_FALSE(reloaded.ok());
  EXPECT_TRUE(absl::StrContains(
      reloaded.message(),
      absl::StrCat("policy ", policy_path_, ": line 4, column")))
      << reloaded;
  EXPECT_TRUE(client_->Connect("127.0.0.1", peer.port(), 5000).ok());
}

}  // namespace
}  // namespace socketsvc::e2e
