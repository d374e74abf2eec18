// Runs the real socketd binary as a child process on a free loopback port.
#ifndef SOCKETSVC_TESTS_E2E_SOCKETD_PROCESS_H_
#define SOCKETSVC_TESTS_E2E_SOCKETD_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace socketsvc::e2e {

class SocketdProcess {
 public:
  // Starts bazel-bin's socketd (from the test's runfiles) with `flags` and
  // --listen=127.0.0.1:0, and waits for its "listening on" line.
  explicit SocketdProcess(std::vector<std::string> flags = {});
  ~SocketdProcess();  // SIGKILLs the process if it is still running.

  bool started() const { return port_ > 0; }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string target() const;

  // Threads of the process right now (from /proc).
  int ThreadCount() const;
  // Open file descriptors of the process right now (from /proc).
  int FdCount() const;

  // Resident memory of the process right now (VmRSS from /proc), in KiB;
  // -1 if unknown.
  long RssKib() const;

  // Sends `signal` and waits up to `timeout_ms` for the exit; returns the
  // exit status (as from waitpid), or -1 on timeout.
  int SignalAndWait(int signal, int timeout_ms);

  // Waits up to `timeout_ms` for `text` in socketd's stderr after the end of
  // the previous match (so each call waits for a new occurrence); true if it
  // came.
  bool WaitForStderr(const std::string& text, int timeout_ms)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Everything read from socketd's stderr so far (a copy: a thread keeps
  // reading stderr for the whole life of the process, so that socketd never
  // blocks on a full pipe, e.g. writing its audit log).
  std::string stderr_text() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void ReadStderr() ABSL_LOCKS_EXCLUDED(mu_);

  pid_t pid_ = -1;
  int port_ = 0;
  int stderr_fd_ = -1;
  // Reads stderr_fd_ into stderr_ from the "listening on" line until EOF.
  std::thread reader_;
  mutable absl::Mutex mu_;
  std::string stderr_ ABSL_GUARDED_BY(mu_);
  size_t stderr_matched_ ABSL_GUARDED_BY(mu_) = 0;  // WaitForStderr searches from here.
};

// Path of a binary in the test's runfiles, e.g. "service/socketd".
std::string RunfilePath(const std::string& relative);

}  // namespace socketsvc::e2e

#endif  // SOCKETSVC_TESTS_E2E_SOCKETD_PROCESS_H_
