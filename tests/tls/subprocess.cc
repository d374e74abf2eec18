#include "tests/tls/subprocess.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace socketsvc::tls {
namespace {

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "tests/tls: %s: %s\n", what.c_str(),
               std::strerror(errno));
  std::abort();
}

// A child that exits (or a server that resets) while the test writes to it
// must surface as an error return, not kill the test binary with SIGPIPE.
void IgnoreSigpipeOnce() {
  static std::once_flag once;
  std::call_once(once, [] { signal(SIGPIPE, SIG_IGN); });
}

bool IsExecutable(const std::string& path) {
  return access(path.c_str(), X_OK) == 0;
}

int RemoveEntry(const char* path, const struct stat*, int, FTW*) {
  return remove(path);
}

// Parses a numeric IPv4 or IPv6 address; aborts otherwise (a test bug).
socklen_t MakeAddress(const std::string& host, uint16_t port,
                      sockaddr_storage* storage) {
  std::memset(storage, 0, sizeof(*storage));
  auto* v4 = reinterpret_cast<sockaddr_in*>(storage);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    return sizeof(sockaddr_in);
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(storage);
  if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    return sizeof(sockaddr_in6);
  }
  errno = EINVAL;
  Die("not a numeric address: " + host);
}

}  // namespace

std::string FindProgram(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    return IsExecutable(name) ? name : "";
  }
  const char* env_path = std::getenv("PATH");
  std::vector<std::string> dirs =
      absl::StrSplit(env_path ? env_path : "", ':', absl::SkipEmpty());
  for (const char* dir : {"/usr/local/sbin", "/usr/sbin", "/sbin",
                          "/usr/local/bin", "/usr/bin", "/bin"}) {
    dirs.push_back(dir);
  }
  for (const std::string& dir : dirs) {
    std::string candidate = absl::StrCat(dir, "/", name);
    if (IsExecutable(candidate)) return candidate;
  }
  return "";
}

