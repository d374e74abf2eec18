"""Client: one gRPC channel to socketd, and the calls that create handles."""

import dataclasses
from typing import Optional, Sequence, Union

import grpc

from socketsvc import _rpc
from socketsvc.http_server import HttpServer, ServerTls
from socketsvc.sockets import Listener, Socket
from socketsvc.v1 import sockets_pb2
from socketsvc.v1 import sockets_pb2_grpc

Pem = Union[bytes, str]

_TLS_VERSIONS = {
    None: sockets_pb2.TLS_VERSION_UNSPECIFIED,
    "1.2": sockets_pb2.TLS_VERSION_1_2,
    "1.3": sockets_pb2.TLS_VERSION_1_3,
}


@dataclasses.dataclass(frozen=True)
class TlsOptions:
    """TLS settings of one Connect (socketsvc.v1.TlsOptions).

    socketd verifies the peer against its own trust store plus `ca_pem`, and
    the peer's name against `server_name` (default: the host connected to).
    """

    ca_pem: Optional[Pem] = None
    server_name: str = ""
    skip_verify: bool = False
    client_cert_pem: Optional[Pem] = None
    client_key_pem: Optional[Pem] = None
    alpn: Sequence[str] = ()
    min_version: Optional[str] = None  # "1.2", "1.3" or None (1.2 or newer)

    def to_proto(self):
        if self.min_version not in _TLS_VERSIONS:
            raise ValueError("min_version must be '1.2', '1.3' or None, not %r"
                             % (self.min_version,))
        if isinstance(self.alpn, str):
            raise TypeError("alpn is a sequence of protocol names, not one str")
        return sockets_pb2.TlsOptions(
            enabled=True,
            skip_verify=self.skip_verify,
            server_name=self.server_name,
            ca_pem=_rpc.pem_bytes(self.ca_pem),
            client_cert_pem=_rpc.pem_bytes(self.client_cert_pem),
            client_key_pem=_rpc.pem_bytes(self.client_key_pem),
            alpn=list(self.alpn),
            min_version=_TLS_VERSIONS[self.min_version],
        )


def _channel(target, tls, options):
    if tls is None or tls is False:
        return grpc.insecure_channel(target, options=options)
    if tls is True:
        credentials = grpc.ssl_channel_credentials()  # The system's CAs.
    elif isinstance(tls, grpc.ChannelCredentials):
        credentials = tls
    else:
        raise TypeError("tls must be None, True or grpc.ChannelCredentials")
    return grpc.secure_channel(target, credentials, options=options)


class Client:
    """A connection to socketd; makes Sockets, Listeners and HttpServers.

    Args:
      target: socketd's gRPC address, "host:port".
      token: bearer token (socketd --tokens_file); sent with every call as
        `authorization: Bearer TOKEN`.
      tls: how to reach socketd: None (plaintext, loopback), True (TLS
        verified against the system's CAs), or grpc.ChannelCredentials
        (e.g. grpc.ssl_channel_credentials(root_certificates=...,
        private_key=..., certificate_chain=...) for a private CA and mutual
        TLS).
      options: gRPC channel options, passed on.

    Thread-safe. A context manager: leaving the block closes the channel
    (sockets stay open in socketd until closed or idle-reaped).
    """

    def __init__(self, target="127.0.0.1:50051", token=None, tls=None, options=()):
        self.target = target
        self._channel = _channel(target, tls, list(options))
        metadata = (("authorization", "Bearer " + token),) if token else None
        self._call = _rpc.Caller(sockets_pb2_grpc.SocketServiceStub(self._channel),
                                 metadata)

    @property
    def stub(self):
        """The generated SocketServiceStub, for RPCs this layer does not wrap
        (Poll, Pipe, StartTls). Pass metadata=client.metadata for the token."""
        return self._call.stub

    @property
    def metadata(self):
        """The call metadata this client sends (the bearer token), or None."""
        return self._call.metadata

    def connect(self, host, port, timeout=None, tls=None):
        """Connects socketd to host:port; returns the open Socket.

        Args:
          host: name, IPv4 or IPv6 literal.
          port: number, or a service name ("https").
          timeout: seconds for resolving, connecting and the TLS handshake;
            None: socketd's --max_wait_ms.
          tls: None/False (plain TCP), True (TLS with default verification)
            or TlsOptions.
        Raises:
          ConnectionRefused, TimedOut, SocketError (code HOST_NOT_FOUND,
          CERT_VERIFY_FAILED, POLICY_DENIED, ...).
        """
        request = sockets_pb2.ConnectRequest(host=host)
        if isinstance(port, str):
            request.service = port
        else:
            request.port = port
        _rpc.set_timeout(request, timeout)
        if tls is True:
            tls = TlsOptions()
        if tls:
            request.tls.CopyFrom(tls.to_proto())
        response = self._call("Connect", request, timeout)
        return Socket(self._call, response.handle, response)

    def socket(self, handle):
        """A Socket for a handle obtained elsewhere (another process, a log)."""
        return Socket(self._call, handle)

    def listen(self, port=0, bind_address="127.0.0.1", backlog=0):
        """Opens a TCP listener in socketd; port 0 picks a free one."""
        request = sockets_pb2.ListenRequest(bind_address=bind_address, port=port,
                                            backlog=backlog)
        return Listener(self._call, self._call("Listen", request))

    def http_server(self, port=0, bind_address="127.0.0.1", tls=None,
                    keep_alive=None, limits=None):
        """Starts an HTTP(S) server in socketd; returns an HttpServer.

        tls: ServerTls for HTTPS. limits: socketsvc.v1.ServerLimits (zero
        fields take socketd's defaults). keep_alive: None means True.
        """
        request = sockets_pb2.ServerCreateRequest(bind_address=bind_address,
                                                  port=port)
        if tls is not None:
            if not isinstance(tls, ServerTls):
                raise TypeError("tls must be a ServerTls")
            request.tls.CopyFrom(tls.to_proto())
        if limits is not None:
            request.limits.CopyFrom(limits)
        if keep_alive is not None:
            request.keep_alive = keep_alive
        return HttpServer(self._call, self._call("ServerCreate", request))

    def resolve(self, name, timeout=None):
        """Forward lookup: list of addresses; for an IP literal, its names."""
        request = sockets_pb2.ResolveRequest(name=name)
        _rpc.set_timeout(request, timeout)
        response = self._call("Resolve", request, timeout)
        return list(response.addresses) or list(response.names)

    def close(self):
        """Closes the gRPC channel."""
        self._channel.close()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, traceback):
        self.close()
