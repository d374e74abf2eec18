#include "bench/bench.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <atomic>
#include <fstream>
#include <functional>
#include <iostream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "bench/child_process.h"
#include "bench/echo_peer.h"
#include "bench/measure.h"
#include "tests/e2e/socketd_process.h"

namespace socketsvc::bench {
namespace {

// One run of one row.
struct Sample {
  double value = 0;
  double p99_us = -1;
  double ops = 0;  // Round trips (latency) or operations (rate) in the run.
};

struct Job {
  std::string id;
  std::string title;
  Kind kind;
  pid_t server;  // Whose CPU time is the row's "server CPU"; -1: none.
  std::function<absl::StatusOr<Sample>(absl::Duration)> run;
};

constexpr size_t kKiB = 1024;

Sample FromLatency(const Latency& l) {
  return Sample{l.p50_us, l.p99_us, static_cast<double>(l.count)};
}

double SelfCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

std::shared_ptr<grpc::Channel> Channel(const std::string& target) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(8 * 1024 * 1024);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

// Every row of the table, in the order they run within one run.
std::vector<Job> MakeJobs(v1::SocketService::Stub& socketd, pid_t socketd_pid,
                          bench_echo::v1::Echo::Stub& echo, pid_t echo_pid,
                          uint16_t peer_port, uint16_t socat_port) {
  std::vector<Job> jobs;
  auto throughput = [&](std::string id, std::string title, pid_t server,
                        std::function<absl::StatusOr<double>(absl::Duration)> f) {
    jobs.push_back(Job{std::move(id), std::move(title), Kind::kThroughput, server,
                       [f](absl::Duration d) -> absl::StatusOr<Sample> {
                         absl::StatusOr<double> v = f(d);
                         if (!v.ok()) return v.status();
                         return Sample{*v};
                       }});
  };
  auto latency = [&](std::string id, std::string title, pid_t server,
                     std::function<absl::StatusOr<Latency>(absl::Duration)> f) {
    jobs.push_back(Job{std::move(id), std::move(title), Kind::kLatency, server,
                       [f](absl::Duration d) -> absl::StatusOr<Sample> {
                         absl::StatusOr<Latency> v = f(d);
                         if (!v.ok()) return v.status();
                         return FromLatency(*v);
                       }});
  };
  auto rate = [&](std::string id, std::string title, pid_t server,
                  std::function<absl::StatusOr<double>(absl::Duration)> f) {
    jobs.push_back(Job{std::move(id), std::move(title), Kind::kRate, server,
                       [f](absl::Duration d) -> absl::StatusOr<Sample> {
                         absl::StatusOr<double> v = f(d);
                         if (!v.ok()) return v.status();
                         return Sample{*v, -1, *v * absl::ToDoubleSeconds(d)};
                       }});
  };
  throughput("tcp", "raw TCP echo throughput (64 KiB writes)", -1,
             [=](absl::Duration d) { return TcpEchoThroughput(peer_port, 64 * kKiB, d); });
  throughput("socat", "socat relay throughput (64 KiB writes)", -1,
             [=](absl::Duration d) { return TcpEchoThroughput(socat_port, 64 * kKiB, d); });
  throughput("pipe", "socketd Pipe throughput (64 KiB)", socketd_pid,
             [=, &socketd](absl::Duration d) {
               return PipeThroughput(socketd, peer_port, 64 * kKiB, d);
             });
  throughput("pipe1m", "socketd Pipe throughput (1 MiB)", socketd_pid,
             [=, &socketd](absl::Duration d) {
               return PipeThroughput(socketd, peer_port, 1024 * kKiB, d);
             });
  throughput("unary64k", "socketd unary throughput (64 KiB)", socketd_pid,
             [=, &socketd](absl::Duration d) {
               return UnaryThroughput(socketd, peer_port, 64 * kKiB, d);
             });
  throughput("unary1m", "socketd unary throughput (1 MiB)", socketd_pid,
             [=, &socketd](absl::Duration d) {
               return UnaryThroughput(socketd, peer_port, 1024 * kKiB, d);
             });
  latency("tcp_rtt", "raw TCP round trip 64 B", -1,
          [=](absl::Duration d) { return TcpRoundTrip(peer_port, 64, d); });
  latency("hop64", "gRPC echo 64 B answered from Asio thread", echo_pid,
          [=, &echo](absl::Duration d) {
            return GrpcEchoRoundTrip(echo, 64, d, EchoMethod::kViaThread);
          });
  latency("ownreactor64", "... and with its own reactor", echo_pid,
          [=, &echo](absl::Duration d) {
            return GrpcEchoRoundTrip(echo, 64, d, EchoMethod::kViaThreadOwnReactor);
          });
  latency("pipe_rtt", "socketd Pipe round trip 64 B", socketd_pid,
          [=, &socketd](absl::Duration d) { return PipeRoundTrip(socketd, peer_port, 64, d); });
  latency("getinfo", "socketd GetInfo (no socket I/O)", socketd_pid,
          [=, &socketd](absl::Duration d) { return GetInfoRoundTrip(socketd, peer_port, d); });
  for (const auto& [size, name] : std::vector<std::pair<size_t, std::string>>{
           {64, "64 B"}, {kKiB, "1 KiB"}, {64 * kKiB, "64 KiB"}}) {
    latency(absl::StrCat("grpc", size), absl::StrCat("gRPC unary echo ", name), echo_pid,
            [=, &echo](absl::Duration d) { return GrpcEchoRoundTrip(echo, size, d); });
    latency(absl::StrCat("sr", size), absl::StrCat("socketd Send+Receive ", name),
            socketd_pid, [=, &socketd](absl::Duration d) {
              return SendReceiveRoundTrip(socketd, peer_port, size, d);
            });
  }
  rate("connect_direct", "connect+close, direct", -1,
       [=](absl::Duration d) { return TcpConnectRate(peer_port, d); });
  rate("connect_socketd", "socketd Connect+Close(DISCARD)", socketd_pid,
       [=, &socketd](absl::Duration d) { return ConnectCloseRate(socketd, peer_port, d); });
  return jobs;
}

std::vector<Comparison> Comparisons() {
  return {
      {"pipe", "socat", 1.0, ""},
      {"pipe", "tcp", 0.5, ""},
      {"pipe1m", "socat", std::nullopt, ""},
      {"pipe1m", "tcp", std::nullopt, ""},
      {"sr64", "grpc64", 2.5, ""},
      {"sr1024", "grpc1024", 2.5, ""},
      {"sr65536", "grpc65536", 2.5, ""},
      {"socat", "tcp", std::nullopt, ""},
      {"unary64k", "tcp", std::nullopt, ""},
      {"unary1m", "tcp", std::nullopt, ""},
      {"grpc64", "tcp_rtt", std::nullopt, ""},
      {"hop64", "grpc64", std::nullopt, ""},
      {"ownreactor64", "hop64", std::nullopt, ""},
      {"getinfo", "ownreactor64", std::nullopt, ""},
      {"sr64", "ownreactor64", std::nullopt, ""},
      {"sr64", "tcp_rtt", std::nullopt, ""},
      {"pipe_rtt", "grpc64", std::nullopt, ""},
      {"connect_socketd", "connect_direct", std::nullopt, ""},
  };
}

// Runs every job `runs` times, interleaved; fills report.metrics.
void RunJobs(std::vector<Job>& jobs, const BenchOptions& options, Report& report) {
  for (const Job& job : jobs) report.metrics.push_back(Metric{job.id, job.title, job.kind});
  std::vector<bool> unimplemented(jobs.size(), false);
  for (int run = 0; run < options.runs; ++run) {
    for (size_t j = 0; j < jobs.size(); ++j) {
      Job& job = jobs[j];
      Metric& metric = report.metrics[j];
      if (unimplemented[j]) continue;
      const ProcStats server0 = job.server > 0 ? ReadProcStats(job.server) : ProcStats{};
      const double self_cpu0 = SelfCpuSeconds();
      const Clock::time_point start = Clock::now();
      absl::StatusOr<Sample> sample = job.run(options.row_duration);
      const double wall = std::chrono::duration<double>(Clock::now() - start).count();
      if (!sample.ok()) {
        const std::string error = sample.status().ToString();
        if (options.progress) {
          std::cerr << absl::StrFormat("run %d/%d  %-44s FAILED %s\n", run + 1,
                                       options.runs, job.title, error);
        }
        if (metric.error.empty()) metric.error = error;
        // A socketd without Pipe is a missing feature, shown as n/a (and
        // its targets MISS), not a broken benchmark.
        if (sample.status().code() == absl::StatusCode::kUnimplemented) {
          unimplemented[j] = true;
        } else {
          report.errors.push_back(absl::StrCat(job.title, ": ", error));
        }
        continue;
      }
      metric.values.push_back(sample->value);
      if (sample->p99_us >= 0) metric.p99_us.push_back(sample->p99_us);
      if (job.server > 0) {
        const ProcStats server1 = ReadProcStats(job.server);
        const double cpu = server1.cpu_seconds - server0.cpu_seconds;
        metric.server_cpu.push_back(job.kind == Kind::kLatency
                                        ? cpu * 1e6 / std::max(sample->ops, 1.0)
                                        : cpu / wall * 100);
        if (job.kind != Kind::kThroughput) {
          metric.server_switches.push_back(
              static_cast<double>(server1.context_switches - server0.context_switches) /
              std::max(sample->ops, 1.0));
        }
      }
      metric.bench_cpu.push_back((SelfCpuSeconds() - self_cpu0) / wall * 100);
      if (options.progress) {
        std::cerr << absl::StrFormat("run %d/%d  %-44s %.1f\n", run + 1, options.runs,
                                     job.title, sample->value);
      }
    }
  }
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return absl::StrCat(one, " ", five, " ", fifteen);
}

// SIGTERM, and the exit status must be 0 (clean shutdown; under ASan: no leak).
void StopSocketd(e2e::SocketdProcess& socketd, const std::string& which, Report& report) {
  const int status = socketd.SignalAndWait(SIGTERM, 30000);
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    report.errors.push_back(absl::StrCat(which, " socketd did not exit 0 on SIGTERM (status ",
                                         status, "): ", socketd.stderr_text().substr(0, 2000)));
  }
}

}  // namespace

