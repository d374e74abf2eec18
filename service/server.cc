#include "service/server.h"

#include <grpc/grpc.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include <atomic>
#include <chrono>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "service/api/call_reactor.h"
#include "service/api/pipe_reactor.h"
#include "service/auth/listener_security.h"
#include "service/sessions/handle.h"

namespace socketsvc {
namespace {

// Room for the other fields of a Send or Receive message around its data.
constexpr int kMessageOverhead = 64 * 1024;

// The port of a "host:port" listen address; 0 if none or not a number.
uint16_t ListenPort(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  uint32_t port = 0;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(absl::string_view(listen).substr(colon + 1), &port) ||
      port > 65535) {
    return 0;
  }
  return static_cast<uint16_t>(port);
}

}  // namespace

SocketServer::SocketServer(const ServerOptions& options,
                           TlsClientContext tls_context,
                           std::shared_ptr<const Policy> policy)
    : work_(boost::asio::make_work_guard(io_)),
      table_(options.replica_id, options.session),
      listeners_(io_.get_executor(), options.replica_id, options.listener),
      http_servers_(io_.get_executor(), options.replica_id, options.http),
      resolver_(options.resolver),
      tls_context_(std::move(tls_context)),
      policy_(options.policy_file, std::move(policy)),
      service_(io_.get_executor(), table_, listeners_, resolver_, tls_context_,
               options.service, http_servers_, policy_) {}

absl::StatusOr<std::unique_ptr<SocketServer>> SocketServer::Start(
    ServerOptions options) {
  if (!IsValidReplicaId(options.replica_id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--replica_id '", options.replica_id,
                     "' must be 1 to 16 lowercase letters or digits"));
  }
  if (options.io_threads < 1) {
    return absl::InvalidArgumentError("--io_threads must be at least 1");
  }
  if (options.resolver.threads < 1) {
    return absl::InvalidArgumentError("--resolver_threads must be at least 1");
  }
  if (options.session.idle_timeout < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--idle_timeout_ms must be 0 (never) or more");
  }
  if (absl::Status telemetry = Telemetry::Validate(options.telemetry); !telemetry.ok()) {
    return telemetry;
  }
  absl::StatusOr<TlsClientContext> tls_context =
      TlsClientContext::Create(options.tls_trust);
  if (!tls_context.ok()) return tls_context.status();
  absl::StatusOr<std::shared_ptr<const Policy>> policy =
      PolicyStore::Load(options.policy_file);
  if (!policy.ok()) return policy.status();
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      ListenerCredentials(options.auth);
  if (!credentials.ok()) return credentials.status();
  absl::StatusOr<std::unique_ptr<Authenticator>> authenticator =
      Authenticator::Create(options.auth);
  if (!authenticator.ok()) return authenticator.status();
  if (absl::Status checked = CheckListenAddress(
          options.listen, (*authenticator)->authenticates(),
          options.auth.allow_unauthenticated);
      !checked.ok()) {
    return checked;
  }
  WarnAboutListener(options.listen, options.auth,
                    (*authenticator)->authenticates());
  absl::StatusOr<PeerTlsMaterial> peer_tls = Routing::Prepare(options.routing);
  if (!peer_tls.ok()) return peer_tls.status();
  if (absl::Status separate =
          CheckPeerCaIsNotClientCa(peer_tls->ca_pem, options.auth.client_ca_file);
      !separate.ok()) {
    return separate;
  }
  std::unique_ptr<SocketServer> server(
      new SocketServer(options, std::move(*tls_context), *std::move(policy)));
  server->authenticator_ = std::move(*authenticator);
  // HTTP server RPCs carry whole request and response bodies.
  const int max_message = static_cast<int>(
      std::max<size_t>(std::max(options.service.max_send_bytes,
                                options.service.max_receive_bytes) +
                           kMessageOverhead,
                       MaxHttpMessageBytes(options.http)));
  for (int i = 0; i < options.io_threads; ++i) {
    server->io_threads_.emplace_back([io = &server->io_] { io->run(); });
  }
  // Calls for other replicas' handles go to their owners (docs/scaling.md);
  // the peer listener opens here.
  absl::StatusOr<std::unique_ptr<Routing>> routing =
      Routing::Create(options.routing, options.replica_id, server->service_,
                      *std::move(peer_tls), max_message);
  if (!routing.ok()) return routing.status();
  server->routing_ = *std::move(routing);
  server->auth_gate_ =
      std::make_unique<AuthGate>(server->routing_->front(), *server->authenticator_);
  // No call may reach socketd's own port through it, from the first call
  // on: known now unless it is 0, and again once bound.
  server->policy_.SetOwnPorts(
      {ListenPort(options.listen), ListenPort(options.routing.peer_listen),
       static_cast<uint16_t>(options.telemetry.metrics_port)});
  grpc::ServerBuilder builder;
  // Health, reflection, metrics and logs of every call.
  server->telemetry_ = std::make_unique<Telemetry>(
      options.telemetry, server->table_, server->listeners_, server->http_servers_);
  server->telemetry_->ConfigureBuilder(builder);
  builder.AddListeningPort(options.listen, *credentials, &server->port_);
  builder.RegisterService(server->auth_gate_.get());
  builder.SetMaxReceiveMessageSize(max_message);
  builder.SetMaxSendMessageSize(max_message);
  server->grpc_server_ = builder.BuildAndStart();
  if (!server->grpc_server_ || server->port_ == 0) {
    server->Shutdown(absl::ZeroDuration());
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen,
                     " (address in use, or not a host:port?)"));
  }
  if (absl::Status telemetry = server->telemetry_->Start(*server->grpc_server_);
      !telemetry.ok()) {
    server->Shutdown(absl::ZeroDuration());
    return telemetry;
  }
  // The peer listener and the metrics endpoint are socketd's own ports too.
  server->policy_.SetOwnPorts({static_cast<uint16_t>(server->port_),
                               static_cast<uint16_t>(server->routing_->peer_port()),
                               static_cast<uint16_t>(server->telemetry_->metrics_port())});
  return server;
}

