#include "bench/report.h"

#include <algorithm>
#include <ostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace socketsvc::bench {
namespace {

std::string Value(Kind kind, double v) {
  switch (kind) {
    case Kind::kThroughput:
      return absl::StrFormat("%.0f MiB/s", v);
    case Kind::kLatency:
      return absl::StrFormat("%.1f us", v);
    case Kind::kRate:
      return absl::StrFormat("%.0f /s", v);
  }
  return "";
}

std::string Cpu(Kind kind, const std::vector<double>& values) {
  if (values.empty()) return "-";
  const double v = Median(values);
  if (v < 0) return "-";
  return kind == Kind::kLatency ? absl::StrFormat("%.1f us/op", v)
                                : absl::StrFormat("%.0f %%", v);
}

// Latency: lower is better, so a target is a ceiling.
bool Higher(Kind kind) { return kind != Kind::kLatency; }

struct Tally {
  int pass = 0;
  int miss = 0;
  std::string Verdict(bool ok) {
    ++(ok ? pass : miss);
    return ok ? "PASS" : "MISS";
  }
};

void PrintMetrics(const Report& report, std::ostream& out) {
  out << absl::StrFormat("%-46s %12s %21s %11s %13s %10s %10s\n", "row", "median",
                         "min - max", "p99", "server CPU", "server cs", "bench CPU");
  for (const Metric& m : report.metrics) {
    if (m.values.empty()) {
      out << absl::StrFormat("%-46s %12s   %s\n", m.title, "n/a",
                             m.error.empty() ? "not run" : m.error);
      continue;
    }
    const auto [lo, hi] = std::minmax_element(m.values.begin(), m.values.end());
    out << absl::StrFormat(
        "%-46s %12s %21s %11s %13s %10s %10s%s\n", m.title,
        Value(m.kind, Median(m.values)),
        absl::StrCat(Value(m.kind, *lo), " - ", Value(m.kind, *hi)).substr(0, 21),
        m.p99_us.empty() ? "" : Value(Kind::kLatency, Median(m.p99_us)),
        Cpu(m.kind, m.server_cpu),
        m.server_switches.empty() ? "-"
                                  : absl::StrFormat("%.1f/op", Median(m.server_switches)),
        Cpu(Kind::kThroughput, m.bench_cpu),
        m.error.empty() ? "" : "  (a run failed: " + m.error + ")");
  }
}

void PrintComparisons(Report& report, Tally& tally, std::ostream& out) {
  out << absl::StrFormat("\n%-62s %8s %9s %7s\n", "ratio (median of per-run ratios)",
                         "ratio", "target", "result");
  for (const Comparison& c : report.comparisons) {
    const Metric* subject = report.Find(c.subject);
    const Metric* baseline = report.Find(c.baseline);
    if (subject == nullptr || baseline == nullptr) continue;
    const std::string title = absl::StrCat(subject->title, " / ", baseline->title);
    std::vector<double> ratios;
    for (size_t i = 0; i < std::min(subject->values.size(), baseline->values.size());
         ++i) {
      if (baseline->values[i] > 0) ratios.push_back(subject->values[i] / baseline->values[i]);
    }
    std::string target = "-";
    if (c.target) {
      target = absl::StrFormat("%s %.2f", Higher(subject->kind) ? ">=" : "<=", *c.target);
    }
    if (ratios.empty() || subject->values.size() != baseline->values.size()) {
      out << absl::StrFormat("%-62s %8s %9s %7s\n", title.substr(0, 62), "n/a", target,
                             c.target ? tally.Verdict(false) : "");
      continue;
    }
    const double ratio = Median(ratios);
    std::string result;
    if (c.target) {
      result = tally.Verdict(Higher(subject->kind) ? ratio >= *c.target
                                                   : ratio <= *c.target);
    }
    out << absl::StrFormat("%-62s %7.2fx %9s %7s%s\n", title.substr(0, 62), ratio,
                           target, result, c.note.empty() ? "" : "  " + c.note);
  }
}

void PrintThreads(const std::string& what, int before, int during, Tally& tally,
                  std::ostream& out) {
  out << absl::StrFormat("%-62s %8s %9s %7s\n",
                         absl::StrCat(what, ": ", before, " -> ", during),
                         absl::StrFormat("%+d", during - before), "+0",
                         tally.Verdict(during <= before));
}

void PrintScale(const Report& report, Tally& tally, std::ostream& out) {
  out << absl::StrFormat("\n%-62s %8s %9s %7s\n", "scale (one run, a fresh socketd)",
                         "value", "target", "result");
  if (!report.scale) {
    out << "  not measured: " << report.scale_error << "\n";
    return;
  }
  const ScaleResult& s = *report.scale;
  const int n = std::max(s.idle_sessions, 1);
  const double rss_per_session =
      static_cast<double>(s.idle.rss_kib - s.before.rss_kib) / n;
  out << absl::StrFormat(
      "%-62s %8s %9s %7s\n",
      absl::StrFormat("%d idle sessions: RSS %ld -> %ld KiB, per session", s.idle_sessions,
                      s.before.rss_kib, s.idle.rss_kib),
      absl::StrFormat("%.1f KiB", rss_per_session),
      absl::StrFormat("<= %.0f", report.rss_target_kib),
      tally.Verdict(rss_per_session <= report.rss_target_kib));
  out << absl::StrFormat(
      "%-62s %8s\n",
      absl::StrFormat("  open fds %d -> %d, per session", s.before.fds, s.idle.fds),
      absl::StrFormat("%.2f", static_cast<double>(s.idle.fds - s.before.fds) / n));
  out << absl::StrFormat("%-62s %8s\n", "  time to open them (64 Connects in flight)",
                         absl::StrFormat("%.1f s", s.connect_seconds));
  PrintThreads(absl::StrFormat("  threads with %d idle sessions", s.idle_sessions),
               s.before.threads, s.idle.threads, tally, out);
  PrintThreads(absl::StrFormat("%d pending Receives: threads", s.pending_receives),
               s.before.threads, s.pending.threads, tally, out);
  out << absl::StrFormat("%-62s %8s\n", "  socketd RSS while they wait",
                         absl::StrFormat("%ld KiB", s.pending.rss_kib));
  out << absl::StrFormat("%-62s %8s\n", "Send+Receive 64 B, others idle: p50 / p99",
                         absl::StrFormat("%.0f / %.0f us", s.alone.p50_us, s.alone.p99_us));
  out << absl::StrFormat(
      "%-62s %8s\n",
      absl::StrFormat("Send+Receive 64 B, %d others busy: p50 / p99", s.busy_sessions),
      absl::StrFormat("%.1f / %.1f ms", s.loaded.p50_us / 1000, s.loaded.p99_us / 1000));
  if (s.busy_round_trips_per_second > 0) {
    // With every session looping, one session's fair turn comes once per
    // (busy + 1) round trips of the whole service.
    out << absl::StrFormat(
        "%-62s %8s\n",
        absl::StrFormat("  busy sessions together: %.0f round trips/s; fair share",
                        s.busy_round_trips_per_second),
        absl::StrFormat("%.1f ms", (s.busy_sessions + 1) /
                                       s.busy_round_trips_per_second * 1000));
  }
  PrintThreads(absl::StrFormat("  threads under that load (max)"), s.before.threads,
               s.max_threads_busy, tally, out);
  out << absl::StrFormat("%-62s %8s\n", "  socketd RSS after the load",
                         absl::StrFormat("%ld KiB", s.after_busy.rss_kib));
  out << absl::StrFormat(
      "%-62s %8s\n",
      absl::StrFormat("all closed: fds %d (before %d), RSS %ld KiB", s.closed.fds,
                      s.before.fds, s.closed.rss_kib),
      s.closed.fds <= s.before.fds ? "released" : "LEFT OVER");
  if (report.rss_after_rounds_kib.size() > 1) {
    std::string rounds;
    for (long kib : report.rss_after_rounds_kib) absl::StrAppend(&rounds, " ", kib);
    out << "  RSS after each round (KiB):" << rounds << "\n";
  }
}

}  // namespace

Metric* Report::Find(const std::string& id) {
  for (Metric& m : metrics) {
    if (m.id == id) return &m;
  }
  return nullptr;
}

int PrintReport(Report& report, std::ostream& out) {
  Tally tally;
  out << "load average (1, 5, 15 min) at start: " << report.load_before
      << "; at end: " << report.load_after << "\n\n";
  PrintMetrics(report, out);
  PrintComparisons(report, tally, out);
  if (report.threads_at_start > 0) {
    // Information only: gRPC starts some of its pool threads (executors,
    // timers) on first need, up to a bound; whether threads grow with load
    // is judged in the scale part, where only the load changes.
    out << absl::StrFormat(
        "\nsocketd threads: %d at start, %d after the warm-up (%s), at most %d during "
        "the rows (%s)\n",
        report.threads_fresh, report.threads_at_start, report.threads_at_start_names,
        report.threads_max, report.threads_max_names);
  }
  PrintScale(report, tally, out);
  for (const std::string& error : report.errors) out << "ERROR: " << error << "\n";
  out << absl::StrFormat("\ntargets: %d PASS, %d MISS; errors: %d\n", tally.pass,
                         tally.miss, report.errors.size());
  return tally.miss;
}

}  // namespace socketsvc::bench
