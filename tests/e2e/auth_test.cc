// Authentication and ownership, in-process over real gRPC: bearer tokens
// (plaintext and TLS), mutual TLS with certificates made at test time, every
// RPC behind the gate, and handles that only their creator can see.
#include <google/protobuf/descriptor.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>

#include <future>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "client/client.h"
#include "common/grpc_status.h"
#include "gtest/gtest.h"
#include "service/server.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/e2e/http_test_util.h"
#include "tests/peers/peers.h"
#include "tests/tls/certificate_authority.h"
#include "tests/tls/subprocess.h"

namespace socketsvc::e2e {
namespace {

using tls::CertificateAuthority;
using tls::IssuedCertificate;

constexpr char kAliceToken[] = "alice-0123456789abcdef";
constexpr char kBobToken[] = "bob-0123456789abcdef";

template <typename T>
::testing::AssertionResult IsUnauthenticated(const absl::StatusOr<T>& result) {
  return HasError(result, absl::StatusCode::kUnauthenticated,
                  v1::SOCKET_ERROR_UNAUTHENTICATED);
}

// A well-formed handle of the same kind and replica as `handle` that names
// nothing: every hex digit changed.
std::string UnknownLike(const std::string& handle) {
  std::string unknown = handle;
  for (size_t i = handle.find('.') + 1; i < unknown.size(); ++i) {
    unknown[i] = unknown[i] == 'f'   ? '0'
                 : unknown[i] == '9' ? 'a'
                                     : unknown[i] + 1;
  }
  return unknown;
}

AuthOptions TokensOnly(const std::string& tokens_file) {
  AuthOptions auth;
  auth.tokens_file = tokens_file;
  return auth;
}

// socketd in-process on 127.0.0.1:0 with the authentication a test gives.
class AuthTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (server_) server_->Shutdown(absl::Seconds(1));
  }