absl::StatusOr<Report> RunBench(const BenchOptions& options) {
  // 10,000 sessions are 10,000 accepted sockets in the echo peer here.
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  signal(SIGPIPE, SIG_IGN);
  Report report;
  report.load_before = LoadAverage();
  EchoPeer peer;
  if (!peer.ok()) return absl::UnavailableError("the echo peer cannot listen");

  ChildProcess echo_server({options.self, "--serve_grpc_echo"});
  const std::optional<std::string> line = echo_server.ReadLine(20000);
  int echo_port = 0;
  if (!line || !absl::SimpleAtoi(absl::StripPrefix(*line, "port "), &echo_port)) {
    return absl::UnavailableError("the gRPC echo server did not start");
  }
  // socat cannot report a port it picked: take a free one, and if another
  // process took it first (socat exits), another.
  uint16_t socat_port = 0;
  std::unique_ptr<ChildProcess> socat;
  for (int attempt = 0; attempt < 5 && socat_port == 0; ++attempt) {
    const uint16_t port = FreeLoopbackPort();
    socat = std::make_unique<ChildProcess>(std::vector<std::string>{
        options.socat, absl::StrCat("TCP-LISTEN:", port, ",bind=127.0.0.1,reuseaddr,fork"),
        absl::StrCat("TCP:127.0.0.1:", peer.port())});
    if (!WaitForListener(port, 10000)) continue;
    // A socat that lost the port exits at once; the listener seen may be
    // someone else's.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (socat->Running()) socat_port = port;
  }
  if (socat_port == 0) {
    return absl::UnavailableError(absl::StrCat("socat (", options.socat,
                                               ") does not listen on a free port"));
  }

  {
    e2e::SocketdProcess socketd(options.socketd_flags);
    if (!socketd.started()) {
      return absl::UnavailableError("socketd did not start: " + socketd.stderr_text());
    }
    auto socketd_stub = v1::SocketService::NewStub(Channel(socketd.target()));
    auto echo_stub =
        bench_echo::v1::Echo::NewStub(Channel(absl::StrCat("127.0.0.1:", echo_port)));
    std::vector<Job> jobs = MakeJobs(*socketd_stub, socketd.pid(), *echo_stub,
                                     echo_server.pid(), peer.port(), socat_port);
    if (!options.only.empty()) {
      std::vector<Job> chosen;
      for (Job& job : jobs) {
        for (const std::string& part : options.only) {
          if (absl::StrContains(job.id, part)) {
            chosen.push_back(std::move(job));
            break;
          }
        }
      }
      jobs = std::move(chosen);
    }
    report.threads_fresh = ReadProcStats(socketd.pid()).threads;
    // Warm-up: connections, gRPC's first calls and threads, the allocators;
    // not counted.
    const absl::Duration warm_up = std::min(options.row_duration, absl::Milliseconds(300));
    for (Job& job : jobs) (void)job.run(warm_up);
    report.threads_at_start = ReadProcStats(socketd.pid()).threads;
    report.threads_at_start_names = ThreadNames(socketd.pid());
    report.threads_max = report.threads_at_start;
    report.threads_max_names = report.threads_at_start_names;
    std::atomic<bool> sampling{true};
    // Only this thread writes the report's thread fields until it is joined.
    std::thread sampler([&] {
      while (sampling) {
        const int threads = ReadProcStats(socketd.pid()).threads;
        if (threads > report.threads_max) {
          report.threads_max = threads;
          report.threads_max_names = ThreadNames(socketd.pid());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    });
    RunJobs(jobs, options, report);
    sampling = false;
    sampler.join();
    report.comparisons = Comparisons();
    StopSocketd(socketd, "the rows'", report);
  }
  // The echo server too exits 0 on SIGTERM (under ASan: without a leak).
  const int echo_status = echo_server.Stop(10000);
  if (!WIFEXITED(echo_status) || WEXITSTATUS(echo_status) != 0) {
    report.errors.push_back(
        absl::StrCat("the gRPC echo server did not exit 0 (status ", echo_status, ")"));
  }

  if (!options.run_scale) report.scale_error = "skipped (--scale=false)";
  if (options.run_scale) {
    if (options.progress) std::cerr << "scale: starting a fresh socketd\n";
    e2e::SocketdProcess socketd(options.socketd_flags);
    if (!socketd.started()) {
      report.scale_error = "socketd did not start";
      report.errors.push_back(report.scale_error);
      report.load_after = LoadAverage();
      return report;
    }
    auto stub = v1::SocketService::NewStub(Channel(socketd.target()));
    for (int round = 0; round < options.scale_rounds; ++round) {
      absl::StatusOr<ScaleResult> scale =
          RunScale(*stub, socketd.pid(), peer.port(), options.scale);
      if (!scale.ok()) {
        report.scale_error = scale.status().ToString();
        report.errors.push_back("scale: " + report.scale_error);
        break;
      }
      if (options.progress) {
        std::cerr << "scale round " << round + 1 << ": RSS after closing "
                  << scale->closed.rss_kib << " KiB\n";
      }
      report.rss_after_rounds_kib.push_back(scale->closed.rss_kib);
      if (!report.scale) report.scale = *scale;  // The first round is shown.
    }
    StopSocketd(socketd, "the scale", report);
  }
  report.load_after = LoadAverage();
  return report;
}

}  // namespace socketsvc::bench
