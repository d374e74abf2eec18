// Egress and listen policy end to end: the built-in policy (metadata,
// socketd's own port), policy files (CIDRs, names that resolve into denied
// addresses, listen ports, principals), reloads in-process and by SIGHUP to
// the real socketd binary.
//
// No test sends a packet to 169.254.169.254: those Connects must be refused by
// the policy before any socket exists, which is what they assert.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/grpc_status.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/e2e/socketd_process.h"
#include "tests/peers/peers.h"

namespace socketsvc::e2e {
namespace {

using peers::ClosedPort;
using peers::EchoPeer;

// A listening socket on one loopback address that never accepts: the kernel
// completes handshakes into its backlog, so Pending() tells whether any
// connection (any SYN) reached it.
class BareListener {
 public:
  BareListener(const char* address, uint16_t port = 0) {
    const bool v6 = absl::StrContains(address, ':');
    fd_ = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_storage storage{};
    socklen_t len = 0;
    if (v6) {
      int one = 1;
      setsockopt(fd_, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
      auto* addr = reinterpret_cast<sockaddr_in6*>(&storage);
      addr->sin6_family = AF_INET6;
      addr->sin6_port = htons(port);
      inet_pton(AF_INET6, address, &addr->sin6_addr);
      len = sizeof(*addr);
    } else {
      auto* addr = reinterpret_cast<sockaddr_in*>(&storage);
      addr->sin_family = AF_INET;
      addr->sin_port = htons(port);
      inet_pton(AF_INET, address, &addr->sin_addr);
      len = sizeof(*addr);
    }
    if (bind(fd_, reinterpret_cast<sockaddr*>(&storage), len) != 0 ||
        listen(fd_, 16) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&storage), &len) != 0) {
      return;
    }
    port_ = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port
                     : reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
  }
  ~BareListener() { close(fd_); }

  bool ok() const { return port_ != 0; }
  uint16_t port() const { return port_; }

  // Whether a connection waits in the backlog (after up to `wait_ms`).
  bool Pending(int wait_ms = 200) const {
    pollfd p{fd_, POLLIN, 0};
    return poll(&p, 1, wait_ms) == 1;
  }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return absl::StrCat(dir ? dir : "/tmp", "/", name, ".", getpid(), ".txtpb");
}

void WriteFile(const std::string& path, const std::string& text) {
  // Written aside and renamed, as an operator's editor or config management
  // would: socketd never reads half a file.
  const std::string temp = path + ".new";
  std::ofstream(temp, std::ios::trunc) << text;
  ASSERT_EQ(std::rename(temp.c_str(), path.c_str()), 0);
}

::testing::AssertionResult DeniedBy(const absl::Status& status,
                                    const std::string& text) {
  ::testing::AssertionResult code =
      HasError(status, absl::StatusCode::kPermissionDenied,
               v1::SOCKET_ERROR_POLICY_DENIED);
  if (!code) return code;
  if (!absl::StrContains(status.message(), text)) {
    return ::testing::AssertionFailure()
           << "\"" << status.message() << "\" lacks \"" << text << "\"";
  }
  return ::testing::AssertionSuccess();
}

template <typename T>
::testing::AssertionResult DeniedBy(const absl::StatusOr<T>& result,
                                    const std::string& text) {
  return DeniedBy(result.status(), text);
}

// An in-process socketd started by each test, with or without a policy file.
class PolicyTest : public ::testing::Test {
 protected:
  void TearDown() override {
    client_.reset();
    if (server_) server_->Shutdown(absl::Seconds(1));
    if (!policy_path_.empty()) std::remove(policy_path_.c_str());
  }

  // Starts socketd with `policy` as its policy file ("" = no file).
  void Start(const std::string& policy, ServerOptions options = {}) {
    if (!policy.empty()) {
      policy_path_ = TempPath("policy");
      WritePolicy(policy);
      options.policy_file = policy_path_;
    }
    options.listen = "127.0.0.1:0";
    absl::StatusOr<std::unique_ptr<SocketServer>> server =
        SocketServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    client_ = std::make_unique<Client>(
        Client::Create(absl::StrCat("127.0.0.1:", server_->port())));
  }

  void WritePolicy(const std::string& text) { WriteFile(policy_path_, text); }

  // Rewrites the policy file and reloads it, as SIGHUP does.
  void Reload(const std::string& text) {
    WritePolicy(text);
    absl::Status reloaded = server_->Reload();
    ASSERT_TRUE(reloaded.ok()) << reloaded;
  }

