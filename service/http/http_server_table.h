// Server id ("h1.…") → HTTP server instance, with the principal that owns
// it, plus the index of the requests those servers have handed out.
//
// A server and its requests are visible only to their owner: every other
// principal gets the same NOT_FOUND as for an id that never existed.
// Thread-safe (OwnedTable and RequestIndex lock; servers run on strands).
#ifndef SOCKETSVC_SERVICE_HTTP_HTTP_SERVER_TABLE_H_
#define SOCKETSVC_SERVICE_HTTP_HTTP_SERVER_TABLE_H_

#include <boost/asio/any_io_executor.hpp>
#include <memory>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/http/http_limits.h"
#include "service/http/http_server.h"
#include "service/http/request_index.h"
#include "service/sessions/owned_table.h"

namespace socketsvc {

class HttpServerTable {
 public:
  // `executor` runs every server's sockets and timers.
  HttpServerTable(boost::asio::any_io_executor executor, std::string replica_id,
                  HttpServerDefaults defaults);

  const HttpServerDefaults& defaults() const { return defaults_; }

  // Binds, listens and starts a server owned by `owner`.
  // RESOURCE_EXHAUSTED/LIMIT_EXCEEDED beyond defaults().max_servers.
  absl::StatusOr<std::shared_ptr<HttpServer>> Create(absl::string_view owner,
                                                     HttpServerSpec spec);

  // The server `id` if `principal` owns it; NOT_FOUND/INVALID_HANDLE
  // otherwise (also for a malformed id).
  absl::StatusOr<std::shared_ptr<HttpServer>> Find(absl::string_view id,
                                                   absl::string_view principal) const;

  // The server holding the delivered request `handle`, if `principal` owns it.
  absl::StatusOr<std::shared_ptr<HttpServer>> FindByRequest(
      absl::string_view handle, absl::string_view principal) const;

  // Forgets `id` (later lookups answer NOT_FOUND) and stops the server;
  // `done` gets the number of requests answered 503.
  absl::Status Delete(absl::string_view id, absl::string_view principal,
                      absl::AnyInvocable<void(uint32_t)> done);

  size_t size() const { return servers_.size(); }

  // Stops every server (socketd stopping): waiting ServerReceives end
  // UNAVAILABLE/SHUTTING_DOWN, pending requests get 503.
  void ShutdownAll();

 private:
  const boost::asio::any_io_executor executor_;
  const std::string replica_id_;
  const HttpServerDefaults defaults_;
  // Servers hold a reference to it: declared before the map, so it is
  // destroyed after the servers the map owns.
  RequestIndex requests_;
  OwnedTable<HttpServer> servers_;
};

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_HTTP_HTTP_SERVER_TABLE_H_
