// socketd: sockets as a service. `socketd --help` lists every flag.
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <optional>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "service/ops/grpc_log.h"
#include "service/ops/log.h"
#include "service/server.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "gRPC listen address HOST:PORT (port 0 picks a free port, printed at "
          "start).");
ABSL_FLAG(int, io_threads, 2,
          "Threads running socket I/O. Pending calls hold no thread.");
ABSL_FLAG(int, resolver_threads, 4,
          "Threads running name lookups (getaddrinfo), so that one slow DNS "
          "answer does not delay other Connects; never an I/O thread.");
ABSL_FLAG(std::string, replica_id, "1",
          "This replica's name in handles (s<replica_id>.<random>): 1-16 "
          "lowercase letters or digits.");
ABSL_FLAG(int64_t, max_wait_ms, 300000,
          "Longest wait of a Send/Receive/Connect that gives no timeout_ms "
          "(the gRPC deadline may end it sooner).");
ABSL_FLAG(int64_t, close_drain_timeout_ms, 10000,
          "How long Close(COMPLETE) drains the peer's data when it gives no "
          "timeout_ms.");
ABSL_FLAG(uint32_t, default_receive_bytes, 64 * 1024,
          "Receive's max_bytes when the call leaves it 0.");
ABSL_FLAG(uint32_t, max_receive_bytes, 4 * 1024 * 1024 - 64 * 1024,
          "Most bytes one Receive returns; larger max_bytes are lowered. Above "
          "the default, clients must raise gRPC's 4 MiB receive limit.");
ABSL_FLAG(uint32_t, max_send_bytes, 4 * 1024 * 1024,
          "Most bytes one Send takes; larger ones fail RESOURCE_EXHAUSTED.");
ABSL_FLAG(uint32_t, max_queued_calls, 16,
          "Calls of one direction that may wait behind the running one on a "
          "handle; more fail RESOURCE_EXHAUSTED/HANDLE_BUSY.");
ABSL_FLAG(uint32_t, max_sessions, 100000,
          "Sockets socketd holds at most, over all callers; Connect beyond it "
          "fails RESOURCE_EXHAUSTED/LIMIT_EXCEEDED.");
ABSL_FLAG(uint32_t, max_listeners, 1024,
          "Listeners (Listen) socketd holds at most, over all callers; more fail "
          "RESOURCE_EXHAUSTED/LIMIT_EXCEEDED.");
ABSL_FLAG(std::string, tls_ca_file, "",
          "PEM file of CAs trusted for TLS connections (the role of Omnis's "
          "cacerts folder); empty with --tls_ca_dir empty: the system's store.");
ABSL_FLAG(std::string, tls_ca_dir, "",
          "Directory of hashed CA certificates (openssl rehash) trusted for "
          "TLS connections; see --tls_ca_file.");
ABSL_FLAG(std::string, policy, "",
          "Egress/listen policy file (protobuf text format, "
          "proto/socketsvc/v1/policy.proto): which addresses, host names and "
          "ports each principal may Connect to, and where it may Listen/"
          "ServerCreate; first matching rule wins, no match is denied. Re-read "
          "on SIGHUP (a file that does not parse keeps the old policy). Empty: "
          "allow all but link-local/metadata addresses. socketd's own port is "
          "always refused.");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM certificate chain of the gRPC listener: callers then speak TLS "
          "to socketd (with --tls_key).");
ABSL_FLAG(std::string, tls_key, "",
          "PEM private key of --tls_cert.");
ABSL_FLAG(std::string, client_ca, "",
          "PEM CA certificates for mutual TLS: every caller must present a "
          "client certificate they issued; its first URI SAN, else DNS SAN, "
          "else CN is the caller's principal. Needs --tls_cert.");
ABSL_FLAG(std::string, tokens_file, "",
          "Bearer tokens, one 'TOKEN PRINCIPAL' per line ('#' comments): "
          "callers send 'authorization: Bearer TOKEN'. Re-read on SIGHUP.");
ABSL_FLAG(bool, allow_unauthenticated, false,
          "Listen on a non-loopback --listen address although neither "
          "--tokens_file nor --client_ca authenticates callers.");
