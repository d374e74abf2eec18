// socketd: sockets as a service. `socketd --help` lists every flag.
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>

#include <cstdio>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
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
ABSL_FLAG(int64_t, shutdown_grace_ms, 5000,
          "On SIGTERM/SIGINT, how long in-flight calls may finish before they "
          "are cancelled and every socket is aborted.");

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
  options.tls_trust.ca_file = absl::GetFlag(FLAGS_tls_ca_file);
  options.tls_trust.ca_dir = absl::GetFlag(FLAGS_tls_ca_dir);
  return options;
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
    std::cerr << "socketd: " << server.status().message() << std::endl;
    return 1;
  }
  const std::string listen = absl::GetFlag(FLAGS_listen);
  std::cerr << "socketd: listening on "
            << listen.substr(0, listen.rfind(':')) << ":" << (*server)->port()
            << std::endl;

  int signal_number = 0;
  for (;;) {
    sigwait(&handled_signals, &signal_number);
    if (signal_number != SIGHUP) break;
    // SIGHUP re-reads configuration files without dropping any session; a
    // file that does not load leaves the previous configuration in force.
    const absl::Status reloaded = (*server)->Reload();
    std::cerr << "socketd: SIGHUP: "
              << (reloaded.ok() ? "configuration reloaded"
                                : "reload failed, keeping the previous "
                                  "configuration: " +
                                      std::string(reloaded.message()))
              << std::endl;
  }
  std::cerr << "socketd: signal " << signal_number << ", shutting down"
            << std::endl;
  (*server)->Shutdown(
      absl::Milliseconds(absl::GetFlag(FLAGS_shutdown_grace_ms)));
  return 0;
}
