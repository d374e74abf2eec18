#include "service/net/socket_options.h"

#include <google/protobuf/unknown_field_set.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/socket_error.h"

namespace socketsvc {
namespace {

absl::Status OutOfRange(absl::string_view field, int64_t value, absl::string_view range) {
  return SocketErrorStatus(
      absl::StatusCode::kInvalidArgument, v1::SOCKET_ERROR_INVALID_REQUEST,
      absl::StrCat("options.", field, " = ", value, " is out of range (", range, ")"));
}

absl::Status CheckRange(absl::string_view field, int64_t value, int64_t low,
                        int64_t high) {
  if (value >= low && value <= high) return absl::OkStatus();
  return OutOfRange(field, value, absl::StrCat(low, "..", high));
}

absl::Status SetInt(int fd, int level, int name, int value, absl::string_view field) {
  if (setsockopt(fd, level, name, &value, sizeof(value)) == 0) return absl::OkStatus();
  return ErrnoStatus(errno, absl::StrCat("setting options.", field));
}

absl::StatusOr<int> GetInt(int fd, int level, int name, absl::string_view field) {
  int value = 0;
  socklen_t len = sizeof(value);
  if (getsockopt(fd, level, name, &value, &len) == 0) return value;
  return ErrnoStatus(errno, absl::StrCat("reading options.", field));
}

}  // namespace

absl::Status ValidateSocketOptions(const v1::SocketOptions& options) {
  const google::protobuf::UnknownFieldSet& unknown =
      options.GetReflection()->GetUnknownFields(options);
  if (unknown.field_count() > 0) {
    return SocketErrorStatus(
        absl::StatusCode::kInvalidArgument, v1::SOCKET_ERROR_INVALID_REQUEST,
        absl::StrCat("options field number ", unknown.field(0).number(),
                     " is not an option this socketd knows"));
  }
  absl::Status status;
  if (options.has_idle_timeout_ms()) {
    status.Update(
        CheckRange("idle_timeout_ms", options.idle_timeout_ms(), 0, kMaxIdleTimeoutMs));
  }
  if (options.has_keepalive_idle_s()) {
    status.Update(CheckRange("keepalive_idle_s", options.keepalive_idle_s(), 1,
                             kMaxKeepaliveSeconds));
  }
  if (options.has_keepalive_interval_s()) {
    status.Update(CheckRange("keepalive_interval_s", options.keepalive_interval_s(), 1,
                             kMaxKeepaliveSeconds));
  }
  if (options.has_keepalive_count()) {
    status.Update(
        CheckRange("keepalive_count", options.keepalive_count(), 1, kMaxKeepaliveCount));
  }
  if (options.has_linger_s() && options.linger_s() != -1 && options.linger_s() != 0) {
    // close() of a socket that lingers blocks the calling thread (also when
    // non-blocking, on Linux); socketd's I/O threads must never block.
    status.Update(OutOfRange("linger_s", options.linger_s(),
                             "-1 = off, 0 = reset on close; a lingering close "
                             "would block a thread"));
  }
  if (options.has_send_buffer_bytes()) {
    status.Update(CheckRange("send_buffer_bytes", options.send_buffer_bytes(), 1,
                             kMaxSocketBufferBytes));
  }
  if (options.has_receive_buffer_bytes()) {
    status.Update(CheckRange("receive_buffer_bytes", options.receive_buffer_bytes(), 1,
                             kMaxSocketBufferBytes));
  }
  return status;
}

absl::Status ApplySocketOptions(int fd, const v1::SocketOptions& options) {
  absl::Status status;
  auto set = [&](bool present, int level, int name, int value, absl::string_view field) {
    if (present && status.ok()) status = SetInt(fd, level, name, value, field);
  };
  set(options.has_tcp_nodelay(), IPPROTO_TCP, TCP_NODELAY, options.tcp_nodelay() ? 1 : 0,
      "tcp_nodelay");
  set(options.has_keepalive(), SOL_SOCKET, SO_KEEPALIVE, options.keepalive() ? 1 : 0,
      "keepalive");
  set(options.has_keepalive_idle_s(), IPPROTO_TCP, TCP_KEEPIDLE,
      options.keepalive_idle_s(), "keepalive_idle_s");
  set(options.has_keepalive_interval_s(), IPPROTO_TCP, TCP_KEEPINTVL,
      options.keepalive_interval_s(), "keepalive_interval_s");
  set(options.has_keepalive_count(), IPPROTO_TCP, TCP_KEEPCNT, options.keepalive_count(),
      "keepalive_count");
  if (options.has_linger_s() && status.ok()) {
    linger value{};
    value.l_onoff = options.linger_s() >= 0 ? 1 : 0;
    value.l_linger = options.linger_s() >= 0 ? options.linger_s() : 0;
    if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &value, sizeof(value)) != 0) {
      status = ErrnoStatus(errno, "setting options.linger_s");
    }
  }
  set(options.has_send_buffer_bytes(), SOL_SOCKET, SO_SNDBUF, options.send_buffer_bytes(),
      "send_buffer_bytes");
  set(options.has_receive_buffer_bytes(), SOL_SOCKET, SO_RCVBUF,
      options.receive_buffer_bytes(), "receive_buffer_bytes");
  return status;
}

absl::StatusOr<v1::SocketOptions> ReadSocketOptions(int fd) {
  v1::SocketOptions options;
  absl::StatusOr<int> value = GetInt(fd, IPPROTO_TCP, TCP_NODELAY, "tcp_nodelay");
  if (!value.ok()) return value.status();
  options.set_tcp_nodelay(*value != 0);
  if (!(value = GetInt(fd, SOL_SOCKET, SO_KEEPALIVE, "keepalive")).ok()) {
    return value.status();
  }
  options.set_keepalive(*value != 0);
  if (!(value = GetInt(fd, IPPROTO_TCP, TCP_KEEPIDLE, "keepalive_idle_s")).ok()) {
    return value.status();
  }
  options.set_keepalive_idle_s(*value);
  if (!(value = GetInt(fd, IPPROTO_TCP, TCP_KEEPINTVL, "keepalive_interval_s")).ok()) {
    return value.status();
  }
  options.set_keepalive_interval_s(*value);
  if (!(value = GetInt(fd, IPPROTO_TCP, TCP_KEEPCNT, "keepalive_count")).ok()) {
    return value.status();
  }
  options.set_keepalive_count(*value);
  linger lingering{};
  socklen_t len = sizeof(lingering);
  if (getsockopt(fd, SOL_SOCKET, SO_LINGER, &lingering, &len) != 0) {
    return ErrnoStatus(errno, "reading options.linger_s");
  }
  options.set_linger_s(lingering.l_onoff ? lingering.l_linger : -1);
  if (!(value = GetInt(fd, SOL_SOCKET, SO_SNDBUF, "send_buffer_bytes")).ok()) {
    return value.status();
  }
  options.set_send_buffer_bytes(*value);
  if (!(value = GetInt(fd, SOL_SOCKET, SO_RCVBUF, "receive_buffer_bytes")).ok()) {
    return value.status();
  }
  options.set_receive_buffer_bytes(*value);
  return options;
}

}  // namespace socketsvc