TempDir::TempDir(std::string_view prefix) {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string pattern =
      absl::StrCat(base ? base : "/tmp", "/", std::string(prefix), ".XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) Die("mkdtemp " + pattern);
  path_ = std::move(pattern);
}

TempDir::~TempDir() {
  nftw(path_.c_str(), RemoveEntry, 16, FTW_DEPTH | FTW_PHYS);
}

std::string TempDir::File(std::string_view name) const {
  return absl::StrCat(path_, "/", std::string(name));
}

bool WriteFile(const std::string& path, std::string_view contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  return static_cast<bool>(out.flush());
}

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// ---------------------------------------------------------------------------
// Subprocess

absl::StatusOr<std::unique_ptr<Subprocess>> Subprocess::Start(
    std::vector<std::string> argv, const std::string& working_dir) {
  IgnoreSigpipeOnce();
  if (argv.empty()) return absl::InvalidArgumentError("empty argv");
  const std::string program = FindProgram(argv[0]);
  if (program.empty()) {
    return absl::NotFoundError(absl::StrCat("program not found: ", argv[0]));
  }
  int in[2], out[2], stop[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 ||
      pipe2(stop, O_CLOEXEC) != 0) {
    Die("pipe2");
  }
  // Everything the child needs is built before fork(): after it, a
  // multi-threaded parent's child may only make async-signal-safe calls.
  std::vector<char*> args;
  for (std::string& arg : argv) args.push_back(arg.data());
  args.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) Die("fork");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(126);  // The parent died before prctl.
    dup2(in[0], STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    dup2(out[1], STDERR_FILENO);
    if (close_range(3, ~0U, 0) != 0) {
      for (int fd = 3; fd < 4096; ++fd) close(fd);
    }
    // Ignored signals and the signal mask survive exec; the programs we run
    // expect the defaults (openssl and nginx install their own handlers).
    signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (!working_dir.empty() && chdir(working_dir.c_str()) != 0) _exit(126);
    execv(program.c_str(), args.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  std::unique_ptr<Subprocess> process(new Subprocess());
  process->pid_ = pid;
  process->stdin_fd_ = in[1];
  process->output_fd_ = out[0];
  process->stop_read_fd_ = stop[0];
  process->stop_write_fd_ = stop[1];
  fcntl(out[0], F_SETFL, fcntl(out[0], F_GETFL) | O_NONBLOCK);
  process->reader_ = std::thread([p = process.get()] { p->ReadLoop(); });
  return process;
}

Subprocess::~Subprocess() { Stop(); }

void Subprocess::ReadLoop() {
  char buffer[16384];
  for (;;) {
    pollfd fds[2] = {{output_fd_, POLLIN, 0}, {stop_read_fd_, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      Die("poll");
    }
    const bool stopping = fds[1].revents != 0;
    // Drain what is there even when stopping: after the child exited, the
    // pipe still holds its last words, which are what a failing test needs.
    for (;;) {
      ssize_t n = read(output_fd_, buffer, sizeof(buffer));
      if (n > 0) {
        output_.Update([&](std::string& s) { s.append(buffer, n); });
        continue;
      }
      if (n == 0) return;  // Every writer is gone.
      if (errno == EINTR) continue;
      break;  // EAGAIN: nothing more for now.
    }
    if (stopping) return;
  }
}

void Subprocess::StopReader() {
  if (!reader_.joinable()) return;
  char byte = 1;
  while (write(stop_write_fd_, &byte, 1) < 0 && errno == EINTR) {
  }
  reader_.join();
  for (int* fd : {&output_fd_, &stop_read_fd_, &stop_write_fd_}) {
    close(*fd);
    *fd = -1;
  }
}

std::string Subprocess::Output() const { return output_.Get(); }

bool Subprocess::WaitForOutput(std::string_view needle,
                               std::chrono::milliseconds timeout) const {
  return output_.WaitFor(timeout, [needle](const std::string& s) {
    return s.find(needle) != std::string::npos;
  });
}

bool Subprocess::WaitForOutputMatching(
    const std::function<bool(const std::string&)>& pred,
    std::chrono::milliseconds timeout) const {
  return output_.WaitFor(timeout, pred);
}

bool Subprocess::WriteStdin(std::string_view data) {
  while (stdin_fd_ >= 0 && !data.empty()) {
    ssize_t n = write(stdin_fd_, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;  // EPIPE: the child closed stdin or exited.
    data.remove_prefix(n);
  }
  return stdin_fd_ >= 0;
}

void Subprocess::CloseStdin() {
  if (stdin_fd_ < 0) return;
  close(stdin_fd_);
  stdin_fd_ = -1;
}

bool Subprocess::Running() {
  if (status_.has_value()) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    status_ = status;
    return false;
  }
  return true;
}

std::optional<int> Subprocess::WaitForExit(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (Running()) {
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return status_;
}

int Subprocess::Stop(std::chrono::milliseconds grace) {
  CloseStdin();
  if (pid_ > 0 && Running()) {
    kill(pid_, SIGTERM);
    if (!WaitForExit(grace).has_value()) {
      kill(pid_, SIGKILL);
      int status = 0;
      while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
      status_ = status;
    }
  }
  StopReader();
  return status_.value_or(-1);
}

CommandResult RunCommand(std::vector<std::string> argv, std::string_view input,
                         std::chrono::milliseconds timeout) {
  const std::string command = absl::StrJoin(argv, " ");
  CommandResult result;
  auto process = Subprocess::Start(std::move(argv));
  if (!process.ok()) {
    result.exit_code = 127;
    result.output = process.status().ToString();
    return result;
  }
  (*process)->WriteStdin(input);
  (*process)->CloseStdin();
  const bool finished = (*process)->WaitForExit(timeout).has_value();
  const int status = (*process)->Stop(std::chrono::milliseconds(0));
  result.output = (*process)->Output();
  if (!finished) {
    absl::StrAppend(&result.output, "\n[tests/tls: timed out: ", command, "]");
  } else if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  }
  return result;
}

uint16_t PickFreePort(const std::string& host) {
  sockaddr_storage addr;
  socklen_t len = MakeAddress(host, 0, &addr);
  int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) Die("socket");
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    Die("bind " + host);
  }
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    Die("getsockname");
  }
  close(fd);
  return addr.ss_family == AF_INET
             ? ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port)
             : ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
}

bool CanConnect(const std::string& host, uint16_t port) {
  sockaddr_storage addr;
  socklen_t len = MakeAddress(host, port, &addr);
  int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0;
  close(fd);
  return ok;
}

std::string HostPort(const std::string& host, uint16_t port) {
  return host.find(':') == std::string::npos
             ? absl::StrCat(host, ":", port)
             : absl::StrCat("[", host, "]:", port);
}

}  // namespace socketsvc::tls