SocketServer::~SocketServer() { Shutdown(absl::ZeroDuration()); }

void SocketServer::Shutdown(absl::Duration grace) {
  {
    absl::MutexLock lock(&mu_);
    if (shut_down_) return;
    shut_down_ = true;
  }
  // Health checks answer NOT_SERVING from now on.
  if (telemetry_) telemetry_->BeginDrain();
  const absl::Time deadline = absl::Now() + std::max(grace, absl::ZeroDuration());
  // gRPC refuses new calls at once and gives calls in flight until the
  // deadline, then cancels them; it blocks until they are done, while the
  // sessions below answer most of them, so it runs beside the drain. Their
  // reactors complete through the sessions' strands: the I/O threads keep
  // running until the end.
  std::thread grpc_stopper;
  std::atomic<bool> grpc_stopped{false};
  if (grpc_server_) {
    grpc_stopper = std::thread([this, deadline, &grpc_stopped] {
      grpc_server_->Shutdown(absl::ToChronoTime(deadline));
      grpc_stopped = true;
    });
  }
  if (routing_) routing_->BeginShutdown(deadline);
  // Lookups still waiting are answered SHUTTING_DOWN while the I/O threads
  // still run; one still inside getaddrinfo is joined by ~Resolver.
  resolver_.Shutdown();
  listeners_.ShutdownAll();
  http_servers_.ShutdownAll();
  if (grace > absl::ZeroDuration()) {
    // Every session closes COMPLETE (FIN, drain until the peer's EOF) once
    // its running Send is done; what is still open at the deadline is reset.
    table_.DrainAll(deadline);
    while ((table_.size() > 0 || CallReactor::Live() > 0 || PipeReactor::Live() > 0) &&
           absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(5));
    }
  }
  table_.ShutdownAll();
  // gRPC also waits for every client connection to go away, which an idle
  // client never does before the deadline. No call runs any more (or the
  // deadline passed): close them now, as gRPC itself does at the deadline.
  while (grpc_stopper.joinable() && !grpc_stopped) {
    grpc_server_cancel_all_calls(grpc_server_->c_server());
    absl::SleepFor(absl::Milliseconds(20));
  }
  if (grpc_stopper.joinable()) grpc_stopper.join();
  if (routing_) routing_->FinishShutdown();
  work_.reset();
  // Released sockets end their waits; give the threads a moment to run out
  // of work, then stop whatever is left.
  const absl::Time limit = absl::Now() + absl::Seconds(2);
  while (!io_.stopped() && absl::Now() < limit) absl::SleepFor(absl::Milliseconds(5));
  io_.stop();
  for (std::thread& thread : io_threads_) thread.join();
  io_threads_.clear();
  if (grpc_server_) grpc_server_->Wait();
  // Scrapes work during the drain; the endpoint closes last.
  if (telemetry_) telemetry_->Stop();
}

absl::Status SocketServer::Reload() {
  // Each configuration that comes from a file registers here as it is added
  // (tokens, policy): every file is read first, and what was read is put in
  // force only once all of them loaded.
  absl::StatusOr<std::shared_ptr<const TokenSet>> tokens =
      authenticator_->ReadTokens();
  if (!tokens.ok()) return tokens.status();
  absl::StatusOr<PolicyStore::Commit> policy = policy_.PrepareReload();
  if (!policy.ok()) return policy.status();
  authenticator_->InstallTokens(*std::move(tokens));
  std::move(*policy)();
  return absl::OkStatus();
}

}  // namespace socketsvc
