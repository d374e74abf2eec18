// socketctl: drives sockets held by socketd from the command line.
// Run `socketctl help` for usage; exit codes are listed in kUsage.
//
// This file holds main, the command dispatch and the one-RPC commands;
// flags.h has the flags, connect.h builds ConnectRequests, tls.h the TLS
// options and output, cat.h the netcat loop, output.h error lines.
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/client.h"
#include "client/socketctl/cat.h"
#include "client/socketctl/connect.h"
#include "client/socketctl/errors.h"
#include "client/socketctl/flags.h"
#include "client/socketctl/health.h"
#include "client/socketctl/output.h"
#include "client/socketctl/poll.h"
#include "client/socketctl/server_credentials.h"
#include "client/socketctl/tls.h"
#include "common/socket_error.h"

namespace socketsvc::socketctl {
namespace {

// absl prefixes it with "socketctl: " in --help; `help` does the same.
constexpr char kUsage[] = R"(drive TCP sockets held by socketd.

usage: socketctl [flags] COMMAND ARGS...

commands:
  connect HOST PORT|SERVICE  open a socket; prints its handle on stdout and
                             "connected LOCAL -> REMOTE" on stderr; with --tls
                             also "tls VERSION CIPHER verified|unverified
                             peer=SUBJECT [alpn=PROTOCOL]"
  send HANDLE DATA           send DATA ("-": all of stdin); prints bytes sent
  recv HANDLE                receive once; writes the bytes raw to stdout and
                             "eof" / "timed out" on stderr when so
  close HANDLE               close (--mode); prints released / drained bytes
  info HANDLE                state, addresses and counters of the socket, and
                             tls.* lines once it speaks TLS
  starttls HANDLE            upgrade an open plain connection to TLS (--tls_*
                             flags); prints the "tls ..." line on stderr
  resolve NAME               the addresses of a name, or the names of an
                             address literal, one per line
  cat HOST PORT|SERVICE      netcat through socketd: stdin -> socket -> stdout;
                             stdin EOF half-closes, peer EOF closes and exits
  listen [ADDRESS] PORT      listen (default 127.0.0.1; port 0: any); prints
                             the listener handle, "listening on" on stderr
  accept LISTENER            wait for a connection (--timeout_ms); prints its
                             socket handle, or "timed out" on stderr
  poll HANDLE[=rwa]...       wait (--timeout_ms) until a handle is readable,
                             writable or acceptable (default: a listener
                             acceptable, others readable); prints "HANDLE
                             EVENTS" per ready handle, or "timed out"
  health [SERVICE]           grpc.health.v1 check (default: the whole server);
                             prints SERVING / NOT_SERVING; exit 0 only when
                             serving (probes: deploy/)
  help                       this text

flags:
  --server=HOST:PORT   socketd address (default 127.0.0.1:50051)
  --timeout_ms=N       socket-level timeout (unset: socketd default; 0: do not
                       block; -1: no own limit)
  --rpc_timeout=DUR    gRPC deadline per call, e.g. 10s (default: none; cat's
                       Send and Receive are never bounded)
  --mode=M             close mode: complete|partial|abort|discard
  --max_bytes=N        recv/cat: most bytes per Receive
  --min_bytes=N        recv: wait for at least N bytes
  Put "--" before DATA that starts with "-".

socketd flags (when socketd authenticates callers; README "Authentication"):
  --token_file=FILE        bearer token: the file's first line
  --token=TOKEN            bearer token on the command line (ps shows it)
  --server_ca=FILE         speak TLS to socketd, trusting these CAs (PEM)
  --server_tls_name=NAME   name socketd's certificate carries (default: the
                           --server host)
  --client_cert=FILE --client_key=FILE
                           client certificate and key (PEM) for mutual TLS

TLS flags (connect and cat with --tls; starttls):
  --tls                    connect/cat: TLS handshake as part of the connect
  --tls_skip_verify        encrypt, but do not check the peer's certificate
  --tls_server_name=NAME   SNI and name verified (default: HOST)
  --tls_ca=FILE            extra trusted CA certificates (PEM); socketd's
                           trust store still applies
  --tls_cert=FILE --tls_key=FILE
                           client certificate chain and key (PEM) for mTLS
  --alpn=P1,P2             ALPN protocols to offer, e.g. h2,http/1.1
  --tls_min_version=V      1.2 (default) or 1.3
  socketctl reads the files and sends their contents to socketd.

exit codes:
  0  success
  1  usage error (bad command line, unreadable --tls_* file, or socketd
     rejected an argument)
  2  cannot reach socketd (UNAVAILABLE or DEADLINE_EXCEEDED without a socket
     error, or socketd shutting down)
  3  socket error (refused, reset, host not found, timed out, denied, TLS
     handshake or certificate verification failed, ...)
  4  not found (unknown or released handle)
  5  other error (internal error, local I/O)
  6  not authenticated (no or a wrong --token; with a refused client
     certificate the TLS handshake fails: 2)
  130/143  cat interrupted by SIGINT/SIGTERM (the socket is discarded)
)";

