// The benchmark as a whole: starts the peers and socketd, runs every row
// interleaved (all rows once per run, baselines next to the rows compared
// with them, so that a noisy machine moves both sides of a ratio alike),
// then the scale part on a fresh socketd.
#ifndef SOCKETSVC_BENCH_BENCH_H_
#define SOCKETSVC_BENCH_BENCH_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bench/report.h"
#include "bench/scale.h"

namespace socketsvc::bench {

struct BenchOptions {
  int runs = 5;
  absl::Duration row_duration = absl::Seconds(1);
  bool run_scale = true;
  ScaleOptions scale;
  // Scale part repeated on the same socketd; RSS after each round shows a
  // leak (grows every round) apart from the allocator's keep (levels off).
  int scale_rounds = 1;
  // socat, from PATH unless a path is given.
  std::string socat = "socat";
  // This binary, started again with --serve_grpc_echo for the gRPC baseline.
  std::string self = "/proc/self/exe";
  // Extra socketd flags (both socketd processes), e.g. --io_threads=1.
  std::vector<std::string> socketd_flags;
  // Only the rows whose id contains one of these (empty: every row).
  std::vector<std::string> only;
  // Progress lines on stderr, one per row and run.
  bool progress = true;
};

// Fails only if the setup fails (a peer, socat or socketd does not start);
// failed rows are in the report.
absl::StatusOr<Report> RunBench(const BenchOptions& options);

}  // namespace socketsvc::bench

#endif  // SOCKETSVC_BENCH_BENCH_H_
