// socketctl: drives sockets held by socketd from the command line.
// Run `socketctl help` for usage; exit codes are listed in kUsage.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "client/socketctl/errors.h"
#include "common/socket_error.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051",
          "socketd address (host:port)");
ABSL_FLAG(std::optional<int64_t>, timeout_ms, std::nullopt,
          "socket-level timeout of connect/send/recv/close in ms: unset = "
          "socketd's default, 0 = do not block, -1 = no own limit");
ABSL_FLAG(absl::Duration, rpc_timeout, absl::InfiniteDuration(),
          "gRPC deadline of each call, e.g. 10s (default: none)");
ABSL_FLAG(std::string, mode, "complete",
          "close mode: complete|partial|abort|discard");
ABSL_FLAG(
    uint32_t, max_bytes, 0,
    "recv/cat: most bytes per Receive (0 = socketd's default; cat: 64KiB)");
ABSL_FLAG(uint32_t, min_bytes, 0,
          "recv: answer once this many bytes are there");

namespace socketsvc {
namespace {

using socketctl::kOk;
using socketctl::kOtherError;
using socketctl::kSocketError;
using socketctl::kUsageError;

// absl prefixes it with "socketctl: " in --help; `help` does the same.
constexpr char kUsage[] = R"(drive TCP sockets held by socketd.

usage: socketctl [flags] COMMAND ARGS...

commands:
  connect HOST PORT|SERVICE  open a socket; prints its handle on stdout and
                             "connected LOCAL -> REMOTE" on stderr
  send HANDLE DATA           send DATA ("-": all of stdin); prints bytes sent
  recv HANDLE                receive once; writes the bytes raw to stdout and
                             "eof" / "timed out" on stderr when so
  close HANDLE               close (--mode); prints released / drained bytes
  info HANDLE                state, addresses and counters of the socket
  cat HOST PORT|SERVICE      netcat through socketd: stdin -> socket -> stdout;
                             stdin EOF half-closes, peer EOF closes and exits
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

exit codes:
  0  success
  1  usage error (bad command line, or socketd rejected an argument)
  2  cannot reach socketd (UNAVAILABLE or DEADLINE_EXCEEDED without a socket
     error, or socketd shutting down)
  3  socket error (refused, reset, host not found, timed out, denied, ...)
  4  not found (unknown or released handle)
  5  other error (internal error, local I/O)
  130/143  cat interrupted by SIGINT/SIGTERM (the socket is discarded)
)";

// Prints the error line and returns the exit code.
int Report(absl::string_view op, const absl::Status& status) {
  std::fprintf(stderr, "%s\n", socketctl::ErrorLine(op, status).c_str());
  return socketctl::ExitCodeFor(status);
}

int UsageError(absl::string_view message) {
  std::fprintf(stderr, "socketctl: %.*s\nRun 'socketctl help' for usage.\n",
               static_cast<int>(message.size()), message.data());
  return kUsageError;
}

// Ends the process at once, from any thread: flushes stdio and skips
// destructors, so a thread blocked reading stdin cannot hold it up. The first
// caller wins; later callers block until the process is gone.
[[noreturn]] void Exit(int code) {
  static absl::Mutex* const mu = new absl::Mutex;
  mu->Lock();
  std::fflush(stdout);
  std::fflush(stderr);
  std::_Exit(code);
}

std::string HostPort(absl::string_view address, uint32_t port) {
  if (absl::StrContains(address, ':'))
    return absl::StrCat("[", address, "]:", port);
  return absl::StrCat(address, ":", port);
}

CallOptions Options() {
  CallOptions options;
  options.rpc_timeout = absl::GetFlag(FLAGS_rpc_timeout);
  return options;
}

// Connects to HOST and PORT (digits) or SERVICE (anything else).
absl::StatusOr<v1::ConnectResponse> ConnectTo(const Client& client,
                                              absl::string_view host,
                                              absl::string_view target) {
  std::optional<int64_t> timeout_ms = absl::GetFlag(FLAGS_timeout_ms);
  uint32_t port = 0;
  if (!target.empty() &&
      std::all_of(target.begin(), target.end(), absl::ascii_isdigit)) {
    if (!absl::SimpleAtoi(target, &port) || port > 65535) {
      return absl::InvalidArgumentError(absl::StrCat("bad port: ", target));
    }
    return client.Connect(host, port, timeout_ms, Options());
  }
  return client.ConnectService(host, target, timeout_ms, Options());
}

std::optional<v1::CloseMode> ParseMode(absl::string_view mode) {
  if (mode == "complete") return v1::CLOSE_MODE_COMPLETE;
  if (mode == "partial") return v1::CLOSE_MODE_PARTIAL;
  if (mode == "abort") return v1::CLOSE_MODE_ABORT;
  if (mode == "discard") return v1::CLOSE_MODE_DISCARD;
  return std::nullopt;
}

// Writes all of `data` to stdout and flushes; false on a write error.
bool WriteOut(const std::string& data) {
  if (!data.empty() &&
      std::fwrite(data.data(), 1, data.size(), stdout) != data.size()) {
    return false;
  }
  return std::fflush(stdout) == 0;
}

int CmdConnect(const Client& client, const std::vector<std::string>& args) {
  if (args.size() != 2) return UsageError("usage: connect HOST PORT|SERVICE");
  absl::StatusOr<v1::ConnectResponse> conn =
      ConnectTo(client, args[0], args[1]);
  if (!conn.ok()) return Report("connect", conn.status());
  std::printf("%s\n", conn->handle().c_str());
  std::fprintf(stderr, "connected %s -> %s\n",
               HostPort(conn->local_address(), conn->local_port()).c_str(),
               HostPort(conn->remote_address(), conn->remote_port()).c_str());
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
  absl::StatusOr<v1::SendResponse> sent =
      client.Send(args[0], data, absl::GetFlag(FLAGS_timeout_ms), Options());
  if (!sent.ok()) return Report("send", sent.status());
  std::printf("%llu\n", static_cast<unsigned long long>(sent->bytes_sent()));
  if (sent->timed_out()) std::fprintf(stderr, "timed out\n");
  return kOk;
}

int CmdRecv(const Client& client, const std::vector<std::string>& args) {
  if (args.size() != 1) return UsageError("usage: recv HANDLE");
  absl::StatusOr<v1::ReceiveResponse> received = client.Receive(
      args[0], absl::GetFlag(FLAGS_max_bytes), absl::GetFlag(FLAGS_min_bytes),
      absl::GetFlag(FLAGS_timeout_ms), Options());
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
  absl::StatusOr<v1::CloseResponse> closed =
      client.Close(args[0], *mode, absl::GetFlag(FLAGS_timeout_ms), Options());
  if (!closed.ok()) return Report("close", closed.status());
  std::printf("released: %s\ndrained_bytes: %llu\n",
              closed->released() ? "true" : "false",
              static_cast<unsigned long long>(closed->drained_bytes()));
  if (closed->drain_timed_out()) std::printf("drain_timed_out: true\n");
  return kOk;
}

int CmdInfo(const Client& client, const std::vector<std::string>& args) {
  if (args.size() != 1) return UsageError("usage: info HANDLE");
  absl::StatusOr<v1::SocketInfo> info = client.GetInfo(args[0], Options());
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
  std::fputs(text.c_str(), stdout);
  return kOk;
}

// Whichever thread of `cat` first decides to end the process (peer EOF, an
// error, a signal) takes over; errors the other threads see after that are
// consequences of its Close and are not reported.
std::atomic<bool> finishing{false};
bool TakeOver() { return !finishing.exchange(true); }

// Blocks forever: another thread is ending the process.
[[noreturn]] void Park() {
  for (;;) absl::SleepFor(absl::Hours(1));
}

// Reports `status`, releases the handle if it may still exist, and exits.
[[noreturn]] void Fail(const Client& client, const std::string& handle,
                       absl::string_view op, const absl::Status& status) {
  const int code = Report(op, status);
  if (code == kSocketError || code == kOtherError) {
    CallOptions options;
    options.rpc_timeout = absl::Seconds(5);
    (void)client.Close(handle, v1::CLOSE_MODE_DISCARD, std::nullopt, options);
  }
  Exit(code);
}

// Reads stdin and sends each chunk; on stdin EOF half-closes the socket.
void SendStdin(const Client& client, const std::string& handle) {
  char buffer[65536];
  for (;;) {
    ssize_t n = read(STDIN_FILENO, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      std::fprintf(stderr, "socketctl: stdin: %s\n", std::strerror(errno));
    if (n <= 0) break;
    absl::string_view chunk(buffer, n);
    while (!chunk.empty()) {
      // Unbounded: TCP backpressure decides how long a Send takes.
      absl::StatusOr<v1::SendResponse> sent =
          client.Send(handle, chunk, /*timeout_ms=*/-1);
      if (!sent.ok()) {
        if (!TakeOver()) return;
        Fail(client, handle, "send", sent.status());
      }
      chunk.remove_prefix(std::min<uint64_t>(sent->bytes_sent(), chunk.size()));
    }
  }
  absl::StatusOr<v1::CloseResponse> closed =
      client.Close(handle, v1::CLOSE_MODE_PARTIAL, std::nullopt, Options());
  if (!closed.ok() && TakeOver())
    Fail(client, handle, "close", closed.status());
}

// Ends the process on SIGINT/SIGTERM (blocked in every other thread),
// discarding the socket so that it does not linger in socketd.
void AwaitSignal(const Client& client, const std::string& handle) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  int signal_number = 0;
  if (sigwait(&signals, &signal_number) != 0) return;
  if (TakeOver()) {
    CallOptions options;
    options.rpc_timeout = absl::Seconds(5);
    (void)client.Close(handle, v1::CLOSE_MODE_DISCARD, std::nullopt, options);
  }
  Exit(128 + signal_number);
}

// Never returns once connected: the process ends through Exit().
int CmdCat(const Client& client, const std::vector<std::string>& args) {
  if (args.size() != 2) return UsageError("usage: cat HOST PORT|SERVICE");
  absl::StatusOr<v1::ConnectResponse> conn =
      ConnectTo(client, args[0], args[1]);
  if (!conn.ok()) return Report("connect", conn.status());
  const std::string handle = conn->handle();
  std::thread(AwaitSignal, std::cref(client), handle).detach();
  std::thread(SendStdin, std::cref(client), handle).detach();

  const uint32_t max_bytes = absl::GetFlag(FLAGS_max_bytes) != 0
                                 ? absl::GetFlag(FLAGS_max_bytes)
                                 : 64 * 1024;
  for (;;) {
    // Unbounded: waits for the peer as long as it takes.
    absl::StatusOr<v1::ReceiveResponse> received =
        client.Receive(handle, max_bytes, 0, /*timeout_ms=*/-1);
    if (!received.ok()) {
      if (!TakeOver()) Park();
      Fail(client, handle, "recv", received.status());
    }
    if (!WriteOut(received->data())) {
      const int error = errno;
      if (!TakeOver()) Park();
      std::fprintf(stderr, "socketctl: stdout: %s\n", std::strerror(error));
      (void)client.Close(handle, v1::CLOSE_MODE_DISCARD, std::nullopt,
                         Options());
      Exit(kOtherError);
    }
    if (received->eof()) break;
  }
  if (!TakeOver()) Park();
  absl::StatusOr<v1::CloseResponse> closed =
      client.Close(handle, v1::CLOSE_MODE_COMPLETE, std::nullopt, Options());
  if (!closed.ok() && closed.status().code() != absl::StatusCode::kNotFound) {
    Fail(client, handle, "close", closed.status());
  }
  Exit(kOk);
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

  if (command == "cat") {
    // Before any thread exists (gRPC's included), so that all inherit it:
    // only cat's AwaitSignal thread takes SIGINT/SIGTERM.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    signal(SIGPIPE, SIG_IGN);  // a closed stdout shows up as a write error
  }
  const Client client = Client::Create(absl::GetFlag(FLAGS_server));
  if (command == "connect") return CmdConnect(client, args);
  if (command == "send") return CmdSend(client, args);
  if (command == "recv") return CmdRecv(client, args);
  if (command == "close") return CmdClose(client, args);
  if (command == "info") return CmdInfo(client, args);
  if (command == "cat") return CmdCat(client, args);
  return UsageError(absl::StrCat("unknown command: ", command));
}

}  // namespace
}  // namespace socketsvc

int main(int argc, char** argv) { return socketsvc::Main(argc, argv); }
