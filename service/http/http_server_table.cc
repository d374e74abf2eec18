#include "service/http/http_server_table.h"

#include "absl/strings/str_cat.h"
#include "common/socket_error.h"
#include "service/sessions/handle.h"

namespace socketsvc {
namespace {

absl::Status NotFound(absl::string_view what) {
  return SocketErrorStatus(absl::StatusCode::kNotFound, v1::SOCKET_ERROR_INVALID_HANDLE,
                           absl::StrCat("no such ", what));
}

bool IsKind(absl::string_view handle, HandleKind kind) {
  return IsWellFormedHandle(handle) && handle[0] == static_cast<char>(kind);
}

}  // namespace

HttpServerTable::HttpServerTable(boost::asio::any_io_executor executor,
                                 std::string replica_id, HttpServerDefaults defaults)
    : executor_(std::move(executor)),
      replica_id_(std::move(replica_id)),
      defaults_(defaults),
      servers_("HTTP servers", "--max_http_servers", defaults.max_servers) {}

absl::StatusOr<std::shared_ptr<HttpServer>> HttpServerTable::Create(
    absl::string_view owner, HttpServerSpec spec) {
  // Refuse before binding: a full table must not take the port meanwhile.
  if (absl::Status capacity = servers_.CheckCapacity(); !capacity.ok()) return capacity;
  spec.max_response_body_bytes = defaults_.max_body_bytes_bound;
  std::string id = NewHandle(HandleKind::kHttpServer, replica_id_);
  absl::StatusOr<std::shared_ptr<HttpServer>> server = HttpServer::Create(
      executor_, id, std::string(owner), replica_id_, std::move(spec), requests_);
  if (!server.ok()) return server.status();
  if (absl::Status inserted = servers_.Insert(id, owner, *server); !inserted.ok()) {
    (*server)->Stop(HttpServer::StopMode::kDelete,
                    nullptr);  // Lost a race for the last slot.
    return inserted;
  }
  (*server)->Start();
  return server;
}

absl::StatusOr<std::shared_ptr<HttpServer>> HttpServerTable::Find(
    absl::string_view id, absl::string_view principal) const {
  if (!IsKind(id, HandleKind::kHttpServer)) return NotFound("server");
  return servers_.Find(id, principal);
}

absl::StatusOr<std::shared_ptr<HttpServer>> HttpServerTable::FindByRequest(
    absl::string_view handle, absl::string_view principal) const {
  if (!IsKind(handle, HandleKind::kHttpRequest)) return NotFound("request");
  std::shared_ptr<HttpServer> server = requests_.Find(handle);
  if (!server || server->owner() != principal) return NotFound("request");
  return server;
}

absl::Status HttpServerTable::Delete(absl::string_view id, absl::string_view principal,
                                     absl::AnyInvocable<void(uint32_t)> done) {
  absl::StatusOr<std::shared_ptr<HttpServer>> server = Find(id, principal);
  if (!server.ok()) return server.status();
  servers_.Remove(id);
  (*server)->Stop(HttpServer::StopMode::kDelete, std::move(done));
  return absl::OkStatus();
}

void HttpServerTable::ShutdownAll() {
  for (const std::shared_ptr<HttpServer>& server : servers_.All()) {
    servers_.Remove(server->id());
    server->Stop(HttpServer::StopMode::kShutdown, nullptr);
  }
}

}  // namespace socketsvc
