// Ownership and capacity of the server table, on loopback. End-to-end tests
// cannot show ownership: every gRPC caller is "anonymous" until
// authentication exists.
#include "service/http/http_server_table.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <future>
#include <thread>

#include "common/socket_error.h"
#include "gtest/gtest.h"

namespace socketsvc {
namespace {

class HttpServerTableTest : public ::testing::Test {
 protected:
  HttpServerTableTest() : work_(boost::asio::make_work_guard(io_)) {
    defaults_.max_servers = 2;
    table_ = std::make_unique<HttpServerTable>(io_.get_executor(), "1", defaults_);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~HttpServerTableTest() override {
    table_->ShutdownAll();
    work_.reset();
    io_.stop();
    thread_.join();
  }

  absl::StatusOr<std::shared_ptr<HttpServer>> Create(const std::string& owner) {
    HttpServerSpec spec;
    spec.endpoint =
        boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0);
    absl::StatusOr<HttpLimits> limits = ResolveHttpLimits(v1::ServerLimits(), defaults_);
    spec.limits = *limits;
    return table_->Create(owner, spec);
  }

  static bool IsNotFound(const absl::Status& status) {
    return status.code() == absl::StatusCode::kNotFound &&
           GetSocketError(status) == v1::SOCKET_ERROR_INVALID_HANDLE;
  }

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  HttpServerDefaults defaults_;
  std::unique_ptr<HttpServerTable> table_;
  std::thread thread_;
};

// Sends one request to 127.0.0.1:port and leaves the connection open.
int SendRequest(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  const std::string request = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
  EXPECT_EQ(write(fd, request.data(), request.size()), ssize_t(request.size()));
  return fd;
}

TEST_F(HttpServerTableTest, ServersAndRequestsBelongToTheirOwner) {
  absl::StatusOr<std::shared_ptr<HttpServer>> server = Create("alice");
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string id = (*server)->id();
  EXPECT_TRUE(table_->Find(id, "alice").ok());
  EXPECT_TRUE(IsNotFound(table_->Find(id, "bob").status()));
  EXPECT_TRUE(IsNotFound(table_->Find("garbage", "alice").status()));
  EXPECT_TRUE(IsNotFound(table_->Delete(id, "bob", nullptr)));

  const int client = SendRequest((*server)->port());
  std::promise<std::string> handle;
  (*server)->Receive(std::make_shared<ReceiveWaiter>(
      absl::Now() + absl::Seconds(10),
      [&](const std::shared_ptr<HttpRequest>& request) {
        handle.set_value(request->handle);
        return true;
      },
      [&](const absl::Status& status) {
        handle.set_value("ended: " + status.ToString());
      }));
  const std::string request_handle = handle.get_future().get();
  ASSERT_EQ(request_handle.substr(0, 3), "r1.") << request_handle;
  EXPECT_TRUE(table_->FindByRequest(request_handle, "alice").ok());
  EXPECT_TRUE(IsNotFound(table_->FindByRequest(request_handle, "bob").status()));
  // A server id is no request handle.
  EXPECT_TRUE(IsNotFound(table_->FindByRequest(id, "alice").status()));

  std::promise<uint32_t> rejected;
  ASSERT_TRUE(
      table_->Delete(id, "alice", [&](uint32_t n) { rejected.set_value(n); }).ok());
  EXPECT_EQ(rejected.get_future().get(), 1u);  // The delivered request: 503.
  EXPECT_TRUE(IsNotFound(table_->Find(id, "alice").status()));
  EXPECT_TRUE(IsNotFound(table_->FindByRequest(request_handle, "alice").status()));
  close(client);
}

TEST_F(HttpServerTableTest, AtMostMaxServers) {
  ASSERT_TRUE(Create("alice").ok());
  ASSERT_TRUE(Create("bob").ok());
  absl::StatusOr<std::shared_ptr<HttpServer>> third = Create("alice");
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(GetSocketError(third.status()), v1::SOCKET_ERROR_LIMIT_EXCEEDED);
  EXPECT_EQ(table_->size(), 2u);
}

}  // namespace
}  // namespace socketsvc
