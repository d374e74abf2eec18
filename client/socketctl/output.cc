#include "client/socketctl/output.h"

#include <cstdio>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/socketctl/errors.h"

namespace socketsvc::socketctl {

int Report(absl::string_view op, const absl::Status& status) {
  std::fprintf(stderr, "%s\n", ErrorLine(op, status).c_str());
  return ExitCodeFor(status);
}

int UsageError(absl::string_view message) {
  std::fprintf(stderr, "socketctl: %.*s\nRun 'socketctl help' for usage.\n",
               static_cast<int>(message.size()), message.data());
  return kUsageError;
}

std::string HostPort(absl::string_view address, uint32_t port) {
  if (absl::StrContains(address, ':'))
    return absl::StrCat("[", address, "]:", port);
  return absl::StrCat(address, ":", port);
}

bool WriteOut(const std::string& data) {
  if (!data.empty() &&
      std::fwrite(data.data(), 1, data.size(), stdout) != data.size()) {
    return false;
  }
  return std::fflush(stdout) == 0;
}

}  // namespace socketsvc::socketctl
