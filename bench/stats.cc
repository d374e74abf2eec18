// Small numeric helpers of measure.h.
#include <algorithm>

#include "bench/measure.h"

namespace socketsvc::bench {
namespace {

double PercentileUs(std::vector<int64_t>& samples_ns, double fraction) {
  const size_t at = std::min(
      samples_ns.size() - 1,
      static_cast<size_t>(fraction * static_cast<double>(samples_ns.size())));
  std::nth_element(samples_ns.begin(), samples_ns.begin() + at,
                   samples_ns.end());
  return static_cast<double>(samples_ns[at]) / 1000.0;
}

}  // namespace

Latency Summarize(std::vector<int64_t>& samples_ns) {
  Latency latency;
  latency.count = static_cast<int64_t>(samples_ns.size());
  if (samples_ns.empty()) return latency;
  latency.p50_us = PercentileUs(samples_ns, 0.50);
  latency.p99_us = PercentileUs(samples_ns, 0.99);
  return latency;
}

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

double MibPerSecond(uint64_t bytes, Clock::duration elapsed) {
  const double seconds = std::chrono::duration<double>(elapsed).count();
  if (seconds <= 0) return 0;
  return static_cast<double>(bytes) / (1024.0 * 1024.0) / seconds;
}

std::string Payload(size_t size) {
  std::string data(size, '\0');
  for (size_t i = 0; i < size; ++i) {
    data[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  }
  return data;
}

}  // namespace socketsvc::bench
