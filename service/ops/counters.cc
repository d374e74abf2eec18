#include "service/ops/counters.h"

#include <array>
#include <atomic>

namespace socketsvc {
namespace {

constexpr size_t kShards = 16;
constexpr size_t kCounters = static_cast<size_t>(OpsCounter::kCount);

// One shard holds every counter, alone on its cache lines.
struct alignas(64) Shard {
  std::array<std::atomic<uint64_t>, kCounters> values{};
};

std::array<Shard, kShards> shards;

size_t ThisThreadsShard() {
  // Threads get consecutive slots, so a small pool of I/O threads never
  // shares one.
  static std::atomic<size_t> next{0};
  thread_local const size_t shard = next.fetch_add(1, std::memory_order_relaxed) % kShards;
  return shard;
}

}  // namespace

void CountOps(OpsCounter counter, uint64_t n) {
  shards[ThisThreadsShard()]
      .values[static_cast<size_t>(counter)]
      .fetch_add(n, std::memory_order_relaxed);
}

uint64_t OpsCounterValue(OpsCounter counter) {
  uint64_t sum = 0;
  for (const Shard& shard : shards) {
    sum += shard.values[static_cast<size_t>(counter)].load(std::memory_order_relaxed);
  }
  return sum;
}

}  // namespace socketsvc
