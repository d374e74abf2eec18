"""Python client for socketd, sockets as a service (proto/socketsvc/v1).

    import socketsvc

    with socketsvc.Client("127.0.0.1:50051") as client:
        with client.connect("127.0.0.1", 7000, timeout=5) as sock:
            sock.send(b"hello")
            print(sock.recv(timeout=5))

Failures raise SocketError (an OSError) with .code (ErrorCode), .errno and
.grpc_code; timeouts raise TimedOut, a TimeoutError. Generated modules:
socketsvc.v1.sockets_pb2 and sockets_pb2_grpc. See client/python/README.md.
"""

# The generated socketsvc.v1 may live in another sys.path entry than this
# file (bazel-bin/client/python next to client/python): let the package span
# both, the standard way.
__path__ = __import__("pkgutil").extend_path(__path__, __name__)

from socketsvc.client import Client, TlsOptions
from socketsvc.errors import (BrokenPipe, ConnectionRefused, ConnectionReset,
                              ErrorCode, SocketError, TimedOut)
from socketsvc.http_server import HttpRequest, HttpServer, ServerTls
from socketsvc.sockets import CloseMode, Listener, Socket

__all__ = [
    "BrokenPipe", "Client", "CloseMode", "ConnectionRefused", "ConnectionReset",
    "ErrorCode", "HttpRequest", "HttpServer", "Listener", "ServerTls", "Socket",
    "SocketError", "TimedOut", "TlsOptions",
]
