// Opaque handles: a kind letter, the owning replica, 128 random bits.
//
// "s1.3f9c..." is a socket created by replica "1". Handles are never
// sequential, so one caller cannot guess another's. Thread-safe.
#ifndef SOCKETSVC_SERVICE_SESSIONS_HANDLE_H_
#define SOCKETSVC_SERVICE_SESSIONS_HANDLE_H_

#include <string>

#include "absl/strings/string_view.h"

namespace socketsvc {

enum class HandleKind : char {
  kSocket = 's',
  kListener = 'l',
  kHttpServer = 'h',
  // One HTTP request handed out by ServerReceive, answered by ServerSend.
  kHttpRequest = 'r',
};

// A fresh handle for `replica_id` (letters and digits, checked by the caller).
std::string NewHandle(HandleKind kind, absl::string_view replica_id);

// True if `handle` has the shape of a handle (kind, replica, 32 hex digits);
// says nothing about whether it exists.
bool IsWellFormedHandle(absl::string_view handle);

// True if `handle` names a listener ("l…"); says nothing about existence.
inline bool IsListenerHandle(absl::string_view handle) {
  return !handle.empty() && handle[0] == static_cast<char>(HandleKind::kListener);
}

// True if `id` may name a replica: 1 to 16 lowercase letters or digits.
bool IsValidReplicaId(absl::string_view id);

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_SESSIONS_HANDLE_H_
