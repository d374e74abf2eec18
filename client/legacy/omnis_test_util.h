// Test fixture for the Omnis facade: an in-process socketd (SocketdTest)
// and a WebCommands bound to it.
#ifndef SOCKETSVC_CLIENT_LEGACY_OMNIS_TEST_UTIL_H_
#define SOCKETSVC_CLIENT_LEGACY_OMNIS_TEST_UTIL_H_

#include <memory>
#include <string>

#include "client/legacy/omnis.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_fixture.h"

namespace socketsvc::omnis {

class OmnisTest : public e2e::SocketdTest {
 protected:
  void SetUp() override {
    e2e::SocketdTest::SetUp();
    if (client_ != nullptr) cmds_ = std::make_unique<WebCommands>(*client_);
  }

  void TearDown() override {
    cmds_.reset();
    e2e::SocketdTest::TearDown();
  }

  // The socketd state of an Omnis socket.
  v1::SocketInfo InfoOf(int32_t socket) { return Info(cmds_->handle(socket)); }

  std::unique_ptr<WebCommands> cmds_;
};

}  // namespace socketsvc::omnis

#endif  // SOCKETSVC_CLIENT_LEGACY_OMNIS_TEST_UTIL_H_
