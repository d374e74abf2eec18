// Runs the real socketd binary as a child process on a free loopback port.
#ifndef SOCKETSVC_TESTS_E2E_SOCKETD_PROCESS_H_
#define SOCKETSVC_TESTS_E2E_SOCKETD_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

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

  // Sends `signal` and waits up to `timeout_ms` for the exit; returns the
  // exit status (as from waitpid), or -1 on timeout.
  int SignalAndWait(int signal, int timeout_ms);

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  int stderr_fd_ = -1;
};

// Path of a binary in the test's runfiles, e.g. "service/socketd".
std::string RunfilePath(const std::string& relative);

}  // namespace socketsvc::e2e

#endif  // SOCKETSVC_TESTS_E2E_SOCKETD_PROCESS_H_
