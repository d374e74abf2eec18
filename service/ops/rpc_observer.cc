#include "service/ops/rpc_observer.h"

#include <grpcpp/server_context.h>
#include <grpcpp/support/interceptor.h>

#include <optional>
#include <random>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "common/grpc_status.h"
#include "common/socket_error.h"
#include "service/ops/call_registry.h"
#include "service/ops/log.h"

namespace socketsvc {
namespace {

using grpc::experimental::InterceptionHookPoints;

constexpr absl::string_view kRequestIdKey = "x-request-id";
constexpr size_t kMaxClientRequestId = 64;
// Unknown method paths are the caller's text: logged only this far.
constexpr size_t kMaxLoggedPath = 128;

bool IsAcceptableRequestId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxClientRequestId) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' &&
        c != '_' && c != ':' && c != '-') {
      return false;
    }
  }
  return true;
}

std::string NewRequestId() {
  // Not a secret, only unique enough to tell calls apart in logs.
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return absl::StrFormat("%016x", generator());
}

// Failures socketd should look into are warnings; the rest (a refused
// connection, an unknown handle, a timeout) are the callers' business.
LogLevel FailureLevel(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::DATA_LOSS:
      return LogLevel::kWarning;
    default:
      return LogLevel::kInfo;
  }
}

class RpcObserver : public grpc::experimental::Interceptor {
 public:
  RpcObserver(grpc::experimental::ServerRpcInfo* info, Metrics& metrics)
      : metrics_(metrics),
        context_(info->server_context()),
        path_(info->method() != nullptr ? info->method() : ""),
        method_(*metrics.Find(path_)),
        start_(absl::Now()),
        request_id_(NewRequestId()) {
    // Registered at once, so that the handler finds it whenever it runs;
    // the client's own id replaces it when the metadata is read.
    serial_ = RegisterCall(context_, request_id_);
    metrics_.RecordStart(method_);
  }

  ~RpcObserver() override {
    // A call gRPC ended without a status (its client went away first).
    // gRPC may destroy the interceptor after the context: only its address
    // is used from here on.
    if (!ended_) {
      End(grpc::Status(grpc::StatusCode::CANCELLED, "call ended without a status"),
          /*context_alive=*/false);
    }
    UnregisterCall(context_, serial_);
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      AdoptClientRequestId(*methods->GetRecvInitialMetadata());
    }
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      methods->GetSendInitialMetadata()->emplace(std::string(kRequestIdKey), request_id_);
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      End(methods->GetSendStatus(), /*context_alive=*/true);
    }
    methods->Proceed();
  }

 private:
  void AdoptClientRequestId(
      const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) {
    auto it = metadata.find(grpc::string_ref(kRequestIdKey.data(), kRequestIdKey.size()));
    if (it == metadata.end()) return;
    const absl::string_view value(it->second.data(), it->second.size());
    if (!IsAcceptableRequestId(value) || value == request_id_) return;
    request_id_ = std::string(value);
    // Replaces the record; no principal can have been set yet (the handler
    // runs after the metadata is read).
    serial_ = RegisterCall(context_, request_id_);
  }

  void End(const grpc::Status& status, bool context_alive) {
    if (ended_) return;
    ended_ = true;
    const absl::Duration took = absl::Now() - start_;
    std::string socket_error;
    std::string os_errno;
    if (!status.ok()) {
      if (std::optional<v1::ErrorDetail> detail = GetErrorDetail(FromGrpcStatus(status))) {
        if (detail->error() != v1::SOCKET_ERROR_UNSPECIFIED) {
          socket_error = v1::SocketError_Name(detail->error());
        }
        if (detail->os_errno() != 0) os_errno = ErrnoName(detail->os_errno());
      }
    }
    metrics_.RecordEnd(method_, static_cast<int>(status.error_code()), socket_error, took);
    const LogLevel level = status.ok() ? LogLevel::kDebug : FailureLevel(status.error_code());
    if (!LogEnabled(level)) return;
    LogLine line(level, status.ok() ? "rpc done" : "rpc failed");
    line.Str("request_id", request_id_)
        .Str("principal", CallPrincipal(context_))
        .Str("method", method_.name.service == "unknown"
                           ? absl::string_view(path_).substr(0, kMaxLoggedPath)
                           : absl::string_view(method_.path))
        .Str("code", absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())))
        .Str("error", socket_error)
        .Str("errno", os_errno)
        .Str("message", EdgeMessage(status.error_message()))
        .Double("duration_ms", absl::ToDoubleMilliseconds(took))
        .Str("caller", context_alive ? context_->peer() : "");
    line.Write();
  }

  Metrics& metrics_;
  grpc::ServerContextBase* const context_;
  const std::string path_;
  Metrics::Method& method_;
  const absl::Time start_;
  std::string request_id_;
  uint64_t serial_ = 0;  // Of the call's registration (call_registry.h).
  bool ended_ = false;
};

}  // namespace

grpc::experimental::Interceptor* RpcObserverFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new RpcObserver(info, *metrics_);
}

}  // namespace socketsvc
