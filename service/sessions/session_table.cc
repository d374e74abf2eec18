#include "service/sessions/session_table.h"

#include "common/socket_error.h"
#include "service/sessions/handle.h"

namespace socketsvc {

SessionTable::SessionTable(std::string replica_id, SessionLimits limits)
    : replica_id_(std::move(replica_id)),
      limits_(limits),
      sessions_("sockets", "--max_sessions", limits.max_sessions,
                "--max_sessions_per_principal", limits.max_sessions_per_principal) {}

absl::StatusOr<std::shared_ptr<Session>> SessionTable::Create(
    absl::string_view owner, absl::string_view peer_name,
    std::unique_ptr<Transport> transport) {
  {
    absl::MutexLock lock(&mu_);
    if (drain_deadline_) {
      return SocketErrorStatus(absl::StatusCode::kUnavailable,
                               v1::SOCKET_ERROR_SHUTTING_DOWN,
                               "socketd is shutting down");
    }
  }
  std::string handle = NewHandle(HandleKind::kSocket, replica_id_);
  auto session = std::make_shared<Session>(handle, std::string(owner),
                                           std::string(peer_name),
                                           std::move(transport), limits_);
  if (absl::Status inserted = sessions_.Insert(handle, owner, session);
      !inserted.ok()) {
    return inserted;
  }
  // The hook holds the table by pointer: the table outlives its sessions'
  // strands (the server stops the io_context before destroying it).
  session->SetReleaseHook([this, handle] { sessions_.Remove(handle); });
  session->StartIdleTimeout();
  {
    // DrainAll ran meanwhile and may not have seen this session.
    absl::MutexLock lock(&mu_);
    if (drain_deadline_) session->Drain(*drain_deadline_);
  }
  return session;
}

void SessionTable::DrainAll(absl::Time deadline) {
  {
    absl::MutexLock lock(&mu_);
    drain_deadline_ = deadline;
  }
  for (const std::shared_ptr<Session>& session : sessions_.All()) {
    session->Drain(deadline);
  }
}

void SessionTable::ShutdownAll() {
  for (const std::shared_ptr<Session>& session : sessions_.All()) {
    session->Shutdown();
  }
}

}  // namespace socketsvc
