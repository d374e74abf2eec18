// Handle → Session, with the principal that owns each handle.
//
// A handle is visible only to its owner: every other principal gets the same
// NOT_FOUND as for a handle that never existed (see OwnedTable).
// Thread-safe; no lock is held during socket I/O.
#ifndef SOCKETSVC_SERVICE_SESSIONS_SESSION_TABLE_H_
#define SOCKETSVC_SERVICE_SESSIONS_SESSION_TABLE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/net/transport.h"
#include "service/sessions/owned_table.h"
#include "service/sessions/session.h"

namespace socketsvc {

class SessionTable {
 public:
  SessionTable(std::string replica_id, SessionLimits limits);

  // Wraps a connected transport in a new Session owned by `owner`;
  // `peer_name` is the host the connection was made to (or came from).
  absl::StatusOr<std::shared_ptr<Session>> Create(
      absl::string_view owner, absl::string_view peer_name,
      std::unique_ptr<Transport> transport);

  // The session behind `handle` if `principal` owns it; NOT_FOUND otherwise.
  absl::StatusOr<std::shared_ptr<Session>> Find(absl::string_view handle,
                                                absl::string_view principal) const {
    return sessions_.Find(handle, principal);
  }

  // RESOURCE_EXHAUSTED if a new session would pass --max_sessions; lets
  // Connect refuse before it opens a connection.
  absl::Status CheckCapacity() const { return sessions_.CheckCapacity(); }
  // Also if `owner` holds --max_sessions_per_principal sessions.
  absl::Status CheckCapacity(absl::string_view owner) const {
    return sessions_.CheckCapacity(owner);
  }

  size_t size() const { return sessions_.size(); }
  // Every session now (the metrics' count by state).
  std::vector<std::shared_ptr<Session>> All() const { return sessions_.All(); }
  // Sessions `owner` holds (released ones no longer count).
  size_t CountOf(absl::string_view owner) const { return sessions_.CountOf(owner); }

  // socketd stopping gracefully: every session drains (Session::Drain) and
  // is aborted if still open at `deadline`; Create refuses from now on with
  // UNAVAILABLE/SHUTTING_DOWN.
  void DrainAll(absl::Time deadline) ABSL_LOCKS_EXCLUDED(mu_);

  // Aborts every session (socketd stopping).
  void ShutdownAll();

 private:
  const std::string replica_id_;
  const SessionLimits limits_;
  OwnedTable<Session> sessions_;
  absl::Mutex mu_;
  // Set by DrainAll.
  std::optional<absl::Time> drain_deadline_ ABSL_GUARDED_BY(mu_);
};

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_SESSIONS_SESSION_TABLE_H_
