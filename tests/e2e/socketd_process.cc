#include "tests/e2e/socketd_process.h"

#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"

namespace socketsvc::e2e {
namespace {

int CountEntries(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return -1;
  int n = 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(d);
  return n;
}

}  // namespace

std::string RunfilePath(const std::string& relative) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir == nullptr) return relative;
  return absl::StrCat(srcdir, "/", workspace ? workspace : "socketsvc", "/",
                      relative);
}

SocketdProcess::SocketdProcess(std::vector<std::string> flags) {
  int err_pipe[2];
  if (pipe(err_pipe) != 0) return;
  const std::string binary = RunfilePath("service/socketd");
  flags.insert(flags.begin(), "--listen=127.0.0.1:0");
  pid_ = fork();
  if (pid_ == 0) {
    dup2(err_pipe[1], STDERR_FILENO);
    close(err_pipe[0]);
    close(err_pipe[1]);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(binary.c_str()));
    for (std::string& flag : flags) argv.push_back(flag.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  close(err_pipe[1]);
  stderr_fd_ = err_pipe[0];
  // Read stderr until "listening on 127.0.0.1:PORT\n"; then the reader
  // thread takes over.
  std::string out;
  const absl::Time limit = absl::Now() + absl::Seconds(20);
  while (absl::Now() < limit) {
    pollfd p{stderr_fd_, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    char buf[512];
    ssize_t n = read(stderr_fd_, buf, sizeof(buf));
    if (n <= 0) break;
    out.append(buf, n);
    const size_t at = out.find("listening on ");
    const size_t eol = at == std::string::npos ? at : out.find('\n', at);
    if (eol != std::string::npos) {
      const std::string address = out.substr(at + 13, eol - at - 13);
      int port = 0;
      if (absl::SimpleAtoi(address.substr(address.rfind(':') + 1), &port)) {
        port_ = port;
      }
      break;
    }
  }
  {
    absl::MutexLock lock(&mu_);
    stderr_ = std::move(out);
  }
  reader_ = std::thread([this] { ReadStderr(); });
}

SocketdProcess::~SocketdProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  // The process is gone (or never started): the reader sees EOF.
  if (reader_.joinable()) reader_.join();
  if (stderr_fd_ >= 0) close(stderr_fd_);
}

void SocketdProcess::ReadStderr() {
  char buf[4096];
  for (;;) {
    const ssize_t n = read(stderr_fd_, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // socketd exited.
    absl::MutexLock lock(&mu_);
    stderr_.append(buf, static_cast<size_t>(n));
  }
}

bool SocketdProcess::WaitForStderr(const std::string& text, int timeout_ms) {
  size_t at = std::string::npos;
  auto found = [this, &text, &at]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    at = stderr_.find(text, stderr_matched_);
    return at != std::string::npos;
  };
  absl::MutexLock lock(&mu_);
  if (!mu_.AwaitWithTimeout(absl::Condition(&found), absl::Milliseconds(timeout_ms))) {
    return false;
  }
  stderr_matched_ = at + text.size();
  return true;
}

std::string SocketdProcess::stderr_text() const {
  absl::MutexLock lock(&mu_);
  return stderr_;
}

std::string SocketdProcess::target() const {
  return absl::StrCat("127.0.0.1:", port_);
}

int SocketdProcess::ThreadCount() const {
  return CountEntries(absl::StrCat("/proc/", pid_, "/task"));
}

int SocketdProcess::FdCount() const {
  return CountEntries(absl::StrCat("/proc/", pid_, "/fd"));
}

long SocketdProcess::RssKib() const {
  std::ifstream status(absl::StrCat("/proc/", pid_, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    absl::string_view value = line;
    if (!absl::ConsumePrefix(&value, "VmRSS:")) continue;
    long kib = 0;
    return absl::SimpleAtoi(absl::StripSuffix(absl::StripAsciiWhitespace(value), "kB"), &kib)
               ? kib
               : -1;
  }
  return -1;
}

int SocketdProcess::SignalAndWait(int signal, int timeout_ms) {
  if (pid_ <= 0) return -1;
  kill(pid_, signal);
  const absl::Time limit = absl::Now() + absl::Milliseconds(timeout_ms);
  while (absl::Now() < limit) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return status;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return -1;
}

}  // namespace socketsvc::e2e