  void Start(const AuthOptions& auth) {
    ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.auth = auth;
    absl::StatusOr<std::unique_ptr<SocketServer>> server =
        SocketServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  std::string target() const {
    return absl::StrCat("127.0.0.1:", server_->port());
  }

  // Writes `text` to a tokens file in the test's directory.
  std::string WriteTokens(const std::string& text,
                          const std::string& name = "tokens") {
    const std::string path = dir_.File(name);
    EXPECT_TRUE(tls::WriteFile(path, text));
    return path;
  }

  // A plaintext client sending `token` (none if empty).
  Client Plain(absl::string_view token = "") const {
    ClientCredentialsOptions credentials;
    credentials.bearer_token = std::string(token);
    return Client::Create(target(), credentials);
  }

  tls::TempDir dir_{"auth"};
  std::unique_ptr<SocketServer> server_;
};

// --- Bearer tokens
// -------------------------------------------------------------

TEST_F(AuthTest, TokensRefuseCallsWithoutTheRightTokenBeforeAnyWork) {
  Start(TokensOnly(WriteTokens(absl::StrCat("# test tokens\n", kAliceToken,
                                            " alice\n", kBobToken, " bob\n"))));
  peers::RecordingPeer peer;

  const Client anonymous = Plain();
  EXPECT_TRUE(
      IsUnauthenticated(anonymous.Connect("127.0.0.1", peer.port(), 5000)));
  EXPECT_TRUE(IsUnauthenticated(anonymous.Resolve("localhost")));
  EXPECT_TRUE(IsUnauthenticated(anonymous.Listen("", 0)));
  const Client wrong = Plain("alice-0123456789abcdeF");  // One letter differs.
  EXPECT_TRUE(IsUnauthenticated(wrong.Connect("127.0.0.1", peer.port(), 5000)));
  EXPECT_TRUE(
      IsUnauthenticated(wrong.GetInfo("s1.00000000000000000000000000000000")));
  const Client prefix = Plain(std::string(kAliceToken).substr(0, 16));
  EXPECT_TRUE(
      IsUnauthenticated(prefix.Connect("127.0.0.1", peer.port(), 5000)));
  // Nothing was done for them: no connection, no session.
  EXPECT_EQ(server_->session_count(), 0u);

  const Client alice = Plain(kAliceToken);
  absl::StatusOr<v1::ConnectResponse> connected =
      alice.Connect("127.0.0.1", peer.port(), 5000);
  ASSERT_TRUE(connected.ok()) << connected.status();
  ASSERT_TRUE(alice.Send(connected->handle(), "hello").ok());
  EXPECT_TRUE(peer.WaitForReceived(5));
  EXPECT_EQ(peer.received(), "hello");
  EXPECT_EQ(peer.connections(), 1);
  EXPECT_TRUE(alice.Close(connected->handle(), v1::CLOSE_MODE_ABORT).ok());
}

TEST_F(AuthTest, MalformedAuthorizationHeadersAreRefused) {
  Start(TokensOnly(WriteTokens(absl::StrCat(kAliceToken, " alice\n"))));
  auto resolve_with = [&](const std::vector<std::string>& headers) {
    std::unique_ptr<v1::SocketService::Stub> stub = v1::SocketService::NewStub(
        grpc::CreateChannel(target(), grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    for (const std::string& header : headers)
      context.AddMetadata("authorization", header);
    v1::ResolveRequest request;
    request.set_name("localhost");
    v1::ResolveResponse response;
    return FromGrpcStatus(stub->Resolve(&context, request, &response));
  };
  EXPECT_TRUE(resolve_with({absl::StrCat("Bearer ", kAliceToken)}).ok());
  EXPECT_TRUE(resolve_with({absl::StrCat("bearer ", kAliceToken)}).ok());
  for (const std::vector<std::string>& headers :
       std::vector<std::vector<std::string>>{
           {kAliceToken},
           {absl::StrCat("Basic ", kAliceToken)},
           {"Bearer"},
           {absl::StrCat("Bearer ", kAliceToken, "x")},
           {absl::StrCat("Bearer ", kAliceToken),
            absl::StrCat("Bearer ", kAliceToken)},
       }) {
    const absl::Status status = resolve_with(headers);
    EXPECT_TRUE(HasError(status, absl::StatusCode::kUnauthenticated,
                         v1::SOCKET_ERROR_UNAUTHENTICATED))
        << headers[0];
  }
}

// Every method of the service descriptor goes through the gate: refused
// without a token, and with one it reaches a handler (whatever that makes of
// an empty request, never UNIMPLEMENTED). A new RPC that AuthGate does not
// forward fails here.
TEST_F(AuthTest, EveryRpcIsAuthenticatedAndReachesItsHandler) {
  Start(TokensOnly(WriteTokens(absl::StrCat(kAliceToken, " alice\n"))));
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          "socketsvc.v1.SocketService");
  ASSERT_NE(service, nullptr);
  ASSERT_GE(service->method_count(), 14);
  grpc::GenericStub stub(
      grpc::CreateChannel(target(), grpc::InsecureChannelCredentials()));
  auto call = [&](const std::string& method, absl::string_view token) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(10));
    if (!token.empty())
      context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
    grpc::Slice empty("");
    grpc::ByteBuffer request(&empty, 1);
    grpc::ByteBuffer response;
    std::promise<grpc::Status> done;
    stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                   [&done](grpc::Status status) { done.set_value(status); });
    return done.get_future().get();
  };
  for (int i = 0; i < service->method_count(); ++i) {
    const std::string method = absl::StrCat("/", service->full_name(), "/",
                                            service->method(i)->name());
    const grpc::Status refused = call(method, "");
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAUTHENTICATED)
        << method << ": " << refused.error_message();
    const grpc::Status admitted = call(method, kAliceToken);
    EXPECT_NE(admitted.error_code(), grpc::StatusCode::UNIMPLEMENTED)
        << method << " is not forwarded by AuthGate";
    EXPECT_NE(admitted.error_code(), grpc::StatusCode::UNAUTHENTICATED)
        << method;
  }
}

