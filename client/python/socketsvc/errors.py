"""Exceptions of the socketsvc client, decoded from socketd's gRPC errors.

Every failed RPC carries a gRPC status code and, in the
`grpc-status-details-bin` trailer, a `socketsvc.v1.Status` (wire-compatible
with google.rpc.Status) holding one `ErrorDetail`: the socket error and the
errno the kernel reported (proto/socketsvc/v1/errors.proto). This module turns
that into one exception, `SocketError`, an `OSError` like the ones Python's
own sockets raise, so `except OSError` and `except ConnectionRefusedError`
work as they do with `socket.socket`.
"""

import enum

import grpc

from socketsvc.v1 import errors_pb2

_DETAILS_KEY = "grpc-status-details-bin"
_PREFIX = "SOCKET_ERROR_"

# socketsvc.v1.SocketError without the C-motivated prefix
# (ErrorCode.CONNECTION_REFUSED == 1). Built from the generated descriptor so
# that it always matches the proto this client was generated from.
ErrorCode = enum.IntEnum(
    "ErrorCode",
    {name[len(_PREFIX):]: number
     for name, number in errors_pb2.SocketError.items()},
    module=__name__,
)
ErrorCode.__doc__ = "socketsvc.v1.SocketError, e.g. ErrorCode.CONNECTION_REFUSED."


class SocketError(OSError):
    """A failed socketd call.

    Attributes:
      code: ErrorCode (an IntEnum: `.name` and the proto number), or a plain
        int for a value newer than this client; UNSPECIFIED when socketd sent
        no detail (e.g. socketd itself could not be reached).
      errno: the errno the kernel reported (errno.ECONNREFUSED...), or None
        when none applies (an unknown handle, a bad argument).
      errno_name: "ECONNREFUSED", or "" when errno is None.
      grpc_code: grpc.StatusCode of the failed RPC, or None when the RPC
        succeeded and the client raised on its answer (a Receive that timed
        out with no data).
      message: socketd's message (also `strerror` and str(self)).
    """

    def __init__(self, message, *, code=ErrorCode.UNSPECIFIED, errno=None,
                 errno_name="", grpc_code=None):
        super().__init__(errno, message)
        self.code = code
        self.errno_name = errno_name
        self.grpc_code = grpc_code
        self.message = message

    def __str__(self):
        code = self.code.name if isinstance(self.code, ErrorCode) else self.code
        parts = [str(code)]
        if self.errno_name:
            parts.append(self.errno_name)
        if self.grpc_code is not None:
            parts.append(self.grpc_code.name)
        return "[%s] %s" % (", ".join(parts), self.message)

    def __reduce__(self):
        return (_rebuild, (type(self), self.message, int(self.code),
                           self.errno, self.errno_name, self.grpc_code))


class TimedOut(SocketError, TimeoutError):
    """The operation's own timeout (or the gRPC deadline) passed.

    `bytes_sent` says how much of a Send went out before it (0 otherwise).
    """

    bytes_sent = 0


class ConnectionRefused(SocketError, ConnectionRefusedError):
    """The peer refused the connection (ECONNREFUSED)."""


class ConnectionReset(SocketError, ConnectionResetError):
    """The peer reset the connection (ECONNRESET)."""


class BrokenPipe(SocketError, BrokenPipeError):
    """Sending after our side was shut down, Close PARTIAL (EPIPE)."""


_CLASS_BY_CODE = {
    ErrorCode.TIMED_OUT: TimedOut,
    ErrorCode.CONNECTION_REFUSED: ConnectionRefused,
    ErrorCode.CONNECTION_RESET: ConnectionReset,
    ErrorCode.BROKEN_PIPE: BrokenPipe,
}


def _rebuild(cls, message, code, errno, errno_name, grpc_code):
    return cls(message, code=_to_code(code), errno=errno,
               errno_name=errno_name, grpc_code=grpc_code)


def _to_code(number):
    try:
        return ErrorCode(number)
    except ValueError:
        return number  # Newer than this client's proto: keep the number.


def make_error(message, code, errno=None, errno_name="", grpc_code=None):
    """The SocketError subclass that fits `code` (TimedOut for TIMED_OUT...)."""
    cls = _CLASS_BY_CODE.get(code, SocketError)
    if code == ErrorCode.UNSPECIFIED and grpc_code == grpc.StatusCode.DEADLINE_EXCEEDED:
        cls = TimedOut  # The client's own deadline: no detail from socketd.
    return cls(message, code=code, errno=errno, errno_name=errno_name,
               grpc_code=grpc_code)


def error_detail(call):
    """The ErrorDetail in a failed call's trailers, or None."""
    trailers = call.trailing_metadata() if hasattr(call, "trailing_metadata") else None
    for key, value in trailers or ():
        if key != _DETAILS_KEY:
            continue
        status = errors_pb2.Status()
        try:
            status.ParseFromString(value)
        except Exception:  # A malformed trailer: no detail, not a crash.
            return None
        for any_detail in status.details:
            detail = errors_pb2.ErrorDetail()
            if any_detail.Unpack(detail):
                return detail
    return None


def from_rpc_error(error):
    """The SocketError for a grpc.RpcError raised by a unary call."""
    grpc_code = error.code()
    message = error.details() or grpc_code.name
    detail = error_detail(error)
    if detail is None:
        return make_error(message, ErrorCode.UNSPECIFIED, grpc_code=grpc_code)
    return make_error(message, _to_code(detail.error),
                      errno=detail.os_errno or None,
                      errno_name=detail.os_errno_name, grpc_code=grpc_code)
