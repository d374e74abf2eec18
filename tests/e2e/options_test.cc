// SetOptions / GetOptions: what the caller sets is what socketd's socket has
// (checked with getsockopt on socketd's own descriptor, found through
// /proc/self/fd since socketd runs in this process), only fields set
// change, and bad or unknown options are refused naming the field.
#include <google/protobuf/unknown_field_set.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "absl/strings/match.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/e2e/socket_probe.h"
#include "tests/peers/peers.h"

namespace socketsvc::e2e {
namespace {

using peers::EchoPeer;

// What the kernel says about socketd's socket of `handle`.
struct KernelView {
  int fd = -1;
  v1::SocketOptions options;
};

KernelView Kernel(const v1::SocketInfo& info) {
  KernelView view;
  view.fd = FindSocketFd(static_cast<uint16_t>(info.local_port()),
                         static_cast<uint16_t>(info.remote_port()));
  if (view.fd < 0) return view;
  v1::SocketOptions& o = view.options;
  o.set_tcp_nodelay(GetIntOption(view.fd, IPPROTO_TCP, TCP_NODELAY) != 0);
  o.set_keepalive(GetIntOption(view.fd, SOL_SOCKET, SO_KEEPALIVE) != 0);
  o.set_keepalive_idle_s(GetIntOption(view.fd, IPPROTO_TCP, TCP_KEEPIDLE));
  o.set_keepalive_interval_s(GetIntOption(view.fd, IPPROTO_TCP, TCP_KEEPINTVL));
  o.set_keepalive_count(GetIntOption(view.fd, IPPROTO_TCP, TCP_KEEPCNT));
  linger l{};
  socklen_t len = sizeof(l);
  getsockopt(view.fd, SOL_SOCKET, SO_LINGER, &l, &len);
  o.set_linger_s(l.l_onoff ? l.l_linger : -1);
  o.set_send_buffer_bytes(GetIntOption(view.fd, SOL_SOCKET, SO_SNDBUF));
  o.set_receive_buffer_bytes(GetIntOption(view.fd, SOL_SOCKET, SO_RCVBUF));
  return view;
}

// `answer` without socketd's own field, as the kernel would say it.
v1::SocketOptions KernelPart(v1::SocketOptions answer) {
  answer.clear_idle_timeout_ms();
  return answer;
}

class OptionsTest : public SocketdTest {};

TEST_F(OptionsTest, DefaultsAreWhatTheSocketHas) {
  EchoPeer peer;
  const std::string handle = ConnectTo(peer.port());
  absl::StatusOr<v1::SocketOptions> options = client_->GetOptions(handle);
  ASSERT_TRUE(options.ok()) << options.status();
  // Every field is answered.
  EXPECT_TRUE(options->has_idle_timeout_ms() && options->has_tcp_nodelay() &&
              options->has_keepalive() && options->has_keepalive_idle_s() &&
              options->has_keepalive_interval_s() && options->has_keepalive_count() &&
              options->has_linger_s() && options->has_send_buffer_bytes() &&
              options->has_receive_buffer_bytes());
  EXPECT_EQ(options->idle_timeout_ms(), 3600000);  // SessionLimits default
  EXPECT_TRUE(options->tcp_nodelay());             // socketd's default
  EXPECT_FALSE(options->keepalive());
  EXPECT_EQ(options->linger_s(), -1);
  KernelView kernel = Kernel(Info(handle));
  ASSERT_GE(kernel.fd, 0);
  EXPECT_EQ(KernelPart(*options).DebugString(), kernel.options.DebugString());
}

TEST_F(OptionsTest, SetOptionsRoundTripsAndTheKernelAgrees) {
  EchoPeer peer;
  const std::string handle = ConnectTo(peer.port());
  v1::SocketOptions set;
  set.set_idle_timeout_ms(45000);
  set.set_tcp_nodelay(false);
  set.set_keepalive(true);
  set.set_keepalive_idle_s(30);
  set.set_keepalive_interval_s(5);
  set.set_keepalive_count(4);
  set.set_linger_s(0);
  set.set_send_buffer_bytes(64 * 1024);
  set.set_receive_buffer_bytes(48 * 1024);
  absl::StatusOr<v1::SocketOptions> answer = client_->SetOptions(handle, set);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->idle_timeout_ms(), 45000);
  EXPECT_FALSE(answer->tcp_nodelay());
  EXPECT_TRUE(answer->keepalive());
  EXPECT_EQ(answer->keepalive_idle_s(), 30);
  EXPECT_EQ(answer->keepalive_interval_s(), 5);
  EXPECT_EQ(answer->keepalive_count(), 4);
  EXPECT_EQ(answer->linger_s(), 0);
  // Linux doubles buffer sizes for its bookkeeping; the answer says so.
  EXPECT_EQ(answer->send_buffer_bytes(), 2 * 64 * 1024);
  EXPECT_EQ(answer->receive_buffer_bytes(), 2 * 48 * 1024);

  KernelView kernel = Kernel(Info(handle));
  ASSERT_GE(kernel.fd, 0);
  EXPECT_EQ(KernelPart(*answer).DebugString(), kernel.options.DebugString());
  absl::StatusOr<v1::SocketOptions> got = client_->GetOptions(handle);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->DebugString(), answer->DebugString());

