// Listeners by handle ("l1.…"), each owned by the principal that made it.
// Thread-safe.
#ifndef SOCKETSVC_SERVICE_SESSIONS_LISTENER_TABLE_H_
#define SOCKETSVC_SERVICE_SESSIONS_LISTENER_TABLE_H_

#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/sessions/listener.h"
#include "service/sessions/owned_table.h"

namespace socketsvc {

struct ListenerLimits {
  // Listeners socketd holds at most, over all callers.
  size_t max_listeners = 1024;
  // Accept calls that may wait on one listener.
  size_t max_queued_accepts = 64;
};

class ListenerTable {
 public:
  ListenerTable(boost::asio::any_io_executor executor, std::string replica_id,
                ListenerLimits limits);

  absl::StatusOr<std::shared_ptr<Listener>> Create(
      absl::string_view owner, const boost::asio::ip::tcp::endpoint& bind,
      uint32_t backlog);

  absl::StatusOr<std::shared_ptr<Listener>> Find(absl::string_view handle,
                                                 absl::string_view principal) const {
    return listeners_.Find(handle, principal);
  }

  size_t size() const { return listeners_.size(); }

  // Stops every listener (socketd stopping).
  void ShutdownAll();

 private:
  boost::asio::any_io_executor executor_;
  const std::string replica_id_;
  const ListenerLimits limits_;
  OwnedTable<Listener> listeners_;
};

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_SESSIONS_LISTENER_TABLE_H_
