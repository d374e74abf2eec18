// Observes every RPC socketd serves, as a gRPC server interceptor, so that
// no handler has to: counts and times it by method and status code
// (metrics.h), gives it a request id, and logs one line when it fails
// (log.h; one at debug level when it succeeds).
//
// The request id is the client's "x-request-id" metadata when that is 1-64
// characters of [A-Za-z0-9._:-], else 16 random hex digits; socketd sends it
// back as "x-request-id" in the response's initial metadata and writes it in
// every log and audit line of the call (call_registry.h). No payload bytes
// and no credentials are logged. Thread-safe.
#ifndef SOCKETSVC_SERVICE_OPS_RPC_OBSERVER_H_
#define SOCKETSVC_SERVICE_OPS_RPC_OBSERVER_H_

#include <grpcpp/support/server_interceptor.h>

#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "service/ops/metrics.h"

namespace socketsvc {

class RpcObserverFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit RpcObserverFactory(std::shared_ptr<Metrics> metrics)
      : metrics_(std::move(metrics)) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  // Shared: interceptors of calls still finishing may outlive the server's
  // other parts.
  const std::shared_ptr<Metrics> metrics_;
};

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_OPS_RPC_OBSERVER_H_
