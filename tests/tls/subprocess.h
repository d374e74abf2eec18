// Child processes and temporary directories for tests that run real
// third-party programs (openssl, nginx, curl) next to socketd.
//
// A test that starts a server process must never leave it behind: not when an
// ASSERT returns early (the destructor stops it), and not when the test binary
// itself dies (the child asks the kernel for SIGKILL when its parent goes,
// PR_SET_PDEATHSIG). Children inherit none of the test's descriptors except
// stdin/stdout/stderr, so a child can never keep a test's socket open and
// change what a peer observes.
//
// Thread-safety: Output()/WaitForOutput() may be called from any thread; the
// rest belongs to the thread that started the process (PR_SET_PDEATHSIG fires
// when *that thread* exits, so start long-lived servers from the test thread).
#ifndef SOCKETSVC_TESTS_TLS_SUBPROCESS_H_
#define SOCKETSVC_TESTS_TLS_SUBPROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/peers/peers.h"

namespace socketsvc::tls {

// Full path of `name`, searched in $PATH and then in the sbin directories
// (Bazel's strict test environment leaves /usr/sbin, where nginx lives, out
// of PATH). Empty if not found.
std::string FindProgram(const std::string& name);

// A directory under $TEST_TMPDIR (or /tmp outside Bazel), removed with its
// contents by the destructor.
class TempDir {
 public:
  // Aborts if the directory cannot be made: nothing in a test can work then.
  explicit TempDir(std::string_view prefix = "tls");
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::string& path() const { return path_; }
  // path() + "/" + name.
  std::string File(std::string_view name) const;

 private:
  std::string path_;
};

// Writes `contents` to `path` (truncating); false on any error.
bool WriteFile(const std::string& path, std::string_view contents);
// The whole file, or nullopt if it cannot be read.
std::optional<std::string> ReadFile(const std::string& path);

// One running child process. stdout and stderr are merged into one pipe that
// a thread reads into Output(); stdin is a pipe the test may write to.
class Subprocess {
 public:
  // Starts `argv` (argv[0] found with FindProgram unless it contains '/').
  static absl::StatusOr<std::unique_ptr<Subprocess>> Start(
      std::vector<std::string> argv, const std::string& working_dir = "");

  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;
  ~Subprocess();  // Stop().

  pid_t pid() const { return pid_; }

  // Everything the process wrote to stdout and stderr so far.
  std::string Output() const;
  // Waits until Output() contains `needle`.
  bool WaitForOutput(
      std::string_view needle,
      std::chrono::milliseconds timeout = peers::kDefaultWait) const;
  // Waits until `pred(Output())` holds.
  bool WaitForOutputMatching(
      const std::function<bool(const std::string&)>& pred,
      std::chrono::milliseconds timeout = peers::kDefaultWait) const;

  // Writes to the process's stdin; false if it is closed or the child is gone.
  bool WriteStdin(std::string_view data);
  // Closes stdin: the child reads EOF.
  void CloseStdin();

  // True until the process has exited (and was reaped).
  bool Running();
  // Waits for the exit; returns the waitpid() status, or nullopt on timeout.
  std::optional<int> WaitForExit(std::chrono::milliseconds timeout);
  // SIGTERM, then SIGKILL after `grace`; reaps the process and collects the
  // rest of its output. Idempotent. Returns the waitpid() status.
  int Stop(std::chrono::milliseconds grace = std::chrono::milliseconds(3000));

 private:
  Subprocess() = default;
  void ReadLoop();
  void StopReader();

  pid_t pid_ = -1;
  std::optional<int> status_;  // Set once reaped.
  int stdin_fd_ = -1;
  int output_fd_ = -1;
  int stop_read_fd_ = -1;  // Readable once the reader should finish.
  int stop_write_fd_ = -1;
  peers::Guarded<std::string> output_;
  std::thread reader_;
};

// What a finished command printed and how it exited.
struct CommandResult {
  int exit_code = -1;  // -1 if killed by a signal or timed out.
  std::string output;  // stdout and stderr, interleaved.
  bool ok() const { return exit_code == 0; }
};

// Runs `argv` to completion with `input` on its stdin; kills it after
// `timeout`. A program that cannot be started reports exit code 127.
CommandResult RunCommand(
    std::vector<std::string> argv, std::string_view input = "",
    std::chrono::milliseconds timeout = std::chrono::milliseconds(30000));

// A free TCP port on `host` (bound to port 0, read back and closed). For
// programs that cannot be told to pick their own port (nginx): callers must
// retry when the port was taken in between.
uint16_t PickFreePort(const std::string& host = "127.0.0.1");

// True once a TCP connection to host:port succeeds (connect, then close).
bool CanConnect(const std::string& host, uint16_t port);

// "127.0.0.1:443" or "[::1]:443".
std::string HostPort(const std::string& host, uint16_t port);

}  // namespace socketsvc::tls

#endif  // SOCKETSVC_TESTS_TLS_SUBPROCESS_H_
