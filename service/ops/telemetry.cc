#include "service/ops/telemetry.h"

#include <arpa/inet.h>
#include <google/protobuf/descriptor.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/impl/server_builder_option.h>
#include <grpcpp/resource_quota.h>
#include <netinet/in.h>
#include <prometheus/exposer.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "service/ops/rpc_observer.h"
#include "service/ops/session_census.h"
#include "socketsvc/v1/sockets.grpc.pb.h"

namespace socketsvc {
namespace {

constexpr char kHealthService[] = "grpc.health.v1.Health";
constexpr char kReflectionService[] = "grpc.reflection.v1alpha.ServerReflection";

// Linking gRPC's reflection library registers its plugin with every
// ServerBuilder of the process (a static initializer). This option, given
// to one builder, keeps exactly one reflection plugin or none.
class ReflectionOption : public grpc::ServerBuilderOption {
 public:
  explicit ReflectionOption(bool enabled) : enabled_(enabled) {}

  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    const std::string name = grpc::reflection::ProtoServerReflectionPlugin().name();
    plugins->erase(std::remove_if(plugins->begin(), plugins->end(),
                                  [&name](const std::unique_ptr<grpc::ServerBuilderPlugin>& p) {
                                    return p->name() == name;
                                  }),
                   plugins->end());
    if (enabled_) {
      plugins->push_back(std::make_unique<grpc::reflection::ProtoServerReflectionPlugin>());
    }
  }

 private:
  const bool enabled_;
};

std::string StreamType(const google::protobuf::MethodDescriptor& method) {
  if (method.client_streaming() && method.server_streaming()) return "bidi_stream";
  if (method.client_streaming()) return "client_stream";
  if (method.server_streaming()) return "server_stream";
  return "unary";
}

// Every method the server serves, read from the generated descriptors, so
// RPCs added to the proto are counted under their own names.
std::vector<MethodName> ServedMethods() {
  std::vector<MethodName> methods;
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          v1::SocketService::service_full_name());
  for (int i = 0; service != nullptr && i < service->method_count(); ++i) {
    const google::protobuf::MethodDescriptor& method = *service->method(i);
    methods.push_back(MethodName{service->full_name(), method.name(), StreamType(method)});
  }
  methods.push_back(MethodName{kHealthService, "Check", "unary"});
  methods.push_back(MethodName{kHealthService, "Watch", "server_stream"});
  methods.push_back(MethodName{kReflectionService, "ServerReflectionInfo", "bidi_stream"});
  return methods;
}

// Opens and closes one connection to the metrics endpoint (on loopback when
// it listens on every address). Best effort.
void WakeListener(const std::string& address, int port) {
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, address.c_str(), &to.sin_addr) != 1) return;
  if (to.sin_addr.s_addr == htonl(INADDR_ANY)) to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  ::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof(to));
  ::close(fd);
}

}  // namespace

Telemetry::Telemetry(TelemetryOptions options, const SessionTable& sessions,
                     const ListenerTable& listeners, const HttpServerTable& http_servers)
    : options_(std::move(options)),
      sessions_(sessions),
      listeners_(listeners),
      http_servers_(http_servers),
      metrics_(std::make_shared<Metrics>(ServedMethods(),
                                         [this] { return ReadGauges(); })) {}

Telemetry::~Telemetry() { Stop(); }

absl::Status Telemetry::Validate(const TelemetryOptions& options) {
  if (options.metrics_port < 0 || options.metrics_port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--metrics_port ", options.metrics_port,
                     " is not a port (0 turns the metrics endpoint off)"));
  }
  in_addr ignored{};
  if (options.metrics_port > 0 &&
      inet_pton(AF_INET, options.metrics_address.c_str(), &ignored) != 1) {
    // civetweb, which serves /metrics, is built without IPv6 in Debian.
    return absl::InvalidArgumentError(
        absl::StrCat("--metrics_address '", options.metrics_address,
                     "' must be an IPv4 address (127.0.0.1, 0.0.0.0, ...)"));
  }
  return absl::OkStatus();
}

void Telemetry::ConfigureBuilder(grpc::ServerBuilder& builder) {
  // A process-wide switch that gRPC reads when a server is built (not
  // thread-safe: set once, before the first server).
  static std::once_flag health_enabled;
  std::call_once(health_enabled, [] { grpc::EnableDefaultHealthCheckService(true); });
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      observers;
  observers.push_back(std::make_unique<RpcObserverFactory>(metrics_));
  builder.experimental().SetInterceptorCreators(std::move(observers));
  builder.SetOption(std::make_unique<ReflectionOption>(options_.reflection));
  if (options_.reflection) {
    // Reflection is gRPC's one synchronous service: each open stream holds
    // a thread. Bound them (the callback services use none of these).
    grpc::ResourceQuota quota("socketd-sync-threads");
    quota.SetMaxThreads(kReflectionThreads);
    builder.SetResourceQuota(quota);
  }
}

absl::Status Telemetry::Start(grpc::Server& server) {
  health_ = server.GetHealthCheckService();
  if (health_ != nullptr) {
    health_->SetServingStatus("", true);
    health_->SetServingStatus(v1::SocketService::service_full_name(), true);
  }
  serving_ = true;
  if (options_.metrics_port == 0) return absl::OkStatus();
  const std::string address = absl::StrCat(options_.metrics_address, ":", options_.metrics_port);
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(address, /*num_threads=*/2);
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("cannot serve metrics on ", address,
                                               " (address in use?): ", e.what()));
  }
  exposer_->RegisterCollectable(metrics_->registry());
  exposer_->RegisterCollectable(metrics_->scrape_time());
  const std::vector<int> ports = exposer_->GetListeningPorts();
  metrics_port_ = ports.empty() ? options_.metrics_port : ports.front();
  return absl::OkStatus();
}

void Telemetry::BeginDrain() {
  if (!serving_.exchange(false)) return;
  // NOT_SERVING for every service name, and no later change.
  if (health_ != nullptr) health_->Shutdown();
}

void Telemetry::Stop() {
  if (!exposer_) return;
  // Destroying the exposer joins its threads: no scrape reads the tables
  // afterwards. Its listener thread notices the stop only when poll()
  // returns, which without a connection takes up to 2 s: connections to
  // the endpoint wake it.
  std::atomic<bool> stopped{false};
  std::thread stopper([this, &stopped] {
    exposer_.reset();
    stopped = true;
  });
  while (!stopped) {
    WakeListener(options_.metrics_address, metrics_port_);
    absl::SleepFor(absl::Milliseconds(10));
  }
  stopper.join();
}

GaugeValues Telemetry::ReadGauges() const {
  GaugeValues values;
  values.sessions_by_state = CountSessionsByState(sessions_, kCensusTimeout);
  values.listeners = static_cast<double>(listeners_.size());
  values.http_servers = static_cast<double>(http_servers_.size());
  values.serving = serving_ ? 1 : 0;
  return values;
}

}  // namespace socketsvc
