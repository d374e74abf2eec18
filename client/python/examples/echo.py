#!/usr/bin/python3
"""Sends one line to HOST:PORT through socketd and prints what comes back.

    bazel build //client/python:socketsvc
    PYTHONPATH=client/python:bazel-bin/client/python \
        /usr/bin/python3 client/python/examples/echo.py 127.0.0.1 7000 hello

Exit status 0, or 1 with the socket error on stderr.
"""

import argparse
import sys

import socketsvc


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--socketd", default="127.0.0.1:50051",
                        help="socketd's gRPC address (default %(default)s)")
    parser.add_argument("--tls", action="store_true", help="TLS to the peer")
    parser.add_argument("--ca", help="PEM file of extra CAs trusted for --tls")
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("message")
    args = parser.parse_args(argv)

    tls = None
    if args.tls or args.ca:
        ca_pem = open(args.ca, "rb").read() if args.ca else None
        tls = socketsvc.TlsOptions(ca_pem=ca_pem)

    with socketsvc.Client(args.socketd) as client:
        try:
            with client.connect(args.host, args.port, timeout=5, tls=tls) as sock:
                sock.send(args.message.encode() + b"\n", timeout=5)
                # Done sending: the peer sees EOF, we can still read its answer.
                sock.close(socketsvc.CloseMode.PARTIAL)
                while data := sock.recv(timeout=5):  # b"" at the peer's EOF
                    sys.stdout.buffer.write(data)
        except socketsvc.SocketError as error:
            # e.g. "error: CONNECTION_REFUSED (errno 111): connect 127.0.0.1:7000 ..."
            print("error: %s (errno %s): %s" % (error.code.name, error.errno,
                                                error.message), file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
