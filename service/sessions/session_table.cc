#include "service/sessions/session_table.h"

#include "absl/strings/str_cat.h"
#include "common/socket_error.h"
#include "common/status_macros.h"
#include "service/sessions/handle.h"

namespace socketsvc {
namespace {

absl::Status UnknownHandle() {
  return SocketErrorStatus(absl::StatusCode::kNotFound, v1::SOCKET_ERROR_INVALID_HANDLE,
                           "no such handle");
}

}  // namespace

SessionTable::SessionTable(std::string replica_id, SessionLimits limits)
    : replica_id_(std::move(replica_id)), limits_(limits) {}

absl::StatusOr<std::shared_ptr<Session>> SessionTable::Create(
    absl::string_view owner, absl::string_view peer_name,
    std::unique_ptr<Transport> transport) {
  std::string handle = NewHandle(HandleKind::kSocket, replica_id_);
  auto session = std::make_shared<Session>(handle, std::string(owner),
                                           std::string(peer_name),
                                           std::move(transport), limits_);
  {
    absl::MutexLock lock(&mu_);
    RETURN_IF_ERROR(CapacityLocked());
    sessions_.emplace(handle, session);
  }
  // The hook holds the table by pointer: the table outlives its sessions'
  // strands (the server stops the io_context before destroying it).
  session->SetReleaseHook([this, handle] { Remove(handle); });
  return session;
}

absl::StatusOr<std::shared_ptr<Session>> SessionTable::Find(
    absl::string_view handle, absl::string_view principal) {
  absl::MutexLock lock(&mu_);
  auto it = sessions_.find(handle);
  if (it == sessions_.end() || it->second->owner() != principal) {
    return UnknownHandle();
  }
  return it->second;
}

absl::Status SessionTable::CheckCapacity() const {
  absl::MutexLock lock(&mu_);
  return CapacityLocked();
}

absl::Status SessionTable::CapacityLocked() const {
  if (sessions_.size() < limits_.max_sessions) return absl::OkStatus();
  return SocketErrorStatus(
      absl::StatusCode::kResourceExhausted, v1::SOCKET_ERROR_LIMIT_EXCEEDED,
      absl::StrCat("socketd holds its maximum of ", limits_.max_sessions,
                   " sockets (--max_sessions)"));
}

size_t SessionTable::size() const {
  absl::MutexLock lock(&mu_);
  return sessions_.size();
}

void SessionTable::ShutdownAll() {
  std::vector<std::shared_ptr<Session>> sessions;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [handle, session] : sessions_) sessions.push_back(session);
  }
  for (auto& session : sessions) session->Shutdown();
}

void SessionTable::Remove(const std::string& handle) {
  absl::MutexLock lock(&mu_);
  sessions_.erase(handle);
}

}  // namespace socketsvc
