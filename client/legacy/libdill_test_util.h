// Test helpers for the libdill facade: an in-process socketd the facade is
// bound to, and errno assertions.
#ifndef SOCKETSVC_CLIENT_LEGACY_LIBDILL_TEST_UTIL_H_
#define SOCKETSVC_CLIENT_LEGACY_LIBDILL_TEST_UTIL_H_

#include <cerrno>
#include <cstring>
#include <string>

#include "client/legacy/libdill.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_fixture.h"

// Expects `call` to fail with -1 and errno `e`.
#define EXPECT_ERRNO(call, e)                                            \
  do {                                                                   \
    errno = 0;                                                           \
    const auto rc_ = (call);                                             \
    const int errno_ = errno;                                            \
    EXPECT_EQ(rc_, -1) << #call;                                         \
    EXPECT_EQ(errno_, (e)) << #call << ": got " << std::strerror(errno_) \
                           << ", want " << std::strerror(e);             \
  } while (0)

namespace socketsvc::libdill {

// socketd in-process; the facade bound to a client of it.
class LibdillTest : public e2e::SocketdTest {
 protected:
  void SetUp() override {
    e2e::SocketdTest::SetUp();
    Use(*client_);
  }

  // tcp_connect to 127.0.0.1:port.
  static int ConnectTo(uint16_t port, int64_t deadline = -1) {
    struct ipaddr addr;
    if (ipaddr_remote(&addr, "127.0.0.1", port, 0, -1) != 0) return -1;
    return tcp_connect(&addr, deadline);
  }

  // brecv of exactly n bytes as a string ("<errno N>" on failure).
  static std::string Receive(int s, size_t n, int64_t deadline = -1) {
    std::string buf(n, '\0');
    if (brecv(s, buf.data(), n, deadline) != 0) {
      return "<errno " + std::to_string(errno) + ">";
    }
    return buf;
  }

  static int Send(int s, const std::string& data, int64_t deadline = -1) {
    return bsend(s, data.data(), data.size(), deadline);
  }
};

}  // namespace socketsvc::libdill

#endif  // SOCKETSVC_CLIENT_LEGACY_LIBDILL_TEST_UTIL_H_
