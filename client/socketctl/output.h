// What socketctl prints: error lines with their exit codes, and the bits of
// formatting that several commands share.
#ifndef SOCKETSVC_CLIENT_SOCKETCTL_OUTPUT_H_
#define SOCKETSVC_CLIENT_SOCKETCTL_OUTPUT_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace socketsvc::socketctl {

// Prints the error line of a failed `op` on stderr and returns its exit code.
int Report(absl::string_view op, const absl::Status& status);

// Prints "socketctl: MESSAGE" and a pointer to `help` on stderr; returns
// kUsageError.
int UsageError(absl::string_view message);

// "1.2.3.4:80" or "[::1]:80".
std::string HostPort(absl::string_view address, uint32_t port);

// Writes all of `data` to stdout and flushes; false on a write error (errno
// tells which).
bool WriteOut(const std::string& data);

}  // namespace socketsvc::socketctl

#endif  // SOCKETSVC_CLIENT_SOCKETCTL_OUTPUT_H_
