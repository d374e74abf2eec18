"""socketd's errors as Python exceptions: gRPC code, SocketError code and
errno decoded from grpc-status-details-bin, the OSError subclasses Python
code already catches, and the timeout conversion."""

import errno
import os
import pickle
import shutil
import socket
import unittest

import grpc

import socketsvc
from socketsvc import ErrorCode, _rpc, errors
from socketsvc.v1 import sockets_pb2
from tests import fixtures

IO_TIMEOUT = 10
BOGUS_HANDLE = "s1." + "0" * 32


class ErrorMappingTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.socketd = fixtures.Socketd("--close_drain_timeout_ms=500")
        cls.client = socketsvc.Client(cls.socketd.target)

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        status = cls.socketd.stop()
        if status != 0:
            raise AssertionError("socketd exited with %d:\n%s"
                                 % (status, cls.socketd.stderr()[-4000:]))

    def test_connection_refused(self):
        port = fixtures.closed_port()
        with self.assertRaises(ConnectionRefusedError) as raised:
            self.client.connect("127.0.0.1", port, timeout=IO_TIMEOUT)
        error = raised.exception
        self.assertIsInstance(error, socketsvc.ConnectionRefused)
        self.assertIsInstance(error, socketsvc.SocketError)
        self.assertEqual(error.code, ErrorCode.CONNECTION_REFUSED)
        self.assertEqual(error.code.name, "CONNECTION_REFUSED")
        self.assertEqual(int(error.code), 1)  # socketsvc.v1.SocketError number
        self.assertEqual(error.errno, errno.ECONNREFUSED)
        self.assertEqual(error.errno_name, "ECONNREFUSED")
        self.assertEqual(error.grpc_code, grpc.StatusCode.UNAVAILABLE)
        self.assertIn(str(port), error.message)
        self.assertTrue(str(error).startswith(
            "[CONNECTION_REFUSED, ECONNREFUSED, UNAVAILABLE] "), str(error))
        # The gRPC error it came from stays reachable.
        self.assertIsInstance(error.__cause__, grpc.RpcError)

    def test_unknown_handle_is_not_found(self):
        sock = self.client.socket(BOGUS_HANDLE)
        for call in (lambda: sock.recv(timeout=1), lambda: sock.send(b"x"),
                     sock.info, sock.close, lambda: sock.set_options(tcp_nodelay=True)):
            with self.subTest(call=call):
                with self.assertRaises(socketsvc.SocketError) as raised:
                    call()
                self.assertEqual(raised.exception.code, ErrorCode.INVALID_HANDLE)
                self.assertEqual(raised.exception.grpc_code, grpc.StatusCode.NOT_FOUND)
                self.assertIsNone(raised.exception.errno)
                self.assertEqual(raised.exception.errno_name, "")

    def test_invalid_arguments(self):
        with self.assertRaises(socketsvc.SocketError) as raised:
            self.client.connect("", 80, timeout=IO_TIMEOUT)
        self.assertEqual(raised.exception.code, ErrorCode.INVALID_REQUEST)
        self.assertEqual(raised.exception.grpc_code, grpc.StatusCode.INVALID_ARGUMENT)
        # A connect cannot finish without waiting: timeout 0 is refused.
        with self.assertRaises(socketsvc.SocketError) as raised:
            self.client.connect("127.0.0.1", 80, timeout=0)
        self.assertEqual(raised.exception.grpc_code, grpc.StatusCode.INVALID_ARGUMENT)

    def test_policy_denies_socketd_itself(self):
        with self.assertRaises(socketsvc.SocketError) as raised:
            self.client.connect("127.0.0.1", self.socketd.port, timeout=IO_TIMEOUT)
        self.assertEqual(raised.exception.code, ErrorCode.POLICY_DENIED)
        self.assertEqual(raised.exception.grpc_code, grpc.StatusCode.PERMISSION_DENIED)

    def test_send_timeout_reports_bytes_sent(self):
        listener = socket.create_server(("127.0.0.1", 0))
        self.addCleanup(listener.close)
        # The peer never reads and has a tiny window; socketd's send buffer
        # is made small too, so 4 MiB cannot all leave within the timeout.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        with self.client.connect("127.0.0.1", listener.getsockname()[1],
                                 timeout=IO_TIMEOUT) as sock:
            peer, _ = listener.accept()
            self.addCleanup(peer.close)
            options = sock.set_options(send_buffer_bytes=4096)
            self.assertLess(options.send_buffer_bytes, 1 << 20)
            payload = os.urandom(4 << 20)
            with self.assertRaises(TimeoutError) as raised:
                sock.send(payload, timeout=0.5)
            error = raised.exception
            self.assertEqual(error.code, ErrorCode.TIMED_OUT)
            self.assertGreater(error.bytes_sent, 0)
            self.assertLess(error.bytes_sent, len(payload))
            self.assertEqual(sock.info().bytes_sent, error.bytes_sent)
            sock.close(socketsvc.CloseMode.ABORT)

    def test_token_required_when_configured(self):
        work = fixtures.temp_dir("tokens.")
        self.addCleanup(shutil.rmtree, work, True)
        tokens = os.path.join(work, "tokens")
        with open(tokens, "w") as f:
            f.write("python-test-token-0123456789 billing\n")
        socketd = fixtures.Socketd("--tokens_file=" + tokens)
        try:
            echo = fixtures.EchoPeer()
            self.addCleanup(echo.close)
            with socketsvc.Client(socketd.target, token="python-test-token-0123456789") as client:
                with client.connect("127.0.0.1", echo.port, timeout=IO_TIMEOUT) as sock:
                    sock.send(b"authorized")
                    self.assertEqual(sock.recv(min_bytes=10, timeout=IO_TIMEOUT),
                                     b"authorized")
                    # The raw stub, with the client's metadata (the token).
                    info = client.stub.GetInfo(
                        sockets_pb2.GetInfoRequest(handle=sock.handle),
                        metadata=client.metadata, timeout=IO_TIMEOUT)
                    self.assertEqual(info.bytes_received, 10)
            for token in (None, "wrong-token-0123456789"):
                with self.subTest(token=token), \
                        socketsvc.Client(socketd.target, token=token) as client:
                    with self.assertRaises(socketsvc.SocketError) as raised:
                        client.connect("127.0.0.1", echo.port, timeout=IO_TIMEOUT)
                    self.assertEqual(raised.exception.code, ErrorCode.UNAUTHENTICATED)
                    self.assertEqual(raised.exception.grpc_code,
                                     grpc.StatusCode.UNAUTHENTICATED)
        finally:
            self.assertEqual(socketd.stop(), 0, socketd.stderr()[-4000:])

    def test_socketd_unreachable(self):
        with socketsvc.Client("127.0.0.1:%d" % fixtures.closed_port()) as client:
            with self.assertRaises(socketsvc.SocketError) as raised:
                client.connect("127.0.0.1", 80, timeout=5)
        self.assertEqual(raised.exception.code, ErrorCode.UNSPECIFIED)
        self.assertEqual(raised.exception.grpc_code, grpc.StatusCode.UNAVAILABLE)