std::optional<v1::CloseMode> ParseMode(absl::string_view mode) {
  if (mode == "complete") return v1::CLOSE_MODE_COMPLETE;
  if (mode == "partial") return v1::CLOSE_MODE_PARTIAL;
  if (mode == "abort") return v1::CLOSE_MODE_ABORT;
  if (mode == "discard") return v1::CLOSE_MODE_DISCARD;
  return std::nullopt;
}

int CmdConnect(const Client& client, const std::vector<std::string>& args) {
  if (args.size() != 2) return UsageError("usage: connect HOST PORT|SERVICE");
  v1::ConnectResponse conn;
  const int connected = ConnectFromFlags(client, args[0], args[1], &conn);
  if (connected != kOk) return connected;
  std::printf("%s\n", conn.handle().c_str());
  std::fprintf(stderr, "connected %s -> %s\n",
               HostPort(conn.local_address(), conn.local_port()).c_str(),
               HostPort(conn.remote_address(), conn.remote_port()).c_str());
  if (conn.has_tls()) {
    std::fprintf(stderr, "%s\n", TlsSummary(conn.tls()).c_str());
  }
  return kOk;
}

int CmdSend(const Client& client, const std::vector<std::string>& args) {
  if (args.size() != 2) return UsageError("usage: send HANDLE DATA|-");
  std::string data = args[1];
  if (data == "-") {
    data.clear();
    char buffer[65536];
    for (;;) {
      ssize_t n = read(STDIN_FILENO, buffer, sizeof buffer);
      if (n == 0) break;
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        std::fprintf(stderr, "socketctl: stdin: %s\n", std::strerror(errno));
        return kOtherError;
      }
      data.append(buffer, n);
    }
  }
  absl::StatusOr<v1::SendResponse> sent = client.Send(
      args[0], data, absl::GetFlag(FLAGS_timeout_ms), OptionsFromFlags());
  if (!sent.ok()) return Report("send", sent.status());
  std::printf("%llu\n", static_cast<unsigned long long>(sent->bytes_sent()));
  if (sent->timed_out()) std::fprintf(stderr, "timed out\n");
  return kOk;
}

int CmdRecv(const Client& client, const std::vector<std::string>& args) {
  if (args.size() != 1) return UsageError("usage: recv HANDLE");
  absl::StatusOr<v1::ReceiveResponse> received = client.Receive(
      args[0], absl::GetFlag(FLAGS_max_bytes), absl::GetFlag(FLAGS_min_bytes),
      absl::GetFlag(FLAGS_timeout_ms), OptionsFromFlags());
  if (!received.ok()) return Report("recv", received.status());
  if (!WriteOut(received->data())) {
    std::fprintf(stderr, "socketctl: stdout: %s\n", std::strerror(errno));
    return kOtherError;
  }
  if (received->eof()) std::fprintf(stderr, "eof\n");
  if (received->timed_out()) std::fprintf(stderr, "timed out\n");
  return kOk;
}

int CmdClose(const Client& client, const std::vector<std::string>& args) {
  if (args.size() != 1) return UsageError("usage: close HANDLE [--mode=...]");
  std::optional<v1::CloseMode> mode = ParseMode(absl::GetFlag(FLAGS_mode));
  if (!mode) return UsageError("--mode must be complete|partial|abort|discard");
  absl::StatusOr<v1::CloseResponse> closed = client.Close(
      args[0], *mode, absl::GetFlag(FLAGS_timeout_ms), OptionsFromFlags());
  if (!closed.ok()) return Report("close", closed.status());
  std::printf("released: %s\ndrained_bytes: %llu\n",
              closed->released() ? "true" : "false",
              static_cast<unsigned long long>(closed->drained_bytes()));
  if (closed->drain_timed_out()) std::printf("drain_timed_out: true\n");
  return kOk;
}

int CmdListen(const Client& client, const std::vector<std::string>& args) {
  if (args.empty() || args.size() > 2) {
    return UsageError("usage: listen [ADDRESS] PORT");
  }
  uint32_t port = 0;
  if (!absl::SimpleAtoi(args.back(), &port) || port > 65535) {
    return UsageError(absl::StrCat("bad port: ", args.back()));
  }
  absl::StatusOr<v1::ListenResponse> listening = client.Listen(
      args.size() == 2 ? args[0] : "", port, 0, OptionsFromFlags());
  if (!listening.ok()) return Report("listen", listening.status());
  std::printf("%s\n", listening->listener().c_str());
  std::fprintf(stderr, "listening on %s\n",
               HostPort(listening->bound_address(), listening->port()).c_str());
  return kOk;
}

