#include "service/sessions/listener_table.h"

#include "service/sessions/handle.h"

namespace socketsvc {

ListenerTable::ListenerTable(boost::asio::any_io_executor executor,
                             std::string replica_id, ListenerLimits limits)
    : executor_(std::move(executor)),
      replica_id_(std::move(replica_id)),
      limits_(limits),
      listeners_("listeners", "--max_listeners", limits.max_listeners) {}

absl::StatusOr<std::shared_ptr<Listener>> ListenerTable::Create(
    absl::string_view owner, const boost::asio::ip::tcp::endpoint& bind,
    uint32_t backlog) {
  if (absl::Status capacity = listeners_.CheckCapacity(); !capacity.ok()) {
    return capacity;
  }
  std::string handle = NewHandle(HandleKind::kListener, replica_id_);
  absl::StatusOr<std::shared_ptr<Listener>> listener =
      Listener::Create(executor_, handle, std::string(owner), bind, backlog,
                       limits_.max_queued_accepts);
  if (!listener.ok()) return listener.status();
  if (absl::Status inserted = listeners_.Insert(handle, owner, *listener);
      !inserted.ok()) {
    (*listener)->Shutdown();
    return inserted;
  }
  (*listener)->SetReleaseHook([this, handle] { listeners_.Remove(handle); });
  return listener;
}

void ListenerTable::ShutdownAll() {
  for (const std::shared_ptr<Listener>& listener : listeners_.All()) {
    listener->Shutdown();
  }
}

}  // namespace socketsvc