  std::string policy_path_;
  std::unique_ptr<SocketServer> server_;
  std::unique_ptr<Client> client_;
};

// --- Built-in policy
// ------------------------------------------------------------

TEST_F(PolicyTest, BuiltInPolicyRefusesMetadataAddressesBeforeConnecting) {
  ASSERT_NO_FATAL_FAILURE(Start(""));
  EXPECT_TRUE(DeniedBy(client_->Connect("169.254.169.254", 80, 5000),
                       "connect 169.254.169.254:80: policy rule "
                       "\"builtin-no-link-local\" denies 169.254.169.254:80"));
  EXPECT_TRUE(DeniedBy(client_->Connect("::ffff:169.254.169.254", 80, 5000),
                       "\"builtin-no-link-local\" denies "
                       "[::ffff:169.254.169.254]:80"));
  EXPECT_TRUE(DeniedBy(client_->Connect("fe80::1", 22, 5000),
                       "\"builtin-no-link-local\" denies [fe80::1]:22"));
  EXPECT_EQ(server_->session_count(), 0u);
}

TEST_F(PolicyTest, BuiltInPolicyAllowsOrdinaryAddresses) {
  ASSERT_NO_FATAL_FAILURE(Start(""));
  EchoPeer peer;
  absl::StatusOr<v1::ConnectResponse> connected =
      client_->Connect("127.0.0.1", peer.port(), 5000);
  ASSERT_TRUE(connected.ok()) << connected.status();
  absl::StatusOr<v1::ListenResponse> listening = client_->Listen("0.0.0.0", 0);
  ASSERT_TRUE(listening.ok()) << listening.status();
}

TEST_F(PolicyTest, SocketdsOwnPortIsRefusedByDefault) {
  ASSERT_NO_FATAL_FAILURE(Start(""));
  const uint16_t own = server_->port();
  for (const char* host : {"127.0.0.1", "localhost", "::1", "127.0.0.2",
                           "0.0.0.0", "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(DeniedBy(client_->Connect(host, own, 5000),
                         "policy rule \"builtin-self\" denies"))
        << host;
  }
  EXPECT_TRUE(DeniedBy(client_->Listen("127.0.0.2", own),
                       "policy rule \"builtin-self\" denies listening on "
                       "127.0.0.2:"));
  v1::ServerCreateRequest create;
  create.set_bind_address("127.0.0.3");
  create.set_port(own);
  EXPECT_TRUE(DeniedBy(client_->ServerCreate(create), "\"builtin-self\""));
}

