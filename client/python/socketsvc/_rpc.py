"""Timeouts, PEM arguments, and the one place where gRPC errors become
SocketError."""

import math

import grpc

from socketsvc import errors

# How long after a call's own timeout the gRPC deadline falls. socketd
# answers a timed-out Receive/Send with what it read or wrote; the deadline
# only has to make sure that answer can still arrive on a loaded machine.
DEADLINE_GRACE_S = 10.0


def timeout_ms(timeout):
    """Python seconds (int/float) to the proto's timeout_ms; None stays None.

    0 means "do not block". A positive fraction of a millisecond rounds up to
    1 ms, never down to the non-blocking 0.
    """
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError("timeout must be a number of seconds or None, not %r"
                        % (timeout,))
    if math.isnan(timeout) or timeout < 0:
        raise ValueError("timeout must be >= 0 seconds or None, got %r" % (timeout,))
    if math.isinf(timeout):
        return -1  # No own limit; the gRPC deadline (none) applies.
    return math.ceil(timeout * 1000)


def pem_bytes(pem):
    """PEM text as bytes (accepts str or bytes; None becomes b"")."""
    if pem is None:
        return b""
    return pem.encode("ascii") if isinstance(pem, str) else bytes(pem)


def grpc_deadline(timeout):
    """The gRPC timeout (seconds) for a call whose own timeout is `timeout`.

    None (and infinity): no gRPC deadline, socketd bounds the wait by its
    --max_wait_ms (or not at all for infinity).
    """
    if timeout is None or math.isinf(timeout):
        return None
    return timeout + DEADLINE_GRACE_S


def set_timeout(request, timeout):
    """Sets request.timeout_ms from seconds, leaving it unset for None."""
    ms = timeout_ms(timeout)
    if ms is not None:
        request.timeout_ms = ms


class Caller:
    """Runs unary RPCs of one stub with the client's metadata.

    Thread-safe: gRPC channels and stubs are, and this holds no other state.
    """

    def __init__(self, stub, metadata):
        self.stub = stub
        self.metadata = metadata

    def __call__(self, method, request, timeout=None, deadline=None):
        """Calls stub.<method>(request); raises SocketError on failure.

        `timeout` is the call's own timeout in seconds (sets the gRPC
        deadline); `deadline`, when given, is the gRPC timeout itself.
        """
        if deadline is None:
            deadline = grpc_deadline(timeout)
        try:
            return getattr(self.stub, method)(
                request, timeout=deadline, metadata=self.metadata)
        except grpc.RpcError as error:
            raise errors.from_rpc_error(error) from error
