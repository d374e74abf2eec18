// socketd's Prometheus metrics (prometheus-cpp's registry), served as text
// exposition format 0.0.4 by the exposer in telemetry.h.
//
// RPC metrics follow the names of the gRPC ecosystem's Prometheus
// interceptors (go-grpc-prometheus), so existing dashboards work:
//   grpc_server_started_total{grpc_type,grpc_service,grpc_method}
//   grpc_server_handled_total{grpc_type,grpc_service,grpc_method,grpc_code}
//   grpc_server_handling_seconds{grpc_type,grpc_service,grpc_method} (histogram)
// socketd's own:
//   socketd_rpc_errors_total{grpc_method,grpc_code,socket_error}
//   socketd_policy_denials_total{grpc_method}
//   socketd_socket_bytes_total{direction="in"|"out"}, socketd_idle_reaps_total
//     (counters.h, read at scrape time)
//   socketd_sessions{state}, socketd_listeners, socketd_http_servers,
//   socketd_serving (gauges computed at scrape time by a GaugeSource)
// grpc_code values are gRPC's canonical code names ("OK", "NOT_FOUND").
//
// Label values come only from fixed sets (the methods registered at
// construction, code and error enums): a caller cannot create series by
// calling made-up method names. Thread-safe.
#ifndef SOCKETSVC_SERVICE_OPS_METRICS_H_
#define SOCKETSVC_SERVICE_OPS_METRICS_H_

#include <array>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace socketsvc {

// A gRPC method socketd serves.
struct MethodName {
  std::string service;  // "socketsvc.v1.SocketService"
  std::string method;   // "Connect"
  std::string type;     // "unary", "client_stream", "server_stream", "bidi_stream"
};

// Values read from socketd's tables when /metrics is scraped.
struct GaugeValues {
  // Sessions by lower-case state name ("open", "half_closed", ...).
  std::map<std::string, double> sessions_by_state;
  double listeners = 0;
  double http_servers = 0;
  // 1 while the health service says SERVING, 0 once draining.
  double serving = 0;
};
using GaugeSource = std::function<GaugeValues()>;

// Lower-case state names that socketd_sessions always reports (0 when none).
const std::vector<std::string>& SessionStateNames();

class Metrics {
 public:
  // The series of one method, created up front.
  struct Method {
    MethodName name;
    std::string path;  // "/socketsvc.v1.SocketService/Connect"
    prometheus::Counter* started = nullptr;
    prometheus::Histogram* handling = nullptr;
    // grpc_server_handled_total by code, created on first use.
    std::array<std::atomic<prometheus::Counter*>, 17> handled{};
  };

  // `methods` are every method the server registers; anything else a
  // caller names is counted as service and method "unknown".
  // `gauges` runs at every scrape (on the exposer's thread).
  Metrics(const std::vector<MethodName>& methods, GaugeSource gauges);
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // What the exposer serves.
  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }
  std::shared_ptr<prometheus::Collectable> scrape_time() const { return scrape_time_; }

  // The entry of a method path as gRPC names it; the "unknown" entry for a
  // path that was not registered. Never null.
  Method* Find(absl::string_view path);

  void RecordStart(Method& method);
  // `socket_error` is the SocketError name of a failure ("" if none).
  void RecordEnd(Method& method, int grpc_code, absl::string_view socket_error,
                 absl::Duration took);

  // Buckets of grpc_server_handling_seconds: from 0.5 ms to the 5-minute
  // default wait of a blocking call.
  static const std::vector<double>& LatencyBuckets();

 private:
  class ScrapeTime;
  Method& AddMethod(const MethodName& name);
  prometheus::Counter& Handled(Method& method, int grpc_code);

  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& started_;
  prometheus::Family<prometheus::Counter>& handled_;
  prometheus::Family<prometheus::Histogram>& handling_;
  prometheus::Family<prometheus::Counter>& errors_;
  prometheus::Family<prometheus::Counter>& denials_;
  // Fixed after construction: lookups take no lock.
  std::vector<std::unique_ptr<Method>> methods_;
  absl::flat_hash_map<std::string, Method*> by_path_;
  Method* unknown_ = nullptr;
  std::shared_ptr<prometheus::Collectable> scrape_time_;
};

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_OPS_METRICS_H_
