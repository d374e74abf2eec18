// The helper processes of a benchmark run (socat, the bare gRPC echo server):
// started with fork/exec, stopped with SIGTERM (SIGKILL if they linger).
// Not thread-safe: one owner.
#ifndef SOCKETSVC_BENCH_CHILD_PROCESS_H_
#define SOCKETSVC_BENCH_CHILD_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace socketsvc::bench {

class ChildProcess {
 public:
  // Runs argv[0] (a path, or a name looked up in PATH) with the rest as
  // arguments; its stdout is a pipe read by ReadLine, its stderr is ours.
  explicit ChildProcess(std::vector<std::string> argv);
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();  // Stop(2000).

  bool started() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

  // False once the child has exited (reaped here; Stop then returns -1).
  bool Running();

  // The next line of the child's stdout, without '\n'; nullopt after
  // `timeout_ms` or at EOF.
  std::optional<std::string> ReadLine(int timeout_ms);

  // SIGTERM, waits up to `timeout_ms`, then SIGKILL. Returns the wait status
  // (as from waitpid), or -1 if it was not running.
  int Stop(int timeout_ms);

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string buffered_;
};

// A TCP port on 127.0.0.1 that was free a moment ago (bound to 0, read back,
// closed), for programs that cannot report the port they picked (socat).
uint16_t FreeLoopbackPort();

// Waits until something accepts connections on 127.0.0.1:`port`.
bool WaitForListener(uint16_t port, int timeout_ms);

// What /proc says about a process.
struct ProcStats {
  int threads = -1;
  int fds = -1;
  long rss_kib = -1;
  double cpu_seconds = -1;  // user + system
  // Context switches (voluntary and not) summed over the threads alive now:
  // each handoff of a call between threads costs one or two.
  long context_switches = -1;
};
ProcStats ReadProcStats(pid_t pid);
// The process's threads by name, e.g. "4 default-executo, 2 socketd".
std::string ThreadNames(pid_t pid);

}  // namespace socketsvc::bench

#endif  // SOCKETSVC_BENCH_CHILD_PROCESS_H_
