#include "tests/e2e/process_fds.h"

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace socketsvc::e2e {

// Waits until the process holds `baseline` descriptors or fewer (closes
// finish on socketd's strands, HTTP connections linger briefly).
int SettledFdCount(const SocketdProcess& socketd, int baseline) {
  const absl::Time limit = absl::Now() + absl::Seconds(15);
  int fds = socketd.FdCount();
  while (fds > baseline && absl::Now() < limit) {
    absl::SleepFor(absl::Milliseconds(50));
    fds = socketd.FdCount();
  }
  return fds;
}

// What the process's descriptors are, for a failure message: "socket
// 127.0.0.1:40123 LISTEN", "anon_inode:[eventfd]", ...
std::string DescribeFds(pid_t pid) {
  // inode -> "local remote state" from /proc/net/tcp{,6}.
  std::map<std::string, std::string> tcp;
  static const char* const kStates[] = {"?",         "ESTABLISHED", "SYN_SENT",
                                        "SYN_RECV",  "FIN_WAIT1",   "FIN_WAIT2",
                                        "TIME_WAIT", "CLOSE",       "CLOSE_WAIT",
                                        "LAST_ACK",  "LISTEN",      "CLOSING"};
  for (const char* table : {"tcp", "tcp6"}) {
    std::ifstream in(absl::StrCat("/proc/", pid, "/net/", table));
    std::string line;
    std::getline(in, line);  // Header.
    while (std::getline(in, line)) {
      std::vector<std::string> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
      if (f.size() < 10) continue;
      int state = 0;
      absl::SimpleHexAtoi(f[3], &state);
      tcp[f[9]] = absl::StrCat(f[1], " ", f[2], " ",
                               state > 0 && state < 12 ? kStates[state] : "?");
    }
  }
  std::map<std::string, int> kinds;
  const std::string dir = absl::StrCat("/proc/", pid, "/fd");
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      char target[256] = {};
      if (readlink(absl::StrCat(dir, "/", e->d_name).c_str(), target,
                   sizeof(target) - 1) < 0) {
        continue;
      }
      std::string kind = target;
      if (absl::StartsWith(kind, "socket:[")) {
        const std::string inode = kind.substr(8, kind.size() - 9);
        auto it = tcp.find(inode);
        if (it != tcp.end()) {
          // Only the state: ports differ for every socket.
          kind = "tcp " + it->second.substr(it->second.rfind(' ') + 1);
        } else {
          kind = "socket (not TCP)";
        }
      }
      ++kinds[kind];
    }
    closedir(d);
  }
  std::string out;
  for (const auto& [kind, n] : kinds) absl::StrAppend(&out, "  ", n, " x ", kind, "\n");
  return out;
}

// The process's descriptor count once it stopped changing (closes finish
// on socketd's strands): the same for half a second, or after 5 s.
int StableFdCount(const SocketdProcess& socketd) {
  const absl::Time limit = absl::Now() + absl::Seconds(5);
  int fds = socketd.FdCount();
  while (absl::Now() < limit) {
    absl::SleepFor(absl::Milliseconds(500));
    const int now = socketd.FdCount();
    if (now == fds) break;
    fds = now;
  }
  return fds;
}

}  // namespace socketsvc::e2e
