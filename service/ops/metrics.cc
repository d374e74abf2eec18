#include "service/ops/metrics.h"

#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "service/ops/counters.h"

namespace socketsvc {
namespace {

constexpr int kCodes = 17;  // OK .. UNAUTHENTICATED

std::string CodeName(int code) {
  if (code < 0 || code >= kCodes) return "UNKNOWN";
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

prometheus::ClientMetric Value(double value, std::vector<prometheus::ClientMetric::Label> labels = {}) {
  prometheus::ClientMetric metric;
  metric.label = std::move(labels);
  metric.counter.value = value;
  metric.gauge.value = value;
  return metric;
}

prometheus::MetricFamily Family(std::string name, std::string help,
                                prometheus::MetricType type,
                                std::vector<prometheus::ClientMetric> metrics) {
  prometheus::MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = type;
  family.metric = std::move(metrics);
  return family;
}

}  // namespace

const std::vector<std::string>& SessionStateNames() {
  static const auto* const names = new std::vector<std::string>{
      "connecting", "open", "half_closed", "peer_closed", "both_closed", "closing", "broken"};
  return *names;
}

// The values that live outside the registry: counters.h's sums and the
// tables' sizes, read when scraped.
class Metrics::ScrapeTime : public prometheus::Collectable {
 public:
  explicit ScrapeTime(GaugeSource gauges) : gauges_(std::move(gauges)) {}

  std::vector<prometheus::MetricFamily> Collect() const override {
    using prometheus::MetricType;
    std::vector<prometheus::MetricFamily> out;
    out.push_back(Family(
        "socketd_socket_bytes_total",
        "Payload bytes through the sockets socketd holds for callers (TLS: "
        "plaintext); in = read from peers, out = written to peers.",
        MetricType::Counter,
        {Value(static_cast<double>(OpsCounterValue(OpsCounter::kSocketBytesIn)),
               {{"direction", "in"}}),
         Value(static_cast<double>(OpsCounterValue(OpsCounter::kSocketBytesOut)),
               {{"direction", "out"}})}));
    out.push_back(Family("socketd_idle_reaps_total",
                         "Sockets reset and released by their idle timeout.",
                         MetricType::Counter,
                         {Value(static_cast<double>(
                             OpsCounterValue(OpsCounter::kIdleReaps)))}));
    if (!gauges_) return out;
    const GaugeValues values = gauges_();
    std::vector<prometheus::ClientMetric> sessions;
    for (const std::string& state : SessionStateNames()) {
      auto it = values.sessions_by_state.find(state);
      sessions.push_back(Value(it == values.sessions_by_state.end() ? 0 : it->second,
                               {{"state", state}}));
    }
    out.push_back(Family("socketd_sessions", "Sockets socketd holds, by state.",
                         MetricType::Gauge, std::move(sessions)));
    out.push_back(Family("socketd_listeners", "Listening sockets (Listen).",
                         MetricType::Gauge, {Value(values.listeners)}));
    out.push_back(Family("socketd_http_servers", "HTTP server instances (ServerCreate).",
                         MetricType::Gauge, {Value(values.http_servers)}));
    out.push_back(Family("socketd_serving",
                         "1 while the health service answers SERVING; 0 once "
                         "socketd drains (SIGTERM).",
                         MetricType::Gauge, {Value(values.serving)}));
    return out;
  }

 private:
  const GaugeSource gauges_;
};

const std::vector<double>& Metrics::LatencyBuckets() {
  static const auto* const buckets = new std::vector<double>{
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
      0.25,   0.5,   1,      2.5,   5,    10,    30,    60, 300};
  return *buckets;
}

Metrics::Metrics(const std::vector<MethodName>& methods, GaugeSource gauges)
    : registry_(std::make_shared<prometheus::Registry>()),
      started_(prometheus::BuildCounter()
                   .Name("grpc_server_started_total")
                   .Help("RPCs started on the server.")
                   .Register(*registry_)),
      handled_(prometheus::BuildCounter()
                   .Name("grpc_server_handled_total")
                   .Help("RPCs completed on the server, by status code.")
                   .Register(*registry_)),
      handling_(prometheus::BuildHistogram()
                    .Name("grpc_server_handling_seconds")
                    .Help("Time from the start of an RPC to its status (a "
                          "stream: its whole life).")
                    .Register(*registry_)),
      errors_(prometheus::BuildCounter()
                  .Name("socketd_rpc_errors_total")
                  .Help("Failed RPCs by status code and socket error.")
                  .Register(*registry_)),
      denials_(prometheus::BuildCounter()
                   .Name("socketd_policy_denials_total")
                   .Help("RPCs refused by the egress/listen policy "
                         "(SOCKET_ERROR_POLICY_DENIED).")
                   .Register(*registry_)),
      scrape_time_(std::make_shared<ScrapeTime>(std::move(gauges))) {
  for (const MethodName& name : methods) {
    Method& method = AddMethod(name);
    by_path_.emplace(method.path, &method);
  }
  unknown_ = &AddMethod(MethodName{"unknown", "unknown", "unknown"});
}

Metrics::Method& Metrics::AddMethod(const MethodName& name) {
  auto method = std::make_unique<Method>();
  method->name = name;
  method->path = absl::StrCat("/", name.service, "/", name.method);
  const prometheus::Labels labels{{"grpc_type", name.type},
                                  {"grpc_service", name.service},
                                  {"grpc_method", name.method}};
  method->started = &started_.Add(labels);
  method->handling = &handling_.Add(labels, LatencyBuckets());
  methods_.push_back(std::move(method));
  return *methods_.back();
}

Metrics::Method* Metrics::Find(absl::string_view path) {
  auto it = by_path_.find(path);
  return it == by_path_.end() ? unknown_ : it->second;
}

prometheus::Counter& Metrics::Handled(Method& method, int grpc_code) {
  if (grpc_code < 0 || grpc_code >= kCodes) grpc_code = 2;  // UNKNOWN
  std::atomic<prometheus::Counter*>& slot = method.handled[grpc_code];
  if (prometheus::Counter* counter = slot.load(std::memory_order_acquire)) return *counter;
  // Family::Add returns the existing series for the same labels, so two
  // threads racing here store the same pointer.
  prometheus::Counter& counter = handled_.Add({{"grpc_type", method.name.type},
                                               {"grpc_service", method.name.service},
                                               {"grpc_method", method.name.method},
                                               {"grpc_code", CodeName(grpc_code)}});
  slot.store(&counter, std::memory_order_release);
  return counter;
}

void Metrics::RecordStart(Method& method) { method.started->Increment(); }

void Metrics::RecordEnd(Method& method, int grpc_code, absl::string_view socket_error,
                        absl::Duration took) {
  Handled(method, grpc_code).Increment();
  method.handling->Observe(absl::ToDoubleSeconds(took));
  if (grpc_code == 0) return;
  errors_
      .Add({{"grpc_service", method.name.service},
            {"grpc_method", method.name.method},
            {"grpc_code", CodeName(grpc_code)},
            {"socket_error", socket_error.empty() ? "none" : std::string(socket_error)}})
      .Increment();
  if (socket_error == "SOCKET_ERROR_POLICY_DENIED") {
    denials_.Add({{"grpc_method", method.name.method}}).Increment();
  }
}

}  // namespace socketsvc
