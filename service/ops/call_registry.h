// What one RPC's log lines need to know about it, shared between the RPC
// observer (rpc_observer.h, a gRPC interceptor that sees every call begin
// and end) and the handlers (which learn who called, and write the audit
// log).
//
// Calls are keyed by their server context. The observer registers a call
// with its request id when gRPC creates the call and unregisters it when
// the call is done; AuthGate (through ScopedPrincipal) records the principal
// once it has authenticated the call. Lookups of an unregistered context
// find nothing, so a server without the observer (some tests) works the
// same, without request ids. Thread-safe; sharded locks, held only for a
// hash lookup.
#ifndef SOCKETSVC_SERVICE_OPS_CALL_REGISTRY_H_
#define SOCKETSVC_SERVICE_OPS_CALL_REGISTRY_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace grpc {
class ServerContextBase;
}  // namespace grpc

namespace socketsvc {

// Starts (or replaces) the record of the call `context` belongs to;
// returns the registration's serial number, unique in the process.
uint64_t RegisterCall(const grpc::ServerContextBase* context, std::string request_id);

// Ends it. A context's memory may be reused by a new call before the old
// call's observer goes away: only the registration `serial` is removed.
void UnregisterCall(const grpc::ServerContextBase* context, uint64_t serial);

// The authenticated principal of the call (no-op if unregistered).
void SetCallPrincipal(const grpc::ServerContextBase* context,
                      absl::string_view principal);

// The call's request id and principal; empty if unregistered or unknown.
std::string CallRequestId(const grpc::ServerContextBase* context);
std::string CallPrincipal(const grpc::ServerContextBase* context);

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_OPS_CALL_REGISTRY_H_
