#include "service/ops/call_registry.h"

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace socketsvc {
namespace {

struct CallRecord {
  uint64_t serial = 0;
  std::string request_id;
  std::string principal;
};

std::atomic<uint64_t> next_serial{1};

// Many calls start and end at once on several threads: one lock per shard
// keeps them from queueing on a single mutex.
struct Shard {
  absl::Mutex mu;
  absl::flat_hash_map<const void*, CallRecord> calls ABSL_GUARDED_BY(mu);
};

constexpr size_t kShards = 32;

Shard& ShardOf(const void* key) {
  // Never destroyed: calls may end while the process exits.
  static auto* const shards = new std::array<Shard, kShards>();
  // Contexts are heap objects: the low bits carry no information.
  const uintptr_t bits = reinterpret_cast<uintptr_t>(key) >> 6;
  return (*shards)[std::hash<uintptr_t>()(bits) % kShards];
}

}  // namespace

uint64_t RegisterCall(const grpc::ServerContextBase* context, std::string request_id) {
  const uint64_t serial = next_serial.fetch_add(1, std::memory_order_relaxed);
  Shard& shard = ShardOf(context);
  absl::MutexLock lock(&shard.mu);
  shard.calls[context] = CallRecord{serial, std::move(request_id), ""};
  return serial;
}

void UnregisterCall(const grpc::ServerContextBase* context, uint64_t serial) {
  Shard& shard = ShardOf(context);
  absl::MutexLock lock(&shard.mu);
  auto it = shard.calls.find(context);
  if (it != shard.calls.end() && it->second.serial == serial) shard.calls.erase(it);
}

void SetCallPrincipal(const grpc::ServerContextBase* context,
                      absl::string_view principal) {
  Shard& shard = ShardOf(context);
  absl::MutexLock lock(&shard.mu);
  auto it = shard.calls.find(context);
  if (it != shard.calls.end()) it->second.principal = std::string(principal);
}

std::string CallRequestId(const grpc::ServerContextBase* context) {
  Shard& shard = ShardOf(context);
  absl::MutexLock lock(&shard.mu);
  auto it = shard.calls.find(context);
  return it == shard.calls.end() ? std::string() : it->second.request_id;
}

std::string CallPrincipal(const grpc::ServerContextBase* context) {
  Shard& shard = ShardOf(context);
  absl::MutexLock lock(&shard.mu);
  auto it = shard.calls.find(context);
  return it == shard.calls.end() ? std::string() : it->second.principal;
}

}  // namespace socketsvc
