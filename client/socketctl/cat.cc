#include "client/socketctl/cat.h"

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
#include <functional>
#include <optional>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/socketctl/connect.h"
#include "client/socketctl/errors.h"
#include "client/socketctl/flags.h"
#include "client/socketctl/output.h"

namespace socketsvc::socketctl {
namespace {

sigset_t CatSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  return signals;
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
  absl::StatusOr<v1::CloseResponse> closed = client.Close(
      handle, v1::CLOSE_MODE_PARTIAL, std::nullopt, OptionsFromFlags());
  if (!closed.ok() && TakeOver())
    Fail(client, handle, "close", closed.status());
}

// Ends the process on SIGINT/SIGTERM (blocked in every other thread),
// discarding the socket so that it does not linger in socketd.
void AwaitSignal(const Client& client, const std::string& handle) {
  const sigset_t signals = CatSignals();
  int signal_number = 0;
  if (sigwait(&signals, &signal_number) != 0) return;
  if (TakeOver()) {
    CallOptions options;
    options.rpc_timeout = absl::Seconds(5);
    (void)client.Close(handle, v1::CLOSE_MODE_DISCARD, std::nullopt, options);
  }
  Exit(128 + signal_number);
}

}  // namespace

void PrepareCatSignals() {
  const sigset_t signals = CatSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

int CmdCat(const Client& client, const std::vector<std::string>& args) {
  if (args.size() != 2) return UsageError("usage: cat HOST PORT|SERVICE");
  v1::ConnectResponse conn;
  const int connected = ConnectFromFlags(client, args[0], args[1], &conn);
  if (connected != kOk) return connected;
  const std::string handle = conn.handle();
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
                         OptionsFromFlags());
      Exit(kOtherError);
    }
    if (received->eof()) break;
  }
  if (!TakeOver()) Park();
  absl::StatusOr<v1::CloseResponse> closed = client.Close(
      handle, v1::CLOSE_MODE_COMPLETE, std::nullopt, OptionsFromFlags());
  if (!closed.ok() && closed.status().code() != absl::StatusCode::kNotFound) {
    Fail(client, handle, "close", closed.status());
  }
  Exit(kOk);
}

}  // namespace socketsvc::socketctl
