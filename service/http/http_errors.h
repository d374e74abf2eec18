// What ServerSend reports when the connection of its request fails: the
// client left (UNAVAILABLE, NOT_CONNECTED or CONNECTION_RESET), the write
// timed out or was cancelled. Pure functions: thread-safe.
#ifndef SOCKETSVC_SERVICE_HTTP_HTTP_ERRORS_H_
#define SOCKETSVC_SERVICE_HTTP_HTTP_ERRORS_H_

#include <boost/system/error_code.hpp>

#include "absl/status/status.h"

namespace socketsvc {

// The client closed (FIN: NOT_CONNECTED, with `os_errno` EPIPE if that is
// how it showed) or reset (ECONNRESET: CONNECTION_RESET) its connection
// before its answer; UNAVAILABLE either way.
absl::Status ClientGoneStatus(int os_errno);

// A failed response write: ClientGoneStatus for EPIPE, ECONNRESET and EOF,
// the errno's status for other socket errors, TLS_PROTOCOL_ERROR otherwise.
absl::Status WriteFailedStatus(const boost::system::error_code& ec);

// The connection was already closed (idle timeout, server stopping).
absl::Status ConnectionClosedStatus();
// The ServerSend was cancelled mid-write; the connection was aborted.
absl::Status WriteCancelledStatus();
// The ServerSend's timeout passed mid-write; the connection was aborted.
absl::Status WriteTimedOutStatus();

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_HTTP_HTTP_ERRORS_H_