ABSL_FLAG(int64_t, shutdown_grace_ms, -1,
          "Old name of --drain_timeout_ms: when set (>= 0), it is used while "
          "--drain_timeout_ms is left at its default.");
// --- Limits, idle timeout, shutdown and audit (docs/semantics.md) ---
ABSL_FLAG(uint32_t, max_sessions_per_principal, 0,
          "Sockets one principal holds at most (Connect and Accept); more fail "
          "RESOURCE_EXHAUSTED/LIMIT_EXCEEDED. 0: only --max_sessions applies.");
ABSL_FLAG(uint32_t, max_http_servers, 1024,
          "HTTP server instances (ServerCreate) at most, over all callers; more "
          "fail RESOURCE_EXHAUSTED/LIMIT_EXCEEDED.");
ABSL_FLAG(uint32_t, max_queued_accepts, 64,
          "Accept calls that may wait on one listener behind the first; more "
          "fail RESOURCE_EXHAUSTED/HANDLE_BUSY.");
ABSL_FLAG(int64_t, idle_timeout_ms, 3600000,
          "A socket through which no byte moved for this long is reset (RST) and "
          "released (Tibbo connectiontout); 0: never. SetOptions changes it per "
          "socket.");
ABSL_FLAG(int64_t, drain_timeout_ms, 5000 /* kDefaultDrainTimeoutMs */,
          "On SIGTERM/SIGINT: stop taking calls, let calls in flight finish, close "
          "every socket with FIN and drain it; whatever is still open after this "
          "long is reset, then socketd exits 0.");
ABSL_FLAG(bool, audit_log, true,
          "One JSON line on stderr for every Connect, Listen, Accept and "
          "ServerCreate: principal, target, result, handle.");
// --- Observability (docs/observability.md) ---
ABSL_FLAG(int, metrics_port, 0,
          "Serve Prometheus metrics at http://--metrics_address:PORT/metrics "
          "(text format 0.0.4): RPCs by method and code with latency "
          "histograms, sessions by state, listeners, HTTP servers, socket "
          "bytes, policy denials, idle reaps. 0: no metrics endpoint.");
ABSL_FLAG(std::string, metrics_address, "127.0.0.1",
          "IPv4 address the metrics endpoint binds (0.0.0.0 for every "
          "interface, e.g. for a Prometheus in another pod). The endpoint has "
          "no authentication.");
ABSL_FLAG(bool, reflection, false,
          "Serve gRPC server reflection (grpc.reflection.v1alpha), so tools "
          "such as grpcurl can list and call the API without its .proto. Needs "
          "no credentials, like the health service (grpc.health.v1.Health), "
          "which is always on.");
ABSL_FLAG(std::string, log_level, "info",
          "Least severe log line written to stderr: debug (also one line per "
          "successful RPC), info, warning or error. Log lines are JSON objects; "
          "audit lines (--audit_log) are written whatever the level.");
// --- Multi-replica routing (docs/scaling.md) ---
ABSL_FLAG(socketsvc::PeerList, peers, {},
          "Other replicas' peer listeners, ID=HOST:PORT,...: calls for their "
          "handles (s<ID>.…) are forwarded to them over mutual TLS. This "
          "replica's own entry is ignored.");
ABSL_FLAG(std::string, peer_dns_pattern, "",
          "Peer address with {id} for the replica id, e.g. "
          "socketd-{id}.socketd-peers.NS.svc.cluster.local:50052 (StatefulSet "
          "pods behind a headless Service); covers ids 0..--max_replicas-1.");
ABSL_FLAG(uint32_t, max_replicas, 1000,
          "With --peer_dns_pattern: handles of replica ids 0 to this - 1 are "
          "forwarded; others exist nowhere (NOT_FOUND).");
ABSL_FLAG(std::string, peer_listen, "",
          "HOST:PORT where this replica takes calls forwarded by its peers "
          "(mutual TLS; only certificates of --peer_ca). Empty: none.");
ABSL_FLAG(std::string, peer_tls_cert, "",
          "PEM certificate of this replica towards its peers (peer listener and "
          "forwarding: needs serverAuth and clientAuth).");
ABSL_FLAG(std::string, peer_tls_key, "", "PEM private key of --peer_tls_cert.");
ABSL_FLAG(std::string, peer_ca, "",
          "PEM CA that issued every replica's --peer_tls_cert; a CA of its own, "
          "never --client_ca's: its certificates may act for any principal.");
