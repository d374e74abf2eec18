// bench: socketd's throughput, latency and scale against baselines measured
// in the same run. bench/run builds it optimized and runs it; see
// bench/README.md for what each row measures.
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "bench/bench.h"
#include "bench/grpc_echo.h"

ABSL_FLAG(int, runs, 5, "Runs of every row; the table shows medians.");
ABSL_FLAG(double, seconds, 1.0, "Length of one row's run.");
ABSL_FLAG(bool, scale, true, "Run the scale part (idle, pending, busy sessions).");
ABSL_FLAG(int, idle_sessions, 10000, "Idle sessions of the scale part.");
ABSL_FLAG(int, pending_receives, 1000, "Pending Receives of the scale part.");
ABSL_FLAG(int, busy_sessions, 1000, "Busy sessions of the latency-under-load row.");
ABSL_FLAG(int, scale_rounds, 1,
          "Repeat the scale part on the same socketd; RSS after each round tells "
          "a leak (grows every round) from the allocator's keep (levels off).");
ABSL_FLAG(double, scale_seconds, 5.0,
          "Length of the scale part's latency measurements (alone, loaded).");
ABSL_FLAG(std::vector<std::string>, only, {},
          "Run only the rows whose id contains one of these (comma-separated): "
          "tcp, socat, pipe, pipe1m, unary64k, unary1m, tcp_rtt, hop64, ownreactor64, "
          "pipe_rtt, "
          "getinfo, grpc64, sr64, grpc1024, sr1024, grpc65536, sr65536, "
          "connect_direct, connect_socketd.");
ABSL_FLAG(std::vector<std::string>, socketd_flags, {},
          "Extra flags for socketd (comma-separated), e.g. --io_threads=1.");
ABSL_FLAG(std::string, socat, "socat", "socat binary (the relay baseline).");
ABSL_FLAG(bool, smoke, false,
          "Tiny sizes and one short run (about 20 s): proves the benchmark "
          "still runs; its numbers mean nothing.");
ABSL_FLAG(bool, serve_grpc_echo, false,
          "Internal: run the bare gRPC echo server (the benchmark starts "
          "itself with it).");

int main(int argc, char** argv) {
  // --help lists the benchmark's own flags (this file), not abseil's.
  absl::FlagsUsageConfig usage;
  usage.contains_help_flags = [](absl::string_view path) {
    return absl::StrContains(path, "bench/");
  };
  usage.contains_helpshort_flags = usage.contains_help_flags;
  absl::SetFlagsUsageConfig(usage);
  absl::SetProgramUsageMessage(
      "socketd benchmarks with baselines; run bench/run (builds with -c opt).");
  absl::ParseCommandLine(argc, argv);
  if (absl::GetFlag(FLAGS_serve_grpc_echo)) return socketsvc::bench::ServeGrpcEcho();

  socketsvc::bench::BenchOptions options;
  options.runs = absl::GetFlag(FLAGS_runs);
  options.row_duration = absl::Seconds(absl::GetFlag(FLAGS_seconds));
  options.run_scale = absl::GetFlag(FLAGS_scale);
  options.scale.idle_sessions = absl::GetFlag(FLAGS_idle_sessions);
  options.scale.pending_receives = absl::GetFlag(FLAGS_pending_receives);
  options.scale.busy_sessions = absl::GetFlag(FLAGS_busy_sessions);
  options.scale_rounds = absl::GetFlag(FLAGS_scale_rounds);
  options.scale.latency_duration = absl::Seconds(absl::GetFlag(FLAGS_scale_seconds));
  options.socat = absl::GetFlag(FLAGS_socat);
  options.only = absl::GetFlag(FLAGS_only);
  options.socketd_flags = absl::GetFlag(FLAGS_socketd_flags);
  if (absl::GetFlag(FLAGS_smoke)) {
    options.runs = 1;
    options.row_duration = absl::Milliseconds(200);
    options.scale.idle_sessions = 200;
    options.scale.pending_receives = 50;
    options.scale.busy_sessions = 50;
    options.scale_rounds = absl::GetFlag(FLAGS_scale_rounds);
  options.scale.latency_duration = absl::Milliseconds(500);
  }

  absl::StatusOr<socketsvc::bench::Report> report = socketsvc::bench::RunBench(options);
  if (!report.ok()) {
    std::cerr << "bench: " << report.status() << "\n";
    return 1;
  }
  std::cout << "\n";
  socketsvc::bench::PrintReport(*report, std::cout);
  // A missed target is a result; a failed measurement is a broken benchmark.
  return report->errors.empty() ? 0 : 1;
}
