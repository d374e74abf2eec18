// The audit log: one JSON object per line on stderr for every Connect,
// Listen, Accept and ServerCreate, written when the RPC completes, in the
// envelope of socketd's log (log.h):
//
//   {"ts":"2024-05-01T12:00:00.123Z","level":"info","msg":"audit",
//    "type":"audit","audit":true,"request_id":"5f0c2a9e41d7b3c8",
//    "principal":"anonymous","method":"/socketsvc.v1.SocketService/Connect",
//    "op":"Connect",
//    "caller":"ipv4:127.0.0.1:40000","target":"example.test:443",
//    "result":"OK","handle":"s1.3f9c…","address":"93.184.216.34:443"}
//
// On failure "result" is the gRPC code name and "error"/"errno"/"message"
// say why. Keys with nothing to say are left out. Audit lines are written
// whatever --log_level says. A line is written with one write(2), so lines
// from several threads never interleave.
//
// Thread-safe.
#ifndef SOCKETSVC_SERVICE_OPS_AUDIT_LOG_H_
#define SOCKETSVC_SERVICE_OPS_AUDIT_LOG_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "service/ops/log.h"

namespace socketsvc {

// What one audited call was about, collected by its handler.
struct AuditEvent {
  std::string op;         // "Connect", "Listen", "Accept", "ServerCreate"
  std::string principal;  // who called
  std::string caller;     // the gRPC peer ("ipv4:127.0.0.1:40000")
  // What the caller asked for: the destination (host:port) of a Connect,
  // the bind address:port of Listen/ServerCreate, the listener of Accept.
  std::string target;
  // What it got, when it succeeded.
  std::string handle;   // "s1.…", "l1.…", "h1.…"
  std::string address;  // connected remote / bound local / accepted peer
  // Accept only: no connection came within the call's timeout.
  bool timed_out = false;
  // The RPC's request id (call_registry.h); may be empty. Last, so that
  // positional initializers of the fields above keep working.
  std::string request_id;
};

// The line (with its '\n') for `event` finished with `status` at `now`.
// Pure.
std::string FormatAuditLine(const AuditEvent& event, const absl::Status& status,
                            absl::Time now);

// "host:port", with an IPv6 literal in brackets ("[::1]:80").
std::string HostPort(absl::string_view host, absl::string_view port);

class AuditLog {
 public:
  // `fd` receives the lines (stderr by default); disabled writes nothing.
  explicit AuditLog(bool enabled, int fd = 2) : enabled_(enabled), fd_(fd) {}

  bool enabled() const { return enabled_; }

  // Writes the line of `event` finished with `status`.
  void Record(const AuditEvent& event, const absl::Status& status) const;

 private:
  const bool enabled_;
  const int fd_;
};

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_OPS_AUDIT_LOG_H_
