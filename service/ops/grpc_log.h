// gRPC's own log lines (gpr_log: connection errors, misuse reports) go
// through socketd's JSON log (log.h) instead of gRPC's text format, so
// that every line socketd writes on stderr parses as JSON (apart from the
// readiness lines "socketd: listening on ..."). gRPC decides what it logs
// (GRPC_VERBOSITY, default ERROR); --log_level still filters. Call once,
// before the server starts. Thread-safe afterwards.
#ifndef SOCKETSVC_SERVICE_OPS_GRPC_LOG_H_
#define SOCKETSVC_SERVICE_OPS_GRPC_LOG_H_

namespace socketsvc {

void RouteGrpcLogsToLog();

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_OPS_GRPC_LOG_H_