TEST_F(AuthTest, ReloadPutsNewTokensInForceAndKeepsHandles) {
  const std::string path = WriteTokens(absl::StrCat(kAliceToken, " alice\n"));
  Start(TokensOnly(path));
  peers::EchoPeer peer;
  absl::StatusOr<v1::ConnectResponse> connected =
      Plain(kAliceToken).Connect("127.0.0.1", peer.port(), 5000);
  ASSERT_TRUE(connected.ok()) << connected.status();

  // alice rotates to a new token; carol is added.
  const std::string kAliceNew = "alice-new-0123456789abcdef";
  const std::string kCarol = "carol-0123456789abcdef";
  tls::WriteFile(path, absl::StrCat(kAliceNew, " alice\n", kCarol, " carol\n"));
  ASSERT_TRUE(server_->Reload().ok());
  EXPECT_TRUE(
      IsUnauthenticated(Plain(kAliceToken).GetInfo(connected->handle())));
  EXPECT_TRUE(Plain(kCarol).Resolve("localhost").ok());
  // The session survived and belongs to alice, whatever her token now is.
  ASSERT_TRUE(Plain(kAliceNew).Send(connected->handle(), "ping").ok());
  absl::StatusOr<v1::ReceiveResponse> echoed =
      Plain(kAliceNew).Receive(connected->handle(), 0, 4, 5000);
  ASSERT_TRUE(echoed.ok()) << echoed.status();
  EXPECT_EQ(echoed->data(), "ping");
  EXPECT_TRUE(HasError(Plain(kCarol).GetInfo(connected->handle()),
                       absl::StatusCode::kNotFound,
                       v1::SOCKET_ERROR_INVALID_HANDLE));

  // A file that does not load changes nothing.
  tls::WriteFile(path, "this line has four fields\n");
  const absl::Status reloaded = server_->Reload();
  EXPECT_EQ(reloaded.code(), absl::StatusCode::kInvalidArgument) << reloaded;
  EXPECT_TRUE(Plain(kAliceNew).GetInfo(connected->handle()).ok());
  EXPECT_TRUE(Plain(kCarol).Resolve("localhost").ok());
}

TEST_F(AuthTest, MalformedTokensFileRefusesToStart) {
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.auth.tokens_file = WriteTokens("short alice\n");
  absl::StatusOr<std::unique_ptr<SocketServer>> server =
      SocketServer::Start(options);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(server.status().message().find("line 1"), absl::string_view::npos)
      << server.status();
}

// --- Ownership
// -----------------------------------------------------------------

