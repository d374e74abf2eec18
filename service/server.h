// socketd as an object: the I/O thread pool, the session table and the gRPC
// server, started and stopped together. main.cc runs one; end-to-end tests
// run one in-process on port 0. Thread-safe.
#ifndef SOCKETSVC_SERVICE_SERVER_H_
#define SOCKETSVC_SERVICE_SERVER_H_

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <grpcpp/server.h>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "service/api/auth_gate.h"
#include "service/api/socket_service.h"
#include "service/auth/authenticator.h"
#include "service/http/http_limits.h"
#include "service/http/http_server_table.h"
#include "service/net/resolver.h"
#include "service/ops/telemetry.h"
#include "service/policy/policy_store.h"
#include "service/routing/routing.h"
#include "service/sessions/listener_table.h"
#include "service/sessions/session_table.h"
#include "service/tls/tls_client_context.h"

namespace socketsvc {

struct ServerOptions {
  // host:port for gRPC; port 0 picks a free one (see SocketServer::port()).
  std::string listen = "127.0.0.1:50051";
  // Threads running socket I/O; pending calls hold none of them.
  int io_threads = 2;
  // Prefix of this replica's handles ("s1.…").
  std::string replica_id = "1";
  ServiceOptions service;
  SessionLimits session;
  ListenerLimits listener;
  // HTTP server instances (ServerCreate): defaults and bounds of their limits.
  HttpServerDefaults http;
  // Name lookups: threads, queue bound (and a test seam for the lookups).
  ResolverOptions resolver;
  // Trusted CAs for TLS connections (default: the system's).
  TlsTrustOptions tls_trust;
  // Egress/listen policy file (text format, proto/socketsvc/v1/policy.proto),
  // re-read by Reload; empty: the built-in policy.
  std::string policy_file;
  // Who may call: TLS/mutual TLS on the gRPC listener, bearer tokens.
  AuthOptions auth;
  // Other replicas: forwarding calls for their handles, the peer listener
  // (docs/scaling.md).
  RoutingOptions routing;
  // Metrics endpoint and reflection (health is always on).
  TelemetryOptions telemetry;
};

class SocketServer {
 public:
  static absl::StatusOr<std::unique_ptr<SocketServer>> Start(
      ServerOptions options);
  ~SocketServer();

  // The bound gRPC port.
  int port() const { return port_; }
  // The bound peer listener port (--peer_listen), 0 without one.
  int peer_port() const { return routing_ ? routing_->peer_port() : 0; }
  // The bound metrics port (--metrics_port), 0 without an endpoint.
  int metrics_port() const { return telemetry_ ? telemetry_->metrics_port() : 0; }
  // Number of live sessions.
  size_t session_count() const { return table_.size(); }

  // Stops taking calls; within `grace` (the drain timeout) lets in-flight
  // calls finish and closes every session COMPLETE (FIN, drain until the
  // peer's EOF); aborts (RST) whatever is still open then, and stops the I/O
  // threads. Zero grace aborts at once. Idempotent.
  void Shutdown(absl::Duration grace) ABSL_LOCKS_EXCLUDED(mu_);

  // Re-reads every configuration file socketd was started with (SIGHUP).
  // All of them load, or none changes.
  absl::Status Reload();

 private:
  SocketServer(const ServerOptions& options, TlsClientContext tls_context,
               std::shared_ptr<const Policy> policy);

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type>
      work_;
  SessionTable table_;
  ListenerTable listeners_;
  HttpServerTable http_servers_;
  // After io_ (it posts answers there), before service_ (which uses it).
  Resolver resolver_;
  const TlsClientContext tls_context_;
  PolicyStore policy_;  // Before service_, which uses it.
  SocketServiceImpl service_;
  // Set by Start; the gate is the service gRPC calls, in front of service_.
  std::unique_ptr<Authenticator> authenticator_;
  // Forwarding to peers and the peer listener; set by Start.
  std::unique_ptr<Routing> routing_;
  std::unique_ptr<AuthGate> auth_gate_;
  // Before grpc_server_, which calls into it until destroyed.
  std::unique_ptr<Telemetry> telemetry_;
  std::unique_ptr<grpc::Server> grpc_server_;
  std::vector<std::thread> io_threads_;
  int port_ = 0;
  absl::Mutex mu_;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_SERVER_H_
