#include "service/server.h"

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "service/sessions/handle.h"

namespace socketsvc {
namespace {

// Room for the other fields of a Send or Receive message around its data.
constexpr int kMessageOverhead = 64 * 1024;

}  // namespace

SocketServer::SocketServer(const ServerOptions& options,
                           TlsClientContext tls_context)
    : work_(boost::asio::make_work_guard(io_)),
      table_(options.replica_id, options.session),
      listeners_(io_.get_executor(), options.replica_id, options.listener),
      http_servers_(io_.get_executor(), options.replica_id, options.http),
      resolver_(options.resolver),
      tls_context_(std::move(tls_context)),
      service_(io_.get_executor(), table_, listeners_, resolver_, tls_context_,
               options.service, http_servers_) {}

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
  absl::StatusOr<TlsClientContext> tls_context =
      TlsClientContext::Create(options.tls_trust);
  if (!tls_context.ok()) return tls_context.status();
  std::unique_ptr<SocketServer> server(
      new SocketServer(options, std::move(*tls_context)));
  for (int i = 0; i < options.io_threads; ++i) {
    server->io_threads_.emplace_back([io = &server->io_] { io->run(); });
  }
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, grpc::InsecureServerCredentials(),
                           &server->port_);
  builder.RegisterService(&server->service_);
  // HTTP server RPCs carry whole request and response bodies.
  const int max_message = static_cast<int>(
      std::max<size_t>(std::max(options.service.max_send_bytes,
                                options.service.max_receive_bytes) +
                           kMessageOverhead,
                       MaxHttpMessageBytes(options.http)));
  builder.SetMaxReceiveMessageSize(max_message);
  builder.SetMaxSendMessageSize(max_message);
  server->grpc_server_ = builder.BuildAndStart();
  if (!server->grpc_server_ || server->port_ == 0) {
    server->Shutdown(absl::ZeroDuration());
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen,
                     " (address in use, or not a host:port?)"));
  }
  return server;
}

SocketServer::~SocketServer() { Shutdown(absl::ZeroDuration()); }

void SocketServer::Shutdown(absl::Duration grace) {
  {
    absl::MutexLock lock(&mu_);
    if (shut_down_) return;
    shut_down_ = true;
  }
  if (grpc_server_) {
    // Cancels calls still running after `grace`; their reactors complete
    // through the sessions' strands, so the I/O threads keep running.
    grpc_server_->Shutdown(std::chrono::system_clock::now() +
                           absl::ToChronoMilliseconds(grace));
  }
  // Lookups still waiting are answered SHUTTING_DOWN while the I/O threads
  // still run; one still inside getaddrinfo is joined by ~Resolver.
  resolver_.Shutdown();
  listeners_.ShutdownAll();
  http_servers_.ShutdownAll();
  table_.ShutdownAll();
  work_.reset();
  // Released sockets end their waits; give the threads a moment to run out
  // of work, then stop whatever is left.
  const absl::Time limit = absl::Now() + absl::Seconds(2);
  while (!io_.stopped() && absl::Now() < limit) absl::SleepFor(absl::Milliseconds(5));
  io_.stop();
  for (std::thread& thread : io_threads_) thread.join();
  io_threads_.clear();
  if (grpc_server_) grpc_server_->Wait();
}

absl::Status SocketServer::Reload() {
  // Each configuration that comes from a file registers here as it is added
  // (tokens, policy); with none, a reload has nothing to do.
  return absl::OkStatus();
}

}  // namespace socketsvc
