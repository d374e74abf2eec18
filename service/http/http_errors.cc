#include "service/http/http_errors.h"

#include <boost/asio/error.hpp>
#include <cerrno>
#include <string>

#include "common/socket_error.h"

namespace socketsvc {

absl::Status ClientGoneStatus(int os_errno) {
  if (os_errno == ECONNRESET) {
    return ErrnoStatus(os_errno, "the client reset the connection before the answer");
  }
  return SocketErrorStatus(absl::StatusCode::kUnavailable, v1::SOCKET_ERROR_NOT_CONNECTED,
                           "the client closed the connection before the answer",
                           os_errno);
}

absl::Status WriteFailedStatus(const boost::system::error_code& ec) {
  if (ec.category() == boost::system::system_category()) {
    if (ec.value() == EPIPE || ec.value() == ECONNRESET)
      return ClientGoneStatus(ec.value());
    return ErrnoStatus(ec.value(), "writing the response");
  }
  if (ec == boost::asio::error::eof) return ClientGoneStatus(0);
  return SocketErrorStatus(absl::StatusCode::kUnavailable,
                           v1::SOCKET_ERROR_TLS_PROTOCOL_ERROR,
                           "writing the response: " + ec.message());
}

absl::Status ConnectionClosedStatus() {
  return SocketErrorStatus(absl::StatusCode::kUnavailable, v1::SOCKET_ERROR_NOT_CONNECTED,
                           "the connection is closed");
}

absl::Status WriteCancelledStatus() {
  return SocketErrorStatus(absl::StatusCode::kCancelled, v1::SOCKET_ERROR_CANCELLED,
                           "the call was cancelled mid-response; the connection was "
                           "aborted");
}

absl::Status WriteTimedOutStatus() {
  return SocketErrorStatus(absl::StatusCode::kDeadlineExceeded,
                           v1::SOCKET_ERROR_TIMED_OUT,
                           "the response was not written in time; the connection was "
                           "aborted");
}

}  // namespace socketsvc
