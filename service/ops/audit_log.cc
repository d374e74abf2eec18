#include "service/ops/audit_log.h"

#include "absl/strings/str_cat.h"
#include "common/socket_error.h"

namespace socketsvc {
namespace {

// The gRPC method path of an audited operation (all are SocketService RPCs).
std::string MethodPath(absl::string_view op) {
  if (op.empty()) return "";
  return absl::StrCat("/socketsvc.v1.SocketService/", op);
}

}  // namespace

std::string HostPort(absl::string_view host, absl::string_view port) {
  if (host.find(':') != absl::string_view::npos && !host.empty() && host[0] != '[') {
    return absl::StrCat("[", host, "]:", port);
  }
  return absl::StrCat(host, ":", port);
}

std::string FormatAuditLine(const AuditEvent& event, const absl::Status& status,
                            absl::Time now) {
  LogLine line(LogLevel::kInfo, "audit", now);
  line.Str("type", "audit").Bool("audit", true);
  line.Str("request_id", event.request_id);
  line.Str("principal", event.principal);
  line.Str("method", MethodPath(event.op));
  line.Str("op", event.op);
  line.Str("caller", event.caller);
  line.Str("target", event.target);
  line.Str("result", status.ok() ? "OK" : absl::StatusCodeToString(status.code()));
  if (status.ok()) {
    line.Str("handle", event.handle);
    line.Str("address", event.address);
    if (event.timed_out) line.Bool("timed_out", true);
  } else {
    if (std::optional<v1::ErrorDetail> detail = GetErrorDetail(status)) {
      if (detail->error() != v1::SOCKET_ERROR_UNSPECIFIED) {
        line.Str("error", v1::SocketError_Name(detail->error()));
      }
      if (detail->os_errno() != 0) line.Str("errno", ErrnoName(detail->os_errno()));
    }
    line.Str("message", status.message());
  }
  return line.Finish();
}

void AuditLog::Record(const AuditEvent& event, const absl::Status& status) const {
  if (!enabled_) return;
  WriteLogText(fd_, FormatAuditLine(event, status, absl::Now()));
}

}  // namespace socketsvc
