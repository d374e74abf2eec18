// What a benchmark run collected, and the table it prints: every row with
// its median over the runs, the ratios against the baselines measured in the
// same runs, and each target with PASS or MISS.
#ifndef SOCKETSVC_BENCH_REPORT_H_
#define SOCKETSVC_BENCH_REPORT_H_

#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bench/scale.h"

namespace socketsvc::bench {

enum class Kind { kThroughput, kLatency, kRate };

// One row, measured once per run.
struct Metric {
  std::string id;
  std::string title;
  Kind kind = Kind::kThroughput;
  std::vector<double> values;  // Per run: MiB/s, p50 µs or operations/s.
  std::vector<double> p99_us;  // Per run, latency rows only.
  // Per run: CPU time of the server process (socketd, or the gRPC echo
  // server) and of the benchmark process (client and echo peer), per
  // operation for latency rows (µs) and as a share of the run (%) otherwise.
  std::vector<double> server_cpu;
  std::vector<double> bench_cpu;
  // Per run and operation: context switches of the server's threads.
  std::vector<double> server_switches;
  std::string error;  // The first failed run, if any.
};

// subject / baseline, paired run by run; the median of those ratios is
// held against `target` (at least for throughput and rates, at most for
// latency). No target: shown for information.
struct Comparison {
  std::string subject;
  std::string baseline;
  std::optional<double> target;
  std::string note;
};

struct Report {
  std::vector<Metric> metrics;
  std::vector<Comparison> comparisons;
  // The throughput/latency socketd: threads after the warm-up, and the most
  // seen while the rows ran.
  int threads_fresh = 0;  // Before the first call.
  int threads_at_start = 0;
  int threads_max = 0;
  std::string threads_at_start_names;
  std::string threads_max_names;
  std::optional<ScaleResult> scale;
  std::string scale_error;
  // socketd's RSS after every session of a scale round was closed, per round.
  std::vector<long> rss_after_rounds_kib;
  double rss_target_kib = 16;
  std::vector<std::string> errors;  // Everything that went wrong.
  // /proc/loadavg when the benchmark started and ended: the machine's other
  // load, which the ratios are meant to survive but the absolute numbers do
  // not.
  std::string load_before;
  std::string load_after;

  Metric* Find(const std::string& id);
};

// Prints the tables; returns the number of missed targets.
int PrintReport(Report& report, std::ostream& out);

}  // namespace socketsvc::bench

#endif  // SOCKETSVC_BENCH_REPORT_H_
