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

  // Also caps the objects of any one owner at `per_owner_limit` (0: no own
  // cap), named by `per_owner_flag` in messages.
  OwnedTable(std::string what, std::string limit_flag, size_t limit,
             std::string per_owner_flag, size_t per_owner_limit)
      : what_(std::move(what)),
        limit_flag_(std::move(limit_flag)),
        limit_(limit),
        per_owner_flag_(std::move(per_owner_flag)),
        per_owner_limit_(per_owner_limit) {}

  // RESOURCE_EXHAUSTED/LIMIT_EXCEEDED when the table is full.
  absl::Status CheckCapacity() const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return CapacityLocked();
  }

  // Also when `owner` holds its own maximum.
  absl::Status CheckCapacity(absl::string_view owner) const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    if (absl::Status capacity = CapacityLocked(); !capacity.ok()) return capacity;
    return OwnerCapacityLocked(owner);
  }

  absl::Status Insert(const std::string& handle, absl::string_view owner,
                      std::shared_ptr<T> object) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    if (absl::Status capacity = CapacityLocked(); !capacity.ok()) return capacity;
    if (absl::Status capacity = OwnerCapacityLocked(owner); !capacity.ok()) {
      return capacity;
    }
    if (entries_.emplace(handle, Entry{std::string(owner), std::move(object)}).second) {
      ++per_owner_[std::string(owner)];
    }
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
    auto it = entries_.find(handle);
    if (it == entries_.end()) return;
    auto count = per_owner_.find(it->second.owner);
    if (count != per_owner_.end() && --count->second == 0) per_owner_.erase(count);
    entries_.erase(it);
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

  // Objects `owner` holds.
  size_t CountOf(absl::string_view owner) const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    auto it = per_owner_.find(owner);
    return it == per_owner_.end() ? 0 : it->second;
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

  absl::Status OwnerCapacityLocked(absl::string_view owner) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (per_owner_limit_ == 0) return absl::OkStatus();
    auto it = per_owner_.find(owner);
    if (it == per_owner_.end() || it->second < per_owner_limit_) return absl::OkStatus();
    return SocketErrorStatus(
        absl::StatusCode::kResourceExhausted, v1::SOCKET_ERROR_LIMIT_EXCEEDED,
        absl::StrCat("principal '", owner, "' holds its maximum of ", per_owner_limit_,
                     " ", what_, " (", per_owner_flag_, ")"));
  }

  const std::string what_;
  const std::string limit_flag_;
  const size_t limit_;
  const std::string per_owner_flag_;
  const size_t per_owner_limit_ = 0;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  // Entries per owner; an owner with none has no key.
  absl::flat_hash_map<std::string, size_t> per_owner_ ABSL_GUARDED_BY(mu_);
};

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_SESSIONS_OWNED_TABLE_H_
