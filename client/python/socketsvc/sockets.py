"""A TCP (or TLS) socket held by socketd, driven like a Python socket."""

import enum

from socketsvc import _rpc
from socketsvc import errors
from socketsvc.v1 import sockets_pb2


class CloseMode(enum.IntEnum):
    """socketsvc.v1.CloseMode: how Close ends the connection."""

    COMPLETE = sockets_pb2.CLOSE_MODE_COMPLETE  # FIN, drain until peer EOF, release
    PARTIAL = sockets_pb2.CLOSE_MODE_PARTIAL    # FIN only; still receive; close again
    ABORT = sockets_pb2.CLOSE_MODE_ABORT        # RST, release at once
    DISCARD = sockets_pb2.CLOSE_MODE_DISCARD    # release at once, FIN, no drain


# Largest read recv_exactly asks for in one call, below socketd's default
# --max_receive_bytes (4 MiB - 64 KiB) and gRPC's 4 MiB message limit.
_MAX_CHUNK = 1 << 20


def _address(host, port):
    return (host, port) if host else None


class Socket:
    """One connection socketd holds for us, named by its handle ("s1.…").

    Made by Client.connect or Listener.accept (or Client.socket for a handle
    obtained elsewhere). Usable as a context manager: leaving the block closes
    it (COMPLETE). Thread-safe in socketd's sense: one thread may send while
    another receives; calls of the same direction queue in socketd.

    Attributes:
      handle: socketd's handle.
      local_address, remote_address: (host, port) as socketd saw them, or None
        when unknown (a socket attached by handle).
      tls: socketsvc.v1.TlsInfo for TLS connections, else None.
    """

    def __init__(self, call, handle, response=None):
        self._call = call
        self.handle = handle
        self.local_address = None
        self.remote_address = None
        self.tls = None
        self._released = False
        if response is not None:
            self.local_address = _address(response.local_address, response.local_port)
            self.remote_address = _address(response.remote_address,
                                           response.remote_port)
            if response.HasField("tls"):
                self.tls = response.tls

    @property
    def closed(self):
        """True once a Close released the handle."""
        return self._released

    def send(self, data, timeout=None):
        """Writes all of `data` (a bytes-like object); returns len(data).

        Answers once every byte is in the kernel's send buffer. If `timeout`
        (seconds; None: socketd's --max_wait_ms) passes first, raises
        TimedOut with `bytes_sent` = the bytes that did go out: unlike
        socket.send, a short write is never returned silently.
        """
        if isinstance(data, str):
            raise TypeError("send() takes bytes, not str (encode it first)")
        request = sockets_pb2.SendRequest(handle=self.handle, data=bytes(data))
        _rpc.set_timeout(request, timeout)
        response = self._call("Send", request, timeout)
        if response.timed_out and response.bytes_sent < len(request.data):
            error = errors.make_error(
                "send timed out after %d of %d bytes"
                % (response.bytes_sent, len(request.data)),
                errors.ErrorCode.TIMED_OUT)
            error.bytes_sent = response.bytes_sent
            raise error
        return response.bytes_sent

    sendall = send  # Same contract; the name Python code often uses.

    def recv(self, max_bytes=65536, min_bytes=1, timeout=None):
        """Reads between min_bytes and max_bytes; b"" once the peer closed.

        Returns as soon as `min_bytes` arrived (taking whatever else is
        queued, up to `max_bytes`), or with what arrived before EOF. If
        `timeout` (seconds; 0: only what is queued now; None: socketd's
        --max_wait_ms) passes first: returns the bytes that did arrive, or
        raises TimedOut (a TimeoutError) when none did, as socket.recv does.
        """
        request = sockets_pb2.ReceiveRequest(
            handle=self.handle, max_bytes=max_bytes, min_bytes=min_bytes)
        _rpc.set_timeout(request, timeout)
        response = self._call("Receive", request, timeout)
        if response.timed_out and not response.data:
            raise errors.make_error("receive timed out", errors.ErrorCode.TIMED_OUT)
        return response.data

    def recv_exactly(self, n, timeout=None):
        """Reads exactly n bytes; raises EOFError if the peer closes first."""
        chunks, have = [], 0
        while have < n:
            # One Receive returns at most socketd's --max_receive_bytes.
            want = min(n - have, _MAX_CHUNK)
            chunk = self.recv(max_bytes=want, min_bytes=want, timeout=timeout)
            if not chunk:
                raise EOFError("peer closed after %d of %d bytes" % (have, n))
            chunks.append(chunk)
            have += len(chunk)
        return b"".join(chunks)

    def close(self, mode=CloseMode.COMPLETE, timeout=None):
        """Closes the connection; returns socketsvc.v1.CloseResponse.

        COMPLETE drains the peer's data until its EOF or `timeout` (None:
        socketd's --close_drain_timeout_ms); PARTIAL only shuts our sending
        side (the handle stays: recv until b"", then close again). Closing a
        socket already released does nothing and returns None.
        """
        if self._released:
            return None
        request = sockets_pb2.CloseRequest(handle=self.handle, mode=CloseMode(mode))
        _rpc.set_timeout(request, timeout)
        response = self._call("Close", request, timeout)
        self._released = response.released
        return response

    def info(self):
        """socketsvc.v1.SocketInfo: state, addresses, counters, TLS, errors."""
        return self._call("GetInfo", sockets_pb2.GetInfoRequest(handle=self.handle))

    def set_options(self, **options):
        """Sets the socketsvc.v1.SocketOptions fields given as keywords
        (tcp_nodelay=True, send_buffer_bytes=65536, idle_timeout_ms=0, ...);
        returns every option as read back from the socket."""
        request = sockets_pb2.SetOptionsRequest(
            handle=self.handle, options=sockets_pb2.SocketOptions(**options))
        return self._call("SetOptions", request)

    def get_options(self):
        """socketsvc.v1.SocketOptions as read back from the socket."""
        return self._call("GetOptions", sockets_pb2.GetOptionsRequest(handle=self.handle))

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, traceback):
        try:
            self.close()
        except errors.SocketError:
            if exc_type is None:
                raise
            # Already failing: let the original exception through.

    def __repr__(self):
        state = "closed" if self._released else "open"
        return "<socketsvc.Socket %s %s remote=%s>" % (self.handle, state,
                                                       self.remote_address)


class Listener:
    """A TCP listener socketd holds ("l1.…"): accept() returns Sockets.

    Context manager: leaving the block stops it.
    """

    def __init__(self, call, response):
        self._call = call
        self.handle = response.listener
        self.address = (response.bound_address, response.port)
        self._closed = False

    def accept(self, timeout=None):
        """The next connection as a Socket; TimedOut if none came in time."""
        request = sockets_pb2.AcceptRequest(listener=self.handle)
        _rpc.set_timeout(request, timeout)
        response = self._call("Accept", request, timeout)
        if response.timed_out:
            raise errors.make_error("accept timed out", errors.ErrorCode.TIMED_OUT)
        sock = Socket(self._call, response.handle)
        sock.local_address = (response.local_address, response.local_port)
        sock.remote_address = (response.peer_address, response.peer_port)
        return sock

    def close(self):
        """Stops listening (connections already accepted stay open)."""
        if self._closed:
            return
        self._call("Close", sockets_pb2.CloseRequest(handle=self.handle))
        self._closed = True

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, traceback):
        try:
            self.close()
        except errors.SocketError:
            if exc_type is None:
                raise
