// Request handle ("r1.…") → the HTTP server holding that request, so that
// ServerSend finds a request without knowing its server. Entries live from
// delivery (ServerReceive) until the request is answered, times out or is
// given back; lookups of anything else answer nothing.
//
// Thread-safe; the lock is held for map operations only.
#ifndef SOCKETSVC_SERVICE_HTTP_REQUEST_INDEX_H_
#define SOCKETSVC_SERVICE_HTTP_REQUEST_INDEX_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace socketsvc {

class HttpServer;

class RequestIndex {
 public:
  void Add(const std::string& handle, std::weak_ptr<HttpServer> server)
      ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    servers_[handle] = std::move(server);
  }

  void Remove(const std::string& handle) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    servers_.erase(handle);
  }

  // The server, or null if the handle is unknown or its server is gone.
  std::shared_ptr<HttpServer> Find(absl::string_view handle) const
      ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    auto it = servers_.find(handle);
    return it == servers_.end() ? nullptr : it->second.lock();
  }

  size_t size() const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return servers_.size();
  }

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::weak_ptr<HttpServer>> servers_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_HTTP_REQUEST_INDEX_H_
