// Test fixture for the Tibbo facade: an in-process socketd (SocketdTest),
// Sock objects bound to it, and an event recorder.
#ifndef SOCKETSVC_CLIENT_LEGACY_TIBBO_TEST_UTIL_H_
#define SOCKETSVC_CLIENT_LEGACY_TIBBO_TEST_UTIL_H_

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/legacy/tibbo.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_fixture.h"

namespace socketsvc::tibbo {

class TibboTest : public e2e::SocketdTest {
 protected:
  std::unique_ptr<Sock> NewSock(Sock::Options options = {}) {
    return std::make_unique<Sock>(*client_, options);
  }

  // Polls sock.state until it is `want`; doevents() meanwhile when asked.
  static bool WaitForState(Sock& sock, pl_sock_state want,
                           std::chrono::milliseconds timeout = std::chrono::seconds(10),
                           bool doevents = true) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (sock.state() != want) {
      if (std::chrono::steady_clock::now() > end) return false;
      if (doevents) sock.doevents();
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (doevents) sock.doevents();
    return true;
  }

  // Polls until sock.rxlen >= n.
  static bool WaitForRx(Sock& sock, uint32_t n,
                        std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (sock.rxlen() < n) {
      if (std::chrono::steady_clock::now() > end) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }
};

// Records on_sock_event calls as "newstate/newstatesimple" strings, e.g.
// "96/3" for PL_SST_AO / PL_SSTS_AO.
struct EventLog {
  void Attach(Sock& sock) {
    sock.on_sock_event = [this](pl_sock_state state, pl_sock_state_simple simple) {
      events.push_back(absl::StrCat(static_cast<int>(state), "/", static_cast<int>(simple)));
    };
  }
  std::string Joined() const { return absl::StrJoin(events, " "); }
  std::vector<std::string> events;
};

}  // namespace socketsvc::tibbo

#endif  // SOCKETSVC_CLIENT_LEGACY_TIBBO_TEST_UTIL_H_