TEST_F(PolicyTest, SocketdsOwnPortIsRefusedWhateverTheFileAllows) {
  ASSERT_NO_FATAL_FAILURE(Start(R"pb(
    egress { name: "everything" action: ALLOW }
    listen { name: "everything" action: ALLOW }
  )pb"));
  EXPECT_TRUE(DeniedBy(client_->Connect("127.0.0.1", server_->port(), 5000),
                       "\"builtin-self\""));
  EXPECT_TRUE(DeniedBy(client_->Listen("127.0.0.2", server_->port()),
                       "\"builtin-self\""));
}

// --- Egress rules from a file
// -------------------------------------------------

TEST_F(PolicyTest, RuleDeniesMetadataAndIsNamed) {
  ASSERT_NO_FATAL_FAILURE(Start(R"pb(
    egress { name: "no-metadata" action: DENY cidrs: "169.254.169.254/32" }
    egress { name: "rest" action: ALLOW }
  )pb"));
  EXPECT_TRUE(
      DeniedBy(client_->Connect("169.254.169.254", 80, 5000),
               "policy rule \"no-metadata\" denies 169.254.169.254:80"));
}

TEST_F(PolicyTest, DeniedCidrIsRefusedWithoutAConnection) {
  BareListener target("127.0.0.2");
  ASSERT_TRUE(target.ok());
  EchoPeer allowed_peer;
  ASSERT_NO_FATAL_FAILURE(Start(R"pb(
    egress { name: "no-127-0-0-2" action: DENY cidrs: "127.0.0.2/32" }
    egress {
      name: "loopback"
      action: ALLOW
      cidrs: [ "127.0.0.0/8", "::1" ]
    }
  )pb"));

  EXPECT_TRUE(DeniedBy(client_->Connect("127.0.0.2", target.port(), 5000),
                       absl::StrCat("policy rule \"no-127-0-0-2\" denies "
                                    "127.0.0.2:",
                                    target.port())));
  EXPECT_FALSE(target.Pending()) << "a connection reached the denied address";
  EXPECT_TRUE(client_->Connect("127.0.0.1", allowed_peer.port(), 5000).ok());

  // The same address is reachable once the policy allows it: the refusal
  // above came from the policy, not from the network.
  ASSERT_NO_FATAL_FAILURE(Reload(R"pb(
    egress {
      name: "loopback"
      action: ALLOW
      cidrs: [ "127.0.0.0/8", "::1" ]
    }
  )pb"));
  absl::StatusOr<v1::ConnectResponse> connected =
      client_->Connect("127.0.0.2", target.port(), 5000);
  ASSERT_TRUE(connected.ok()) << connected.status();
  EXPECT_TRUE(target.Pending(2000));
}

TEST_F(PolicyTest, DefaultDenyWhenNoRuleMatches) {
  EchoPeer peer;
  ASSERT_NO_FATAL_FAILURE(Start(R"pb(
    egress {
      name: "web"
      action: ALLOW
      ports { first: 443 }
    }
  )pb"));
  EXPECT_TRUE(
      DeniedBy(client_->Connect("127.0.0.1", peer.port(), 5000),
               absl::StrCat("no policy rule allows 127.0.0.1:", peer.port(),
                            " for principal \"anonymous\" "
                            "(default deny)")));
  EXPECT_EQ(peer.connections(), 0);
}

TEST_F(PolicyTest, NameResolvingOnlyToDeniedAddressesIsRefused) {
  EchoPeer peer;
  ASSERT_NO_FATAL_FAILURE(Start(R"pb(
    egress {
      name: "no-loopback"
      action: DENY
      cidrs: [ "127.0.0.1/32", "::1/128" ]
    }
    egress { name: "rest" action: ALLOW }
  )pb"));
  absl::StatusOr<v1::ConnectResponse> refused =
      client_->Connect("localhost", peer.port(), 5000);
  EXPECT_TRUE(DeniedBy(refused, "policy rule \"no-loopback\" denies"));
  EXPECT_TRUE(DeniedBy(refused, "(2 addresses, all denied)"));
  EXPECT_TRUE(
      DeniedBy(refused, absl::StrCat("connect localhost:", peer.port())));
  EXPECT_EQ(peer.connections(), 0);
}

TEST_F(PolicyTest, OnlyTheAllowedAddressesOfANameAreTried) {
  EchoPeer peer;  // 127.0.0.1
  // Happy Eyeballs would try ::1 first; this listener would take it.
  BareListener v6("::1", peer.port());
  if (!v6.ok()) GTEST_SKIP() << "no IPv6 loopback here";
  ASSERT_NO_FATAL_FAILURE(Start(R"pb(
    egress { name: "no-v6-loopback" action: DENY cidrs: "::1/128" }
    egress { name: "rest" action: ALLOW }
  )pb"));
  absl::StatusOr<v1::ConnectResponse> connected =
      client_->Connect("localhost", peer.port(), 5000);
  ASSERT_TRUE(connected.ok()) << connected.status();
  EXPECT_EQ(connected->remote_address(), "127.0.0.1");
  EXPECT_FALSE(v6.Pending());
}

// A resolver that answers names the test controls: a name allowed by
// suffix that resolves to the metadata address (DNS rebinding).
class RebindingPolicyTest : public PolicyTest {
 protected:
  void Start(const std::string& policy) {
    ServerOptions options;
    options.resolver.functions.lookup =
        [](const std::string& host,
           const std::string& service) -> absl::StatusOr<Endpoints> {
      uint32_t port = 0;
      if (!absl::SimpleAtoi(service, &port)) port = 80;
      const char* address = host == "rebound.partner.test" ? "169.254.169.254"
                            : host == "mapped.partner.test"
                                ? "::ffff:169.254.169.254"
                                : "127.0.0.1";
      return Endpoints{boost::asio::ip::tcp::endpoint(
          boost::asio::ip::make_address(address), static_cast<uint16_t>(port))};
    };
    PolicyTest::Start(policy, options);
  }
};

TEST_F(RebindingPolicyTest, AllowedNameCannotResolveIntoADeniedAddress) {
  EchoPeer peer;
  ASSERT_NO_FATAL_FAILURE(Start(R"pb(
    egress { name: "no-metadata" action: DENY cidrs: "169.254.0.0/16" }
    egress { name: "partner" action: ALLOW host_suffixes: "partner.test" }
  )pb"));
  EXPECT_TRUE(DeniedBy(client_->Connect("rebound.partner.test", 80, 5000),
                       "connect rebound.partner.test:80: policy rule "
                       "\"no-metadata\" denies 169.254.169.254:80"));
  EXPECT_TRUE(DeniedBy(client_->Connect("mapped.partner.test", 80, 5000),
                       "\"no-metadata\" denies [::ffff:169.254.169.254]:80"));
  absl::StatusOr<v1::ConnectResponse> connected =
      client_->Connect("api.PARTNER.test", peer.port(), 5000);
  ASSERT_TRUE(connected.ok()) << connected.status();
  // Same address, a name outside the suffix (not at a dot boundary).
  EXPECT_TRUE(DeniedBy(client_->Connect("evil-partner.test", peer.port(), 5000),
                       "(default deny)"));
}

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

// --- The socketd binary
// ---------------------------------------------------------------

TEST(PolicyProcessTest, SighupReloadsThePolicyAndABrokenFileKeepsTheOldOne) {
  EchoPeer peer;
  const std::string path = TempPath("sighup_policy");
  const std::string deny = R"pb(
    egress { name: "no-loopback" action: DENY cidrs: "127.0.0.0/8" }
  )pb";
  const std::string allow = R"pb(
    egress { name: "loopback" action: ALLOW cidrs: "127.0.0.0/8" }
  )pb";
  WriteFile(path, deny);
  SocketdProcess socketd({absl::StrCat("--policy=", path)});
  ASSERT_TRUE(socketd.started()) << socketd.stderr_text();
  Client client = Client::Create(socketd.target());

  EXPECT_TRUE(DeniedBy(client.Connect("127.0.0.1", peer.port(), 5000),
                       "policy rule \"no-loopback\" denies"));

  WriteFile(path, allow);
  kill(socketd.pid(), SIGHUP);
  ASSERT_TRUE(socketd.WaitForStderr("SIGHUP: configuration reloaded", 10000))
      << socketd.stderr_text();
  absl::StatusOr<v1::ConnectResponse> connected =
      client.Connect("127.0.0.1", peer.port(), 5000);
  ASSERT_TRUE(connected.ok()) << connected.status();

  // A broken file: socketd says where, and keeps allowing.
  WriteFile(path, "egress {\n  name: \"loopback\"\n  action: ALOW }\n");
  kill(socketd.pid(), SIGHUP);
  ASSERT_TRUE(socketd.WaitForStderr("SIGHUP: reload failed", 10000))
      << socketd.stderr_text();
  ASSERT_TRUE(socketd.WaitForStderr(
      absl::StrCat("policy ", path, ": line 3, column"), 1000))
      << socketd.stderr_text();
  EXPECT_TRUE(absl::StrContains(socketd.stderr_text(), "\"ALOW\""));
  EXPECT_TRUE(client.Connect("127.0.0.1", peer.port(), 5000).ok());

  // Back to denying: the session made in between is not touched.
  WriteFile(path, deny);
  kill(socketd.pid(), SIGHUP);
  ASSERT_TRUE(socketd.WaitForStderr("SIGHUP: configuration reloaded", 10000))
      << socketd.stderr_text();
  EXPECT_TRUE(DeniedBy(client.Connect("127.0.0.1", peer.port(), 5000),
                       "policy rule \"no-loopback\" denies"));
  ASSERT_TRUE(client.Send(connected->handle(), "ping", 5000).ok());
  absl::StatusOr<v1::ReceiveResponse> echoed =
      client.Receive(connected->handle(), 64, 4, 5000);
  ASSERT_TRUE(echoed.ok()) << echoed.status();
  EXPECT_EQ(echoed->data(), "ping");
  std::remove(path.c_str());
}

TEST(PolicyProcessTest, BrokenFileAtStartIsAnError) {
  const std::string path = TempPath("bad_start_policy");
  WriteFile(path, "egress { name: \"a\" action: ALLOW }\nlisten {\n");
  SocketdProcess socketd({absl::StrCat("--policy=", path)});
  EXPECT_FALSE(socketd.started());
  EXPECT_TRUE(
      socketd.WaitForStderr(absl::StrCat("policy ", path, ": line 3"), 5000))
      << socketd.stderr_text();
  std::remove(path.c_str());
}

}  // namespace
}  // namespace socketsvc::e2e