  // Only what is set changes.
  v1::SocketOptions one;
  one.set_keepalive_count(9);
  absl::StatusOr<v1::SocketOptions> after = client_->SetOptions(handle, one);
  ASSERT_TRUE(after.ok()) << after.status();
  v1::SocketOptions expected = *answer;
  expected.set_keepalive_count(9);
  EXPECT_EQ(after->DebugString(), expected.DebugString());
  EXPECT_EQ(GetIntOption(kernel.fd, IPPROTO_TCP, TCP_KEEPCNT), 9);

  // The socket still works.
  ASSERT_TRUE(client_->Send(handle, "ping", 1000).ok());
  EXPECT_EQ(client_->Receive(handle, 10, 4, 5000)->data(), "ping");
}

TEST_F(OptionsTest, AcceptedSocketsHaveOptions) {
  absl::StatusOr<v1::ListenResponse> listening = client_->Listen("127.0.0.1", 0);
  ASSERT_TRUE(listening.ok()) << listening.status();
  const int fd = ConnectLoopback(static_cast<uint16_t>(listening->port()));
  absl::StatusOr<v1::AcceptResponse> accepted =
      client_->Accept(listening->listener(), 5000);
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  v1::SocketOptions set;
  set.set_keepalive(true);
  set.set_keepalive_idle_s(77);
  absl::StatusOr<v1::SocketOptions> answer = client_->SetOptions(accepted->handle(), set);
  ASSERT_TRUE(answer.ok()) << answer.status();
  KernelView kernel = Kernel(Info(accepted->handle()));
  ASSERT_GE(kernel.fd, 0);
  EXPECT_EQ(GetIntOption(kernel.fd, SOL_SOCKET, SO_KEEPALIVE), 1);
  EXPECT_EQ(GetIntOption(kernel.fd, IPPROTO_TCP, TCP_KEEPIDLE), 77);
  EXPECT_EQ(KernelPart(*answer).DebugString(), kernel.options.DebugString());
  close(fd);
}

TEST_F(OptionsTest, BadOptionsAreRefusedNamingTheFieldAndChangeNothing) {
  EchoPeer peer;
  const std::string handle = ConnectTo(peer.port());
  absl::StatusOr<v1::SocketOptions> before = client_->GetOptions(handle);
  ASSERT_TRUE(before.ok());
  auto expect_refused = [&](const v1::SocketOptions& options, absl::string_view field) {
    absl::StatusOr<v1::SocketOptions> refused = client_->SetOptions(handle, options);
    EXPECT_TRUE(HasError(refused, absl::StatusCode::kInvalidArgument,
                         v1::SOCKET_ERROR_INVALID_REQUEST));
    EXPECT_TRUE(absl::StrContains(refused.status().message(), field))
        << refused.status() << " should name " << field;
  };
  v1::SocketOptions options;
  options.set_keepalive(true);  // valid, but in the same request as a bad one
  options.set_keepalive_count(1000);
  expect_refused(options, "keepalive_count");
  options.Clear();
  options.set_idle_timeout_ms(-5);
  expect_refused(options, "idle_timeout_ms");
  options.Clear();
  options.set_linger_s(10);
  expect_refused(options, "linger_s");
  options.Clear();
  options.set_send_buffer_bytes(0);
  expect_refused(options, "send_buffer_bytes");
  // A field this socketd does not know (sent by a newer client) is not
  // silently ignored.
  options.Clear();
  options.GetReflection()->MutableUnknownFields(&options)->AddVarint(42, 1);
  expect_refused(options, "field number 42");

  absl::StatusOr<v1::SocketOptions> after = client_->GetOptions(handle);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->DebugString(), before->DebugString());
}

TEST_F(OptionsTest, HandlesThatAreNotConnectedSockets) {
  absl::StatusOr<v1::ListenResponse> listening = client_->Listen("127.0.0.1", 0);
  ASSERT_TRUE(listening.ok());
  v1::SocketOptions options;
  options.set_keepalive(true);
  EXPECT_TRUE(HasError(client_->SetOptions(listening->listener(), options),
                       absl::StatusCode::kInvalidArgument,
                       v1::SOCKET_ERROR_INVALID_REQUEST));
  EXPECT_TRUE(HasError(client_->GetOptions(listening->listener()),
                       absl::StatusCode::kInvalidArgument,
                       v1::SOCKET_ERROR_INVALID_REQUEST));
  EXPECT_TRUE(
      HasError(client_->SetOptions("s1.0123456789abcdef0123456789abcdef", options),
               absl::StatusCode::kNotFound, v1::SOCKET_ERROR_INVALID_HANDLE));
  EchoPeer peer;
  const std::string handle = ConnectTo(peer.port());
  ASSERT_TRUE(client_->Close(handle, v1::CLOSE_MODE_ABORT, 1000).ok());
  EXPECT_TRUE(HasError(client_->GetOptions(handle), absl::StatusCode::kNotFound,
                       v1::SOCKET_ERROR_INVALID_HANDLE));
}

}  // namespace
}  // namespace socketsvc::e2e