int CmdAccept(const Client& client, const std::vector<std::string>& args) {
  if (args.size() != 1) return UsageError("usage: accept LISTENER");
  absl::StatusOr<v1::AcceptResponse> accepted = client.Accept(
      args[0], absl::GetFlag(FLAGS_timeout_ms), OptionsFromFlags());
  if (!accepted.ok()) return Report("accept", accepted.status());
  if (accepted->timed_out()) {
    std::fprintf(stderr, "timed out\n");
    return kOk;
  }
  std::printf("%s\n", accepted->handle().c_str());
  std::fprintf(stderr, "accepted %s\n",
               HostPort(accepted->peer_address(), accepted->peer_port()).c_str());
  return kOk;
}

int CmdInfo(const Client& client, const std::vector<std::string>& args) {
  if (args.size() != 1) return UsageError("usage: info HANDLE");
  absl::StatusOr<v1::SocketInfo> info =
      client.GetInfo(args[0], OptionsFromFlags());
  if (!info.ok()) return Report("info", info.status());
  std::string text = absl::StrCat(
      "handle: ", info->handle(),
      "\nstate: ", v1::SocketState_Name(info->state()),
      "\nlocal: ", HostPort(info->local_address(), info->local_port()),
      "\nremote: ", HostPort(info->remote_address(), info->remote_port()),
      "\nbytes_sent: ", info->bytes_sent(),
      "\nbytes_received: ", info->bytes_received(),
      "\nidle_ms: ", info->idle_ms(), "\nage_ms: ", info->age_ms(),
      "\npending_sends: ", info->pending_sends(),
      "\npending_receives: ", info->pending_receives(),
      "\nlast_error: ", v1::SocketError_Name(info->last_error()), "\n");
  if (info->last_os_errno() != 0) {
    absl::StrAppend(&text, "last_os_errno: ", info->last_os_errno(), " (",
                    ErrnoName(info->last_os_errno()), ")\n");
  }
  if (info->has_tls()) absl::StrAppend(&text, TlsInfoLines(info->tls()));
  std::fputs(text.c_str(), stdout);
  return kOk;
}

int CmdStartTls(const Client& client, const std::vector<std::string>& args) {
  if (args.size() != 1) return UsageError("usage: starttls HANDLE");
  absl::StatusOr<v1::TlsOptions> tls = TlsOptionsFromFlags();
  if (!tls.ok()) return UsageError(tls.status().message());
  absl::StatusOr<v1::StartTlsResponse> started =
      client.StartTls(args[0], *std::move(tls),
                      absl::GetFlag(FLAGS_timeout_ms), OptionsFromFlags());
  if (!started.ok()) return Report("starttls", started.status());
  std::fprintf(stderr, "%s\n", TlsSummary(started->tls()).c_str());
  return kOk;
}

int CmdResolve(const Client& client, const std::vector<std::string>& args) {
  if (args.size() != 1) return UsageError("usage: resolve NAME|ADDRESS");
  absl::StatusOr<v1::ResolveResponse> resolved = client.Resolve(
      args[0], absl::GetFlag(FLAGS_timeout_ms), OptionsFromFlags());
  if (!resolved.ok()) return Report("resolve", resolved.status());
  std::string text;
  for (const std::string& address : resolved->addresses()) {
    absl::StrAppend(&text, address, "\n");
  }
  for (const std::string& name : resolved->names()) {
    absl::StrAppend(&text, name, "\n");
  }
  if (!WriteOut(text)) {
    std::fprintf(stderr, "socketctl: stdout: %s\n", std::strerror(errno));
    return kOtherError;
  }
  return kOk;
}

int Main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  if (positional.size() < 2) {
    std::fprintf(stderr, "socketctl: %s", kUsage);
    return kUsageError;
  }
  const std::string command = positional[1];
  const std::vector<std::string> args(positional.begin() + 2, positional.end());
  if (command == "help") {
    std::printf("socketctl: %s", kUsage);
    return kOk;
  }

  if (command == "cat") PrepareCatSignals();  // before any thread exists
  absl::StatusOr<ClientCredentialsOptions> credentials =
      ServerCredentialsFromFlags();
  if (!credentials.ok()) return UsageError(credentials.status().message());
  const Client client = Client::Create(absl::GetFlag(FLAGS_server), *credentials);
  if (command == "health") {
    return CmdHealth(absl::GetFlag(FLAGS_server), *credentials,
                     absl::GetFlag(FLAGS_rpc_timeout), args);
  }
  if (command == "connect") return CmdConnect(client, args);
  if (command == "send") return CmdSend(client, args);
  if (command == "recv") return CmdRecv(client, args);
  if (command == "close") return CmdClose(client, args);
  if (command == "info") return CmdInfo(client, args);
  if (command == "starttls") return CmdStartTls(client, args);
  if (command == "resolve") return CmdResolve(client, args);
  if (command == "listen") return CmdListen(client, args);
  if (command == "accept") return CmdAccept(client, args);
  if (command == "poll") return CmdPoll(client, args);
  if (command == "cat") return CmdCat(client, args);
  return UsageError(absl::StrCat("unknown command: ", command));
}

}  // namespace
}  // namespace socketsvc::socketctl

int main(int argc, char** argv) {
  return socketsvc::socketctl::Main(argc, argv);
}
