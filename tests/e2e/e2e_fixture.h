// An in-process socketd on a free loopback port, a real gRPC client to it,
// and assertions on socket errors. Peers come from //tests/peers.
#ifndef SOCKETSVC_TESTS_E2E_E2E_FIXTURE_H_
#define SOCKETSVC_TESTS_E2E_E2E_FIXTURE_H_

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "client/client.h"
#include "common/socket_error.h"
#include "gtest/gtest.h"
#include "service/server.h"

namespace socketsvc::e2e {

// Asserts that `status` failed with `code` and carries `error`.
inline ::testing::AssertionResult HasError(const absl::Status& status,
                                           absl::StatusCode code,
                                           v1::SocketError error) {
  if (status.ok()) return ::testing::AssertionFailure() << "status is OK";
  if (status.code() != code || GetSocketError(status) != error) {
    return ::testing::AssertionFailure()
           << "got " << status << " with "
           << v1::SocketError_Name(GetSocketError(status)) << ", want "
           << absl::StatusCodeToString(code) << " with "
           << v1::SocketError_Name(error);
  }
  return ::testing::AssertionSuccess();
}

template <typename T>
::testing::AssertionResult HasError(const absl::StatusOr<T>& result,
                                    absl::StatusCode code,
                                    v1::SocketError error) {
  return HasError(result.status(), code, error);
}

class SocketdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options = Options();
    options.listen = "127.0.0.1:0";
    absl::StatusOr<std::unique_ptr<SocketServer>> server =
        SocketServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    client_ = std::make_unique<Client>(
        Client::Create(absl::StrCat("127.0.0.1:", server_->port())));
  }

  void TearDown() override {
    client_.reset();
    if (server_) server_->Shutdown(absl::Seconds(1));
  }

  // Subclasses change the server's options here.
  virtual ServerOptions Options() { return ServerOptions{}; }

  // Connects to 127.0.0.1:port and returns the handle (fails the test if not).
  std::string ConnectTo(uint16_t port) {
    absl::StatusOr<v1::ConnectResponse> connected =
        client_->Connect("127.0.0.1", port, 5000);
    EXPECT_TRUE(connected.ok()) << connected.status();
    return connected.ok() ? connected->handle() : "";
  }

  // Receives until EOF (or an error), within `timeout_ms` per call.
  std::string ReceiveAll(const std::string& handle, int64_t timeout_ms = 10000) {
    std::string all;
    for (;;) {
      absl::StatusOr<v1::ReceiveResponse> r =
          client_->Receive(handle, 1 << 20, 1, timeout_ms);
      if (!r.ok()) {
        ADD_FAILURE() << r.status();
        return all;
      }
      all += r->data();
      if (r->eof()) return all;
      if (r->timed_out()) {
        ADD_FAILURE() << "timed out after " << all.size() << " bytes";
        return all;
      }
    }
  }

  v1::SocketInfo Info(const std::string& handle) {
    absl::StatusOr<v1::SocketInfo> info = client_->GetInfo(handle);
    EXPECT_TRUE(info.ok()) << info.status();
    return info.ok() ? *info : v1::SocketInfo();
  }

  std::unique_ptr<SocketServer> server_;
  std::unique_ptr<Client> client_;
};

}  // namespace socketsvc::e2e

#endif  // SOCKETSVC_TESTS_E2E_E2E_FIXTURE_H_