// bob against alice's socket, listener, accepted socket, HTTP server and
// request: every call is answered exactly as for a handle that never
// existed, and none of them changes anything for alice.
TEST_F(AuthTest, AnotherPrincipalCannotSeeUseOrCloseHandles) {
  Start(TokensOnly(
      WriteTokens(absl::StrCat(kAliceToken, " alice\n", kBobToken, " bob\n"))));
  const Client alice = Plain(kAliceToken);
  const Client bob = Plain(kBobToken);

  // alice's handles: a connected socket, a listener and a socket it
  // accepted, an HTTP server and one request it took.
  peers::EchoPeer echo;
  absl::StatusOr<v1::ConnectResponse> connected =
      alice.Connect("127.0.0.1", echo.port(), 5000);
  ASSERT_TRUE(connected.ok()) << connected.status();
  const std::string socket = connected->handle();
  absl::StatusOr<v1::ListenResponse> listening = alice.Listen("", 0);
  ASSERT_TRUE(listening.ok()) << listening.status();
  const std::string listener = listening->listener();
  RawHttpClient dialer(static_cast<uint16_t>(listening->port()));
  ASSERT_TRUE(dialer.connected());
  // bob's Accept must not take alice's waiting connection.
  EXPECT_TRUE(HasError(bob.Accept(listener, 1000), absl::StatusCode::kNotFound,
                       v1::SOCKET_ERROR_INVALID_HANDLE));
  absl::StatusOr<v1::AcceptResponse> accepted = alice.Accept(listener, 5000);
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  ASSERT_FALSE(accepted->timed_out());
  const std::string accepted_socket = accepted->handle();
  absl::StatusOr<v1::ServerCreateResponse> created = alice.ServerCreate({});
  ASSERT_TRUE(created.ok()) << created.status();
  const std::string server = created->server_id();
  RawHttpClient http(static_cast<uint16_t>(created->port()));
  ASSERT_TRUE(http.Write("GET /mine HTTP/1.1\r\nHost: t\r\n\r\n"));
  absl::StatusOr<v1::ServerReceiveResponse> request =
      alice.ServerReceive(server, 5000);
  ASSERT_TRUE(request.ok()) << request.status();
  ASSERT_FALSE(request->timed_out());
  const std::string request_handle = request->request_handle();

  // Runs `op` as bob on `handle` and on an unknown handle of the same kind:
  // both NOT_FOUND/INVALID_HANDLE with the same message.
  auto expect_invisible =
      [&](const std::string& what, const std::string& handle,
          const std::function<absl::Status(const std::string&)>& op) {
        const absl::Status foreign = op(handle);
        const absl::Status unknown = op(UnknownLike(handle));
        EXPECT_TRUE(HasError(foreign, absl::StatusCode::kNotFound,
                             v1::SOCKET_ERROR_INVALID_HANDLE))
            << what;
        EXPECT_EQ(foreign.code(), unknown.code()) << what;
        EXPECT_EQ(foreign.message(), unknown.message()) << what;
        EXPECT_EQ(GetSocketError(foreign), GetSocketError(unknown)) << what;
      };
  for (const std::string& s : {socket, accepted_socket}) {
    expect_invisible("GetInfo", s, [&](const std::string& h) {
      return bob.GetInfo(h).status();
    });
    expect_invisible("Send", s, [&](const std::string& h) {
      return bob.Send(h, "x", 1000).status();
    });
    expect_invisible("Receive", s, [&](const std::string& h) {
      return bob.Receive(h, 0, 0, 0).status();
    });
    expect_invisible("StartTls", s, [&](const std::string& h) {
      return bob.StartTls(h, v1::TlsOptions(), 1000).status();
    });
    expect_invisible("GetOptions", s, [&](const std::string& h) {
      grpc::ClientContext context;
      context.AddMetadata("authorization", absl::StrCat("Bearer ", kBobToken));
      v1::GetOptionsRequest get;
      get.set_handle(h);
      v1::SocketOptions answer;
      return FromGrpcStatus(bob.stub()->GetOptions(&context, get, &answer));
    });
    expect_invisible("SetOptions", s, [&](const std::string& h) {
      grpc::ClientContext context;
      context.AddMetadata("authorization", absl::StrCat("Bearer ", kBobToken));
      v1::SetOptionsRequest set;
      set.set_handle(h);
      v1::SocketOptions answer;
      return FromGrpcStatus(bob.stub()->SetOptions(&context, set, &answer));
    });
    for (v1::CloseMode mode :
         {v1::CLOSE_MODE_ABORT, v1::CLOSE_MODE_DISCARD, v1::CLOSE_MODE_PARTIAL,
          v1::CLOSE_MODE_COMPLETE}) {
      expect_invisible("Close", s, [&](const std::string& h) {
        return bob.Close(h, mode, 100).status();
      });
    }
  }
  expect_invisible("GetInfo(listener)", listener, [&](const std::string& h) {
    return bob.GetInfo(h).status();
  });
  expect_invisible("Accept", listener, [&](const std::string& h) {
    return bob.Accept(h, 0).status();
  });
  expect_invisible("Close(listener)", listener, [&](const std::string& h) {
    return bob.Close(h, v1::CLOSE_MODE_ABORT).status();
  });
  expect_invisible("ServerReceive", server, [&](const std::string& h) {
    return bob.ServerReceive(h, 0).status();
  });
  expect_invisible("GetServerInfo", server, [&](const std::string& h) {
    return bob.GetServerInfo(h).status();
  });
  expect_invisible("ServerDelete", server, [&](const std::string& h) {
    return bob.ServerDelete(h).status();
  });
  expect_invisible("ServerSend", request_handle, [&](const std::string& h) {
    v1::ServerSendRequest answer;
    answer.set_request_handle(h);
    answer.set_status(200);
    answer.set_body("from bob");
    return bob.ServerSend(answer).status();
  });

  // Everything still works for alice, untouched by bob's attempts.
  ASSERT_TRUE(alice.Send(socket, "ping").ok());
  absl::StatusOr<v1::ReceiveResponse> echoed =
      alice.Receive(socket, 0, 4, 5000);
  ASSERT_TRUE(echoed.ok()) << echoed.status();
  EXPECT_EQ(echoed->data(), "ping");
  EXPECT_TRUE(alice.GetInfo(accepted_socket).ok());
  ASSERT_TRUE(alice.Send(accepted_socket, "hi").ok());
  EXPECT_EQ(dialer.ReadUntil("hi").value_or(""), "hi");
  EXPECT_TRUE(alice.GetInfo(listener).ok());
  EXPECT_TRUE(alice.GetServerInfo(server).ok());
  v1::ServerSendRequest answer;
  answer.set_request_handle(request_handle);
  answer.set_status(200);
  answer.set_body("from alice");
  ASSERT_TRUE(alice.ServerSend(answer).ok());
  std::optional<RawResponse> response = http.ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->body, "from alice");
  EXPECT_TRUE(alice.Close(socket, v1::CLOSE_MODE_ABORT).ok());
  EXPECT_TRUE(alice.Close(accepted_socket, v1::CLOSE_MODE_ABORT).ok());
  EXPECT_TRUE(alice.Close(listener).ok());
  EXPECT_TRUE(alice.ServerDelete(server).ok());
}

