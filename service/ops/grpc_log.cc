#include "service/ops/grpc_log.h"

#include <grpc/support/log.h>

#include "service/ops/log.h"

namespace socketsvc {
namespace {

void ToJsonLog(gpr_log_func_args* args) {
  LogLevel level = LogLevel::kError;
  if (args->severity == GPR_LOG_SEVERITY_DEBUG) level = LogLevel::kDebug;
  if (args->severity == GPR_LOG_SEVERITY_INFO) level = LogLevel::kInfo;
  if (!LogEnabled(level)) return;
  LogLine(level, args->message != nullptr ? args->message : "")
      .Str("source", "grpc")
      .Str("file", args->file != nullptr ? args->file : "")
      .Int("line", args->line)
      .Write();
}

}  // namespace

void RouteGrpcLogsToLog() { gpr_set_log_function(&ToJsonLog); }

}  // namespace socketsvc
