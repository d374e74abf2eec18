// Shared by the Poll tests: socketd in-process with asynchronous Polls, a
// peer that sends when told, and a count of this process's epoll instances.
#ifndef SOCKETSVC_TESTS_E2E_POLL_FIXTURE_H_
#define SOCKETSVC_TESTS_E2E_POLL_FIXTURE_H_

#include <dirent.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <memory>

#include "absl/strings/match.h"
#include "tests/e2e/auth_test_util.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/e2e/http_test_util.h"
#include "tests/e2e/poll_test_util.h"
#include "tests/e2e/socket_probe.h"
#include "tests/peers/peers.h"
#include "tests/tls/certificate_authority.h"
#include "tests/tls/subprocess.h"
#include "tests/tls/tls_peers.h"

namespace socketsvc::e2e {

using namespace std::chrono_literals;
using peers::Guarded;
using peers::PeerConnection;
using peers::ScriptedPeer;

constexpr uint32_t kReadable = v1::POLL_EVENT_READABLE;
constexpr uint32_t kWritable = v1::POLL_EVENT_WRITABLE;
constexpr uint32_t kAcceptable = v1::POLL_EVENT_ACCEPTABLE;
constexpr uint32_t kHup = v1::POLL_EVENT_HUP;
constexpr uint32_t kInvalid = v1::POLL_EVENT_INVALID;

// Sends `text` when the test says so, then reads until the client ends.
class TriggeredPeer {
 public:
  explicit TriggeredPeer(std::string text)
      : signal_(std::make_shared<Guarded<int>>(kWait)),
        peer_([signal = signal_, text = std::move(text)](PeerConnection& conn) {
          signal->WaitFor(peers::kDefaultWait * 3, [](int v) { return v != kWait; });
          if (signal->Get() != kGo) return;
          conn.SendAll(text);
          while (true) {
            PeerConnection::ReadResult r = conn.Read();
            if (r.stopped || r.ending != peers::Ending::kOpen) return;
          }
        }) {}
  // Lets a handler that never got Go() end with the peer.
  ~TriggeredPeer() {
    signal_->Update([](int& v) { v = v == kGo ? kGo : kStop; });
  }
  uint16_t port() const { return peer_.port(); }
  void Go() {
    signal_->Update([](int& v) { v = kGo; });
  }

 private:
  static constexpr int kWait = 0;
  static constexpr int kGo = 1;
  static constexpr int kStop = 2;
  std::shared_ptr<Guarded<int>> signal_;
  ScriptedPeer peer_;
};

// Descriptors of this process that are epoll instances.
inline int EpollInstances() {
  int count = 0;
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  while (dirent* entry = readdir(dir)) {
    char target[256];
    const std::string path = std::string("/proc/self/fd/") + entry->d_name;
    const ssize_t n = readlink(path.c_str(), target, sizeof(target) - 1);
    if (n <= 0) continue;
    target[n] = '\0';
    if (absl::StrContains(target, "eventpoll")) ++count;
  }
  closedir(dir);
  return count;
}

class PollTest : public SocketdTest {
 protected:
  using PollFuture = std::future<absl::StatusOr<v1::PollResponse>>;

  PollFuture PollAsync(std::vector<v1::PollItem> items, int64_t timeout_ms,
                       CallOptions options = {}) {
    return std::async(std::launch::async,
                      [client = *client_, items = std::move(items), timeout_ms, options] {
                        return client.Poll(items, timeout_ms, options);
                      });
  }

  absl::StatusOr<v1::PollResponse> PollNow(std::vector<v1::PollItem> items) {
    return client_->Poll(items, 0);
  }
};


}  // namespace socketsvc::e2e

#endif  // SOCKETSVC_TESTS_E2E_POLL_FIXTURE_H_