class ErrorValuesTest(unittest.TestCase):
    """Pure conversions, no socketd."""

    def test_error_codes_mirror_the_proto(self):
        from socketsvc.v1 import errors_pb2
        for name, number in errors_pb2.SocketError.items():
            self.assertEqual(ErrorCode[name[len("SOCKET_ERROR_"):]], number)

    def test_deadline_without_detail_is_a_timeout(self):
        error = errors.make_error("Deadline Exceeded", ErrorCode.UNSPECIFIED,
                                  grpc_code=grpc.StatusCode.DEADLINE_EXCEEDED)
        self.assertIsInstance(error, TimeoutError)

    def test_unknown_code_number_is_kept(self):
        error = errors.make_error("future", errors._to_code(999))
        self.assertEqual(error.code, 999)
        self.assertTrue(str(error).startswith("[999] "))

    def test_pickles(self):
        error = errors.make_error("refused", ErrorCode.CONNECTION_REFUSED,
                                  errno.ECONNREFUSED, "ECONNREFUSED",
                                  grpc.StatusCode.UNAVAILABLE)
        copy = pickle.loads(pickle.dumps(error))
        self.assertIs(type(copy), socketsvc.ConnectionRefused)
        self.assertEqual((copy.code, copy.errno, copy.grpc_code, copy.message),
                         (error.code, error.errno, error.grpc_code, error.message))

    def test_timeout_conversion(self):
        self.assertIsNone(_rpc.timeout_ms(None))
        self.assertEqual(_rpc.timeout_ms(0), 0)
        self.assertEqual(_rpc.timeout_ms(1.5), 1500)
        self.assertEqual(_rpc.timeout_ms(0.0001), 1)  # never rounds to 0
        self.assertEqual(_rpc.timeout_ms(float("inf")), -1)
        self.assertIsNone(_rpc.grpc_deadline(None))
        self.assertEqual(_rpc.grpc_deadline(2), 2 + _rpc.DEADLINE_GRACE_S)
        for bad in (-1, float("nan")):
            with self.assertRaises(ValueError):
                _rpc.timeout_ms(bad)
        for bad in ("1", True):
            with self.assertRaises(TypeError):
                _rpc.timeout_ms(bad)


if __name__ == "__main__":
    unittest.main()