// --- TLS and mutual TLS
// ----------------------------------------------------------

class TlsAuthTest : public AuthTest {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<CertificateAuthority>> ca =
        CertificateAuthority::Create();
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = *std::move(ca);
    absl::StatusOr<IssuedCertificate> server_cert =
        ca_->IssueLocalhostServerCert();
    ASSERT_TRUE(server_cert.ok()) << server_cert.status();
    server_cert_ = *std::move(server_cert);
  }

  // socketd's listener speaks TLS with a certificate for localhost.
  AuthOptions ServerTls() const {
    AuthOptions auth;
    auth.tls_cert_file = server_cert_.cert_path;
    auth.tls_key_file = server_cert_.key_path;
    return auth;
  }

  // TLS (and mutual TLS with `client`) to socketd, trusting ca_.
  Client Tls(const IssuedCertificate* client,
             absl::string_view token = "") const {
    ClientCredentialsOptions credentials;
    credentials.root_ca_pem = ca_->cert_pem();
    credentials.server_name_override = "localhost";
    if (client != nullptr) {
      credentials.client_cert_pem = client->cert_pem;
      credentials.client_key_pem = client->key_pem;
    }
    credentials.bearer_token = std::string(token);
    return Client::Create(target(), credentials);
  }

  IssuedCertificate ClientCert(const std::string& common_name,
                               const std::vector<std::string>& uris = {},
                               const std::vector<std::string>& dns_names = {}) {
    absl::StatusOr<IssuedCertificate> cert =
        ca_->IssueClientCert(common_name, uris, dns_names);
    EXPECT_TRUE(cert.ok()) << cert.status();
    return cert.ok() ? *std::move(cert) : IssuedCertificate();
  }

  std::unique_ptr<CertificateAuthority> ca_;
  IssuedCertificate server_cert_;
};

TEST_F(TlsAuthTest, TokensOverTls) {
  AuthOptions auth = ServerTls();
  auth.tokens_file = WriteTokens(absl::StrCat(kAliceToken, " alice\n"));
  Start(auth);
  absl::StatusOr<v1::ListenResponse> listening =
      Tls(nullptr, kAliceToken).Listen("", 0);
  ASSERT_TRUE(listening.ok()) << listening.status();
  EXPECT_TRUE(Tls(nullptr, kAliceToken).GetInfo(listening->listener()).ok());
  EXPECT_TRUE(IsUnauthenticated(Tls(nullptr).Listen("", 0)));
  EXPECT_TRUE(IsUnauthenticated(Tls(nullptr, kBobToken).Listen("", 0)));
  // A plaintext client does not get past the TLS handshake.
  EXPECT_EQ(Plain(kAliceToken).Listen("", 0).status().code(),
            absl::StatusCode::kUnavailable);
}

