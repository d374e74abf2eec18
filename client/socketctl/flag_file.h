// Files named by socketctl flags (PEM files, token files).
#ifndef SOCKETSVC_CLIENT_SOCKETCTL_FLAG_FILE_H_
#define SOCKETSVC_CLIENT_SOCKETCTL_FLAG_FILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace socketsvc::socketctl {

// The whole of `path`, or INVALID_ARGUMENT naming `flag` and the reason
// (unreadable, or empty: no flag file may be empty).
absl::StatusOr<std::string> ReadFlagFile(absl::string_view flag,
                                         const std::string& path);

}  // namespace socketsvc::socketctl

#endif  // SOCKETSVC_CLIENT_SOCKETCTL_FLAG_FILE_H_