ABSL_FLAG(std::string, peer_tls_name, "",
          "Name peer certificates are verified against; empty: the host of the "
          "peer address.");

namespace {

socketsvc::ServerOptions OptionsFromFlags() {
  socketsvc::ServerOptions options;
  options.listen = absl::GetFlag(FLAGS_listen);
  options.io_threads = absl::GetFlag(FLAGS_io_threads);
  options.resolver.threads = absl::GetFlag(FLAGS_resolver_threads);
  options.replica_id = absl::GetFlag(FLAGS_replica_id);
  options.service.max_wait = absl::Milliseconds(absl::GetFlag(FLAGS_max_wait_ms));
  options.service.close_drain_timeout =
      absl::Milliseconds(absl::GetFlag(FLAGS_close_drain_timeout_ms));
  options.service.default_receive_bytes =
      absl::GetFlag(FLAGS_default_receive_bytes);
  options.service.max_receive_bytes = absl::GetFlag(FLAGS_max_receive_bytes);
  options.service.max_send_bytes = absl::GetFlag(FLAGS_max_send_bytes);
  options.session.max_queued_calls = absl::GetFlag(FLAGS_max_queued_calls);
  options.session.max_sessions = absl::GetFlag(FLAGS_max_sessions);
  options.listener.max_listeners = absl::GetFlag(FLAGS_max_listeners);
  options.session.max_sessions_per_principal =
      absl::GetFlag(FLAGS_max_sessions_per_principal);
  options.http.max_servers = absl::GetFlag(FLAGS_max_http_servers);
  options.listener.max_queued_accepts = absl::GetFlag(FLAGS_max_queued_accepts);
  options.session.idle_timeout = absl::Milliseconds(absl::GetFlag(FLAGS_idle_timeout_ms));
  options.service.audit_log = absl::GetFlag(FLAGS_audit_log);
  options.tls_trust.ca_file = absl::GetFlag(FLAGS_tls_ca_file);
  options.tls_trust.ca_dir = absl::GetFlag(FLAGS_tls_ca_dir);
  options.policy_file = absl::GetFlag(FLAGS_policy);
  options.auth.tls_cert_file = absl::GetFlag(FLAGS_tls_cert);
  options.auth.tls_key_file = absl::GetFlag(FLAGS_tls_key);
  options.auth.client_ca_file = absl::GetFlag(FLAGS_client_ca);
  options.auth.tokens_file = absl::GetFlag(FLAGS_tokens_file);
  options.auth.allow_unauthenticated = absl::GetFlag(FLAGS_allow_unauthenticated);
  options.telemetry.metrics_port = absl::GetFlag(FLAGS_metrics_port);
  options.telemetry.metrics_address = absl::GetFlag(FLAGS_metrics_address);
  options.telemetry.reflection = absl::GetFlag(FLAGS_reflection);
  options.routing.peers = absl::GetFlag(FLAGS_peers).peers;
  options.routing.peer_dns_pattern = absl::GetFlag(FLAGS_peer_dns_pattern);
  options.routing.max_replicas = absl::GetFlag(FLAGS_max_replicas);
  options.routing.peer_listen = absl::GetFlag(FLAGS_peer_listen);
  options.routing.peer_tls_cert_file = absl::GetFlag(FLAGS_peer_tls_cert);
  options.routing.peer_tls_key_file = absl::GetFlag(FLAGS_peer_tls_key);
  options.routing.peer_ca_file = absl::GetFlag(FLAGS_peer_ca);
  options.routing.peer_tls_name = absl::GetFlag(FLAGS_peer_tls_name);
  return options;
}

constexpr int64_t kDefaultDrainTimeoutMs = 5000;

// --drain_timeout_ms, or the old --shutdown_grace_ms if only that is set.
absl::Duration DrainTimeout() {
  int64_t ms = absl::GetFlag(FLAGS_drain_timeout_ms);
  if (ms == kDefaultDrainTimeoutMs && absl::GetFlag(FLAGS_shutdown_grace_ms) >= 0) {
    ms = absl::GetFlag(FLAGS_shutdown_grace_ms);
  }
  return absl::Milliseconds(std::max<int64_t>(ms, 0));
}

// Every session is a file descriptor: take all the kernel allows this
// process instead of the 1024 a login shell usually passes on.
void RaiseFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

int main(int argc, char** argv) {
  // --help lists socketd's own flags (this file), not abseil's internals.
  absl::FlagsUsageConfig usage;
  usage.contains_help_flags = [](absl::string_view path) {
    return absl::StrContains(path, "service/");
  };
  usage.contains_helpshort_flags = usage.contains_help_flags;
  absl::SetFlagsUsageConfig(usage);
  absl::SetProgramUsageMessage(
      "socketd holds TCP sockets for gRPC callers.\n"
      "Usage: socketd [--listen=127.0.0.1:50051] [flags]");
  absl::ParseCommandLine(argc, argv);
  const std::optional<socketsvc::LogLevel> log_level =
      socketsvc::ParseLogLevel(absl::GetFlag(FLAGS_log_level));
  if (!log_level) {
    socketsvc::LogLine(socketsvc::LogLevel::kError, "cannot start")
        .Str("error", absl::StrCat("--log_level '", absl::GetFlag(FLAGS_log_level),
                                   "' is not debug, info, warning or error"))
        .Write();
    return 1;
  }
  socketsvc::SetMinLogLevel(*log_level);
  socketsvc::RouteGrpcLogsToLog();

  RaiseFileLimit();
  // A peer that resets must never kill the service.
  signal(SIGPIPE, SIG_IGN);
  // Every thread started from here on inherits the mask; main waits for the
  // signals below synchronously.
  sigset_t handled_signals;
  sigemptyset(&handled_signals);
  sigaddset(&handled_signals, SIGINT);
  sigaddset(&handled_signals, SIGTERM);
  sigaddset(&handled_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &handled_signals, nullptr);

  absl::StatusOr<std::unique_ptr<socketsvc::SocketServer>> server =
      socketsvc::SocketServer::Start(OptionsFromFlags());
  if (!server.ok()) {
    socketsvc::LogLine(socketsvc::LogLevel::kError, "cannot start")
        .Str("error", server.status().message())
        .Write();
    return 1;
  }
  const std::string listen = absl::GetFlag(FLAGS_listen);
  std::cerr << "socketd: listening on "
            << listen.substr(0, listen.rfind(':')) << ":" << (*server)->port()
            << std::endl;
  if (const std::string peer_listen = absl::GetFlag(FLAGS_peer_listen);
      !peer_listen.empty()) {
    std::cerr << "socketd: peer listener on "
              << peer_listen.substr(0, peer_listen.rfind(':')) << ":"
              << (*server)->peer_port() << std::endl;
  }
  if (const int metrics_port = (*server)->metrics_port(); metrics_port > 0) {
    const std::string address = absl::GetFlag(FLAGS_metrics_address);
    socketsvc::LogLine(socketsvc::LogLevel::kInfo, "metrics endpoint")
        .Str("url", absl::StrCat("http://", address, ":", metrics_port, "/metrics"))
        .Write();
  }

  int signal_number = 0;
  for (;;) {
    sigwait(&handled_signals, &signal_number);
    if (signal_number != SIGHUP) break;
    // SIGHUP re-reads configuration files without dropping any session; a
    // file that does not load leaves the previous configuration in force.
    const absl::Status reloaded = (*server)->Reload();
    if (reloaded.ok()) {
      socketsvc::LogLine(socketsvc::LogLevel::kInfo, "SIGHUP: configuration reloaded")
          .Write();
    } else {
      socketsvc::LogLine(socketsvc::LogLevel::kWarning,
                         "SIGHUP: reload failed, keeping the previous configuration")
          .Str("error", reloaded.message())
          .Write();
    }
  }
  const absl::Duration drain = DrainTimeout();
  socketsvc::LogLine(socketsvc::LogLevel::kInfo,
                     absl::StrCat("signal ", signal_number, ", draining for up to ",
                                  absl::FormatDuration(drain)))
      .Int("signal", signal_number)
      .Int("drain_timeout_ms", absl::ToInt64Milliseconds(drain))
      .Write();
  (*server)->Shutdown(drain);
  socketsvc::LogLine(socketsvc::LogLevel::kInfo, "stopped").Write();
  return 0;
}