// The principal of a client certificate is its first URI SAN, else its first
// DNS SAN, else its CN. Shown exactly: a token whose principal is that string
// sees the handles the certificate created, tokens naming the other names
// of the same certificate do not.
TEST_F(TlsAuthTest, ClientCertificatePrincipalIsUriElseDnsElseCn) {
  AuthOptions auth = ServerTls();
  auth.client_ca_file = ca_->cert_path();
  auth.tokens_file = WriteTokens(
      "uri-token-0123456789abcdef spiffe://test/alice\n"
      "dns-token-0123456789abcdef alice.test\n"
      "cn-token-0123456789abcdefg alice-cn\n");
  Start(auth);
  const IssuedCertificate full =
      ClientCert("alice-cn", {"spiffe://test/alice", "spiffe://test/second"},
                 {"alice.test", "b.test"});
  const IssuedCertificate dns_only = ClientCert("other-cn", {}, {"alice.test"});
  const IssuedCertificate cn_only = ClientCert("alice-cn");
  const IssuedCertificate other = ClientCert("bob-cn", {"spiffe://test/bob"});

  struct Case {
    const IssuedCertificate* cert;
    const char* token_seeing_it;
    std::vector<const char*> tokens_not_seeing_it;
  };
  const Case cases[] = {
      {&full,
       "uri-token-0123456789abcdef",
       {"dns-token-0123456789abcdef", "cn-token-0123456789abcdefg"}},
      {&dns_only,
       "dns-token-0123456789abcdef",
       {"uri-token-0123456789abcdef", "cn-token-0123456789abcdefg"}},
      {&cn_only,
       "cn-token-0123456789abcdefg",
       {"uri-token-0123456789abcdef", "dns-token-0123456789abcdef"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.token_seeing_it);
    absl::StatusOr<v1::ListenResponse> listening = Tls(c.cert).Listen("", 0);
    ASSERT_TRUE(listening.ok()) << listening.status();
    const std::string handle = listening->listener();
    // Same certificate on a new connection: same principal.
    EXPECT_TRUE(Tls(c.cert).GetInfo(handle).ok());
    // A token names the principal when presented (it decides over the
    // certificate), so only the token for exactly that string sees it.
    EXPECT_TRUE(Tls(&other, c.token_seeing_it).GetInfo(handle).ok());
    for (const char* token : c.tokens_not_seeing_it) {
      EXPECT_TRUE(HasError(Tls(&other, token).GetInfo(handle),
                           absl::StatusCode::kNotFound,
                           v1::SOCKET_ERROR_INVALID_HANDLE))
          << token;
    }
    EXPECT_TRUE(HasError(Tls(&other).GetInfo(handle),
                         absl::StatusCode::kNotFound,
                         v1::SOCKET_ERROR_INVALID_HANDLE));
    // A wrong token is refused, not replaced by the certificate.
    EXPECT_TRUE(IsUnauthenticated(Tls(c.cert, kBobToken).GetInfo(handle)));
  }
}

TEST_F(TlsAuthTest, MutualTlsRefusesClientsWithoutATrustedCertificate) {
  AuthOptions auth = ServerTls();
  auth.client_ca_file = ca_->cert_path();
  Start(auth);
  const IssuedCertificate alice = ClientCert("alice", {"spiffe://test/alice"});
  absl::StatusOr<v1::ListenResponse> listening = Tls(&alice).Listen("", 0);
  ASSERT_TRUE(listening.ok()) << listening.status();
  EXPECT_TRUE(Tls(&alice).Close(listening->listener()).ok());

  // No certificate, or one from another CA: the TLS handshake fails, so no
  // call gets through at all.
  EXPECT_EQ(Tls(nullptr).Listen("", 0).status().code(),
            absl::StatusCode::kUnavailable);
  absl::StatusOr<std::unique_ptr<CertificateAuthority>> stranger_ca =
      CertificateAuthority::Create("stranger CA");
  ASSERT_TRUE(stranger_ca.ok());
  absl::StatusOr<IssuedCertificate> stranger =
      (*stranger_ca)->IssueClientCert("alice", {"spiffe://test/alice"});
  ASSERT_TRUE(stranger.ok());
  EXPECT_EQ(Tls(&*stranger).Listen("", 0).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(Plain().Listen("", 0).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(TlsAuthTest, BadListenerFilesRefuseToStart) {
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.auth.tls_cert_file = server_cert_.cert_path;
  options.auth.tls_key_file = ClientCert("x").key_path;  // Another key.
  absl::StatusOr<std::unique_ptr<SocketServer>> server =
      SocketServer::Start(options);
  ASSERT_FALSE(server.ok());
  EXPECT_NE(server.status().message().find("is not the key of"),
            absl::string_view::npos)
      << server.status();
  options.auth.tls_key_file = server_cert_.key_path;
  options.auth.client_ca_file = server_cert_.key_path;  // No certificate in it.
  server = SocketServer::Start(options);
  ASSERT_FALSE(server.ok());
  EXPECT_NE(server.status().message().find("--client_ca"),
            absl::string_view::npos)
      << server.status();
}

}  // namespace
}  // namespace socketsvc::e2e
