"""Being an HTTP server through socketd (ServerCreate/Receive/Send/Delete).

socketd listens, parses requests and hands each to exactly one receive();
the caller answers it with request.respond(...). Typical loop:

    with client.http_server(port=8080) as server:
        while True:
            request = server.receive()
            request.respond(200, b"hello\\n", {"Content-Type": "text/plain"})
"""

import dataclasses
from typing import Optional, Union

from socketsvc import _rpc
from socketsvc import errors
from socketsvc.v1 import sockets_pb2


def _header_value(value):
    # Latin-1 for str, as http.client and http.server do; bytes pass as is.
    return value.encode("latin-1") if isinstance(value, str) else bytes(value)


def _headers(headers):
    """Mapping or iterable of (name, value) pairs → [HttpHeader]."""
    pairs = headers.items() if hasattr(headers, "items") else headers
    return [sockets_pb2.HttpHeader(name=name, value=_header_value(value))
            for name, value in pairs]


@dataclasses.dataclass(frozen=True)
class ServerTls:
    """HTTPS settings (socketsvc.v1.ServerTls): PEM chain, key, client CAs."""

    cert_pem: Union[bytes, str]
    key_pem: Union[bytes, str]
    client_ca_pem: Optional[Union[bytes, str]] = None  # require client certs

    def to_proto(self):
        return sockets_pb2.ServerTls(cert_pem=_rpc.pem_bytes(self.cert_pem),
                                     key_pem=_rpc.pem_bytes(self.key_pem),
                                     client_ca_pem=_rpc.pem_bytes(self.client_ca_pem))


class HttpRequest:
    """One parsed request, handed to this caller alone; answer with respond().

    Attributes: method, uri (raw target), path, query (after '?'),
    http_version, headers (list of (name, bytes value) in order), body
    (bytes, de-chunked), peer ((address, port)), client_cert_subject.
    """

    def __init__(self, call, response):
        self._call = call
        self.handle = response.request_handle
        self.method = response.method
        self.uri = response.uri
        self.path = response.path
        self.query = response.query
        self.http_version = response.http_version
        self.headers = [(h.name, h.value) for h in response.headers]
        self.body = response.body
        self.peer = (response.peer_address, response.peer_port)
        self.client_cert_subject = response.client_cert_subject
        self.responded = False

    def header(self, name, default=None):
        """The first value of header `name` (case-insensitive), as bytes."""
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return default

    def respond(self, status=200, body=b"", headers=(), reason="", close=False,
                timeout=None):
        """Sends the response; returns the bytes written (status line on).

        body: bytes, or str (sent as UTF-8). headers: mapping or (name,
        value) pairs; socketd adds Content-Length. close: close this client
        connection afterwards. timeout: seconds to write it (None: socketd's
        default).
        """
        if isinstance(body, str):
            body = body.encode("utf-8")
        request = sockets_pb2.ServerSendRequest(
            request_handle=self.handle, status=status, reason=reason,
            headers=_headers(headers), body=bytes(body), close=close)
        _rpc.set_timeout(request, timeout)
        response = self._call("ServerSend", request, timeout)
        self.responded = True
        return response.bytes_sent

    def __repr__(self):
        return "<socketsvc.HttpRequest %s %s from %s:%d>" % (
            self.method, self.uri, self.peer[0], self.peer[1])


class HttpServer:
    """An HTTP(S) server instance in socketd ("h1.…").

    Attributes: server_id, address ((bound_address, port)), port. Context
    manager: leaving the block deletes the server (queued requests get 503).
    """

    def __init__(self, call, response):
        self._call = call
        self.server_id = response.server_id
        self.address = (response.bound_address, response.port)
        self.port = response.port
        self._deleted = False

    def receive(self, timeout=None):
        """The next request (HttpRequest); TimedOut if none came in time.

        timeout: seconds; 0 takes only a request already queued; None waits
        up to socketd's --max_wait_ms.
        """
        request = sockets_pb2.ServerReceiveRequest(server_id=self.server_id)
        _rpc.set_timeout(request, timeout)
        response = self._call("ServerReceive", request, timeout)
        if response.timed_out:
            raise errors.make_error("no request within the timeout",
                                    errors.ErrorCode.TIMED_OUT)
        return HttpRequest(self._call, response)

    def info(self):
        """socketsvc.v1.ServerInfo: connections, queues, counters."""
        return self._call("GetServerInfo",
                          sockets_pb2.GetServerInfoRequest(server_id=self.server_id))

    def close(self):
        """Deletes the server; returns how many queued requests got 503."""
        if self._deleted:
            return 0
        response = self._call("ServerDelete",
                              sockets_pb2.ServerDeleteRequest(server_id=self.server_id))
        self._deleted = True
        return response.rejected_requests

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, traceback):
        try:
            self.close()
        except errors.SocketError:
            if exc_type is None:
                raise
