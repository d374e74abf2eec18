// Handle → object, each bound to the principal that created it.
//
// Every table of socketd (sockets, listeners, HTTP servers) answers lookups
// the same way: a handle of another principal is reported exactly like one
// that never existed, so no table is an oracle. Thread-safe; the lock is
// never held while calling into an object.
#ifndef SOCKETSVC_SERVICE_SESSIONS_OWNED_TABLE_H_
#define SOCKETSVC_SERVICE_SESSIONS_OWNED_TABLE_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/socket_error.h"

namespace socketsvc {

template <typename T>
class OwnedTable {
 public:
  // `what` names the objects in messages ("sockets"); `limit_flag` names the
  // flag that sets `limit`.
  OwnedTable(std::string what, std::string limit_flag, size_t limit)
      : what_(std::move(what)), limit_flag_(std::move(limit_flag)), limit_(limit) {}

  // RESOURCE_EXHAUSTED/LIMIT_EXCEEDED when the table is full.
  absl::Status CheckCapacity() const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return CapacityLocked();
  }

  absl::Status Insert(const std::string& handle, absl::string_view owner,
                      std::shared_ptr<T> object) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    if (absl::Status capacity = CapacityLocked(); !capacity.ok()) return capacity;
    entries_.emplace(handle, Entry{std::string(owner), std::move(object)});
    return absl::OkStatus();
  }

  // The object behind `handle` if `principal` owns it; NOT_FOUND otherwise.
  absl::StatusOr<std::shared_ptr<T>> Find(absl::string_view handle,
                                          absl::string_view principal) const
      ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    auto it = entries_.find(handle);
    if (it == entries_.end() || it->second.owner != principal) {
      return SocketErrorStatus(absl::StatusCode::kNotFound,
                               v1::SOCKET_ERROR_INVALID_HANDLE, "no such handle");
    }
    return it->second.object;
  }

  void Remove(absl::string_view handle) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    entries_.erase(handle);
  }

  // Every object, for shutdown.
  std::vector<std::shared_ptr<T>> All() const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    std::vector<std::shared_ptr<T>> all;
    all.reserve(entries_.size());
    for (const auto& [handle, entry] : entries_) all.push_back(entry.object);
    return all;
  }

  size_t size() const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return entries_.size();
  }

 private:
  struct Entry {
    std::string owner;
    std::shared_ptr<T> object;
  };

  absl::Status CapacityLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (entries_.size() < limit_) return absl::OkStatus();
    return SocketErrorStatus(
        absl::StatusCode::kResourceExhausted, v1::SOCKET_ERROR_LIMIT_EXCEEDED,
        absl::StrCat("socketd holds its maximum of ", limit_, " ", what_, " (",
                     limit_flag_, ")"));
  }

  const std::string what_;
  const std::string limit_flag_;
  const size_t limit_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_SESSIONS_OWNED_TABLE_H_
