// Handle → Session, with the principal that owns each handle.
//
// A handle is visible only to its owner: every other principal gets the same
// NOT_FOUND as for a handle that never existed, so the table is no oracle.
// Thread-safe; the lock is never held during socket I/O.
#ifndef SOCKETSVC_SERVICE_SESSIONS_SESSION_TABLE_H_
#define SOCKETSVC_SERVICE_SESSIONS_SESSION_TABLE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "service/net/transport.h"
#include "service/sessions/session.h"

namespace socketsvc {

class SessionTable {
 public:
  SessionTable(std::string replica_id, SessionLimits limits);

  // Wraps a connected transport in a new Session owned by `owner`.
  absl::StatusOr<std::shared_ptr<Session>> Create(
      absl::string_view owner, absl::string_view peer_name,
      std::unique_ptr<Transport> transport)
      ABSL_LOCKS_EXCLUDED(mu_);

  // The session behind `handle` if `principal` owns it; NOT_FOUND otherwise.
  absl::StatusOr<std::shared_ptr<Session>> Find(absl::string_view handle,
                                                absl::string_view principal)
      ABSL_LOCKS_EXCLUDED(mu_);

  // RESOURCE_EXHAUSTED if a new session would pass --max_sessions; lets
  // Connect refuse before it opens a connection.
  absl::Status CheckCapacity() const ABSL_LOCKS_EXCLUDED(mu_);

  size_t size() const ABSL_LOCKS_EXCLUDED(mu_);

  // Aborts every session (socketd stopping).
  void ShutdownAll() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Remove(const std::string& handle) ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status CapacityLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string replica_id_;
  const SessionLimits limits_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<Session>> sessions_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_SESSIONS_SESSION_TABLE_H_
