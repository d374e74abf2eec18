#include "service/sessions/session_table.h"

#include "service/sessions/handle.h"

namespace socketsvc {

SessionTable::SessionTable(std::string replica_id, SessionLimits limits)
    : replica_id_(std::move(replica_id)),
      limits_(limits),
      sessions_("sockets", "--max_sessions", limits.max_sessions) {}

absl::StatusOr<std::shared_ptr<Session>> SessionTable::Create(
    absl::string_view owner, absl::string_view peer_name,
    std::unique_ptr<Transport> transport) {
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
  return session;
}

void SessionTable::ShutdownAll() {
  for (const std::shared_ptr<Session>& session : sessions_.All()) {
    session->Shutdown();
  }
}

}  // namespace socketsvc
