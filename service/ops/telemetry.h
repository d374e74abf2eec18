// Everything socketd tells operators about itself, wired into its gRPC
// server: the grpc.health.v1.Health service, server reflection, the RPC
// observer (metrics and logs of every call, rpc_observer.h) and Prometheus
// /metrics over HTTP.
//
// Health: "" and "socketsvc.v1.SocketService" answer SERVING from the start
// until the drain begins (SIGTERM), NOT_SERVING from then on; Watch streams
// see the change. Like reflection it needs no credentials (Kubernetes
// probes have none); neither reveals anything about callers or sockets.
// Reflection (grpc.reflection.v1alpha) is off unless asked for: it serves
// the API's schema to anyone who can reach the port, and gRPC runs it on
// threads of its own, at most kReflectionThreads.
//
// Thread-safe.
#ifndef SOCKETSVC_SERVICE_OPS_TELEMETRY_H_
#define SOCKETSVC_SERVICE_OPS_TELEMETRY_H_

#include <atomic>
#include <memory>
#include <string>

#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include "absl/status/status.h"
#include "service/http/http_server_table.h"
#include "service/ops/metrics.h"
#include "service/sessions/listener_table.h"
#include "service/sessions/session_table.h"

namespace prometheus {
class Exposer;
}  // namespace prometheus

namespace socketsvc {

struct TelemetryOptions {
  // GET /metrics on metrics_address:metrics_port; 0: no metrics endpoint.
  int metrics_port = 0;
  std::string metrics_address = "127.0.0.1";
  // Registers grpc.reflection.v1alpha.ServerReflection.
  bool reflection = false;
};

class Telemetry {
 public:
  // Reflection streams gRPC serves at once; more wait for a thread.
  static constexpr int kReflectionThreads = 8;
  // How long a scrape waits for the sessions' states.
  static constexpr absl::Duration kCensusTimeout = absl::Seconds(2);

  // The tables must outlive the Telemetry.
  Telemetry(TelemetryOptions options, const SessionTable& sessions,
            const ListenerTable& listeners, const HttpServerTable& http_servers);
  ~Telemetry();
  Telemetry(const Telemetry&) = delete;
  Telemetry& operator=(const Telemetry&) = delete;

  // Checks the options (before anything starts).
  static absl::Status Validate(const TelemetryOptions& options);

  // Before BuildAndStart: the observer, the health service, reflection.
  void ConfigureBuilder(grpc::ServerBuilder& builder);
  // After BuildAndStart: health SERVING, then the metrics endpoint, whose
  // port may be taken (UNAVAILABLE).
  absl::Status Start(grpc::Server& server);
  // The drain began: health NOT_SERVING from now on. Idempotent.
  void BeginDrain();
  // Closes the metrics endpoint. Idempotent.
  void Stop();

  // The bound metrics port; 0 when there is no endpoint.
  int metrics_port() const { return metrics_port_; }
  const std::shared_ptr<Metrics>& metrics() const { return metrics_; }

 private:
  GaugeValues ReadGauges() const;

  const TelemetryOptions options_;
  const SessionTable& sessions_;
  const ListenerTable& listeners_;
  const HttpServerTable& http_servers_;
  std::shared_ptr<Metrics> metrics_;
  grpc::HealthCheckServiceInterface* health_ = nullptr;  // Owned by the server.
  std::atomic<bool> serving_{false};
  std::unique_ptr<prometheus::Exposer> exposer_;
  int metrics_port_ = 0;
};

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_OPS_TELEMETRY_H_
