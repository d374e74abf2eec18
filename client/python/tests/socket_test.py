"""Socket through socketd against real loopback peers: data both ways, EOF,
every close mode as the peer's kernel reports it (FIN vs RST), timeouts,
info, context managers, Listener/accept."""

import os
import socket
import struct
import threading
import time
import unittest

import socketsvc
from socketsvc import CloseMode, ErrorCode
from socketsvc.v1 import sockets_pb2
from tests import fixtures

IO_TIMEOUT = 10  # seconds; generous, the machine may be loaded


class SocketTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        # A with block's COMPLETE close waits for the peer's EOF; tests whose
        # peer stays open should not wait the default 10 s for it.
        cls.socketd = fixtures.Socketd("--close_drain_timeout_ms=500")
        cls.client = socketsvc.Client(cls.socketd.target)
        cls.echo = fixtures.EchoPeer()

    @classmethod
    def tearDownClass(cls):
        cls.echo.close()
        cls.client.close()
        status = cls.socketd.stop()
        if status != 0:
            raise AssertionError("socketd exited with %d:\n%s"
                                 % (status, cls.socketd.stderr()[-4000:]))

    def setUp(self):
        # A peer this test controls directly: the kernel's view of the other end.
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(IO_TIMEOUT)
        self.addCleanup(self.listener.close)

    def connect_peer(self):
        """(Socket through socketd, the peer's accepted socket.socket)."""
        sock = self.client.connect("127.0.0.1", self.listener.getsockname()[1],
                                   timeout=IO_TIMEOUT)
        peer, _ = self.listener.accept()
        peer.settimeout(IO_TIMEOUT)
        self.addCleanup(peer.close)
        return sock, peer

    def read_until_eof(self, peer):
        chunks = []
        while chunk := peer.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)

    def test_connect_reports_addresses(self):
        sock, peer = self.connect_peer()
        with sock:
            self.assertRegex(sock.handle, r"^s1\.[0-9a-f]{32}$")
            self.assertEqual(sock.remote_address, peer.getsockname())
            self.assertEqual(sock.local_address, peer.getpeername())
            self.assertIsNone(sock.tls)
            info = sock.info()
            self.assertEqual(info.handle, sock.handle)
            self.assertEqual(info.state, sockets_pb2.SOCKET_STATE_OPEN)
            self.assertEqual(info.remote_port, self.listener.getsockname()[1])

    def test_echo_one_mebibyte(self):
        payload = os.urandom(1 << 20)
        with self.client.connect("127.0.0.1", self.echo.port, timeout=IO_TIMEOUT) as sock:
            received = []
            # Send in 256 KiB pieces while reading on another thread, as an
            # echo needs (the peer blocks once our receive side is full).
            reader = threading.Thread(target=lambda: received.append(
                sock.recv_exactly(len(payload), timeout=IO_TIMEOUT)))
            reader.start()
            for at in range(0, len(payload), 256 << 10):
                piece = payload[at:at + (256 << 10)]
                self.assertEqual(sock.send(piece, timeout=IO_TIMEOUT), len(piece))
            reader.join(IO_TIMEOUT * 3)
            self.assertEqual(received, [payload])
            info = sock.info()
            self.assertEqual(info.bytes_sent, len(payload))
            self.assertEqual(info.bytes_received, len(payload))

    def test_send_accepts_bytes_like_not_str(self):
        sock, peer = self.connect_peer()
        with sock:
            self.assertEqual(sock.send(bytearray(b"ab")), 2)
            self.assertEqual(sock.send(memoryview(b"cd")), 2)
            with self.assertRaises(TypeError):
                sock.send("text")
            self.assertEqual(peer.recv(4, socket.MSG_WAITALL), b"abcd")

    def test_recv_min_bytes_waits_for_them(self):
        sock, peer = self.connect_peer()
        with sock:
            peer.sendall(b"abc")
            # Ends before min_bytes arrived: what came is returned.
            self.assertEqual(sock.recv(min_bytes=10, timeout=0.3), b"abc")
            threading.Timer(0.2, lambda: peer.sendall(b"0123456789")).start()
            self.assertEqual(sock.recv(max_bytes=4, min_bytes=4, timeout=IO_TIMEOUT),
                             b"0123")
            self.assertEqual(sock.recv(timeout=IO_TIMEOUT), b"456789")

    def test_recv_returns_empty_bytes_at_eof(self):
        sock, peer = self.connect_peer()
        with sock:
            peer.sendall(b"last words")
            peer.shutdown(socket.SHUT_WR)
            data = b""
            while chunk := sock.recv(timeout=IO_TIMEOUT):
                data += chunk
            self.assertEqual(data, b"last words")
            self.assertEqual(sock.recv(timeout=IO_TIMEOUT), b"")  # EOF stays
            # The other direction still works after the peer's FIN.
            sock.send(b"still here")
            self.assertEqual(peer.recv(100), b"still here")

    def test_recv_timeout_raises_timeout_error(self):
        sock, _ = self.connect_peer()
        with sock:
            start = time.monotonic()
            with self.assertRaises(TimeoutError) as raised:
                sock.recv(timeout=0.3)
            elapsed = time.monotonic() - start
            self.assertIsInstance(raised.exception, socketsvc.TimedOut)
            self.assertEqual(raised.exception.code, ErrorCode.TIMED_OUT)
            self.assertGreaterEqual(elapsed, 0.25)
            self.assertLess(elapsed, IO_TIMEOUT)
            with self.assertRaises(socketsvc.TimedOut):
                sock.recv(timeout=0)  # Non-blocking, nothing queued.

    def test_close_complete_sends_fin_and_drains(self):
        sock, peer = self.connect_peer()
        sock.send(b"goodbye")
        seen = {}

        def peer_side():
            seen["data"] = self.read_until_eof(peer)  # Ends at our FIN.
            peer.sendall(b"bye")  # Drained by socketd, never read.
            peer.close()

        thread = threading.Thread(target=peer_side)
        thread.start()
        result = sock.close(CloseMode.COMPLETE, timeout=IO_TIMEOUT)
        thread.join(IO_TIMEOUT)
        self.assertEqual(seen["data"], b"goodbye")
        self.assertTrue(result.released)
        self.assertFalse(result.drain_timed_out)
        self.assertEqual(result.drained_bytes, 3)
        self.assertTrue(sock.closed)
        self.assertIsNone(sock.close())  # Closing again: nothing to do.

    def test_close_abort_resets(self):
        sock, peer = self.connect_peer()
        sock.send(b"x")
        self.assertEqual(peer.recv(1), b"x")
        result = sock.close(CloseMode.ABORT)
        self.assertTrue(result.released)
        with self.assertRaises(ConnectionResetError):
            peer.recv(1)

    def test_close_discard_sends_fin(self):
        sock, peer = self.connect_peer()
        sock.send(b"data")
        result = sock.close(CloseMode.DISCARD)
        self.assertTrue(result.released)
        self.assertEqual(self.read_until_eof(peer), b"data")

    def test_close_partial_half_closes(self):
        sock, peer = self.connect_peer()
        with sock:
            sock.send(b"request")
            result = sock.close(CloseMode.PARTIAL)
            self.assertFalse(result.released)
            self.assertFalse(sock.closed)
            self.assertEqual(self.read_until_eof(peer), b"request")
            self.assertEqual(sock.info().state,
                             sockets_pb2.SOCKET_STATE_HALF_CLOSED)
            with self.assertRaises(BrokenPipeError) as raised:
                sock.send(b"too late")
            self.assertEqual(raised.exception.code, ErrorCode.BROKEN_PIPE)
            peer.sendall(b"response")
            peer.close()
            self.assertEqual(sock.recv(min_bytes=8, timeout=IO_TIMEOUT), b"response")
            self.assertEqual(sock.recv(timeout=IO_TIMEOUT), b"")
        self.assertTrue(sock.closed)  # The with block's close released it.

    def test_context_manager_closes_complete(self):
        with self.client.connect("127.0.0.1", self.listener.getsockname()[1],
                                 timeout=IO_TIMEOUT) as sock:
            peer, _ = self.listener.accept()
            self.addCleanup(peer.close)
            peer.settimeout(IO_TIMEOUT)
            sock.send(b"inside")
            self.assertEqual(peer.recv(6, socket.MSG_WAITALL), b"inside")
            peer.close()  # So that the COMPLETE drain ends at once.
        self.assertTrue(sock.closed)
        with self.assertRaises(socketsvc.SocketError) as raised:
            sock.info()
        self.assertEqual(raised.exception.code, ErrorCode.INVALID_HANDLE)

    def test_context_manager_keeps_the_original_exception(self):
        with self.assertRaises(KeyError):
            with self.client.connect("127.0.0.1", self.echo.port,
                                     timeout=IO_TIMEOUT) as sock:
                # Released behind this object's back: the exit's close fails
                # NOT_FOUND, which must not replace the KeyError.
                self.client.socket(sock.handle).close(CloseMode.ABORT)
                raise KeyError("original")
        with self.assertRaises(socketsvc.SocketError) as raised:
            sock.close()
        self.assertEqual(raised.exception.code, ErrorCode.INVALID_HANDLE)

    def test_socket_by_handle(self):
        sock, peer = self.connect_peer()
        with self.client.socket(sock.handle) as same:
            same.send(b"via handle")
            self.assertEqual(peer.recv(100), b"via handle")
        self.assertIsNone(same.remote_address)

    def test_listener_accept(self):
        with self.client.listen() as listener:
            host, port = listener.address
            self.assertEqual(host, "127.0.0.1")
            with self.assertRaises(socketsvc.TimedOut):
                listener.accept(timeout=0.1)
            peer = socket.create_connection((host, port), timeout=IO_TIMEOUT)
            self.addCleanup(peer.close)
            with listener.accept(timeout=IO_TIMEOUT) as accepted:
                self.assertEqual(accepted.remote_address, peer.getsockname())
                peer.sendall(b"ping")
                self.assertEqual(accepted.recv(min_bytes=4, timeout=IO_TIMEOUT), b"ping")
                accepted.send(b"pong")
                self.assertEqual(peer.recv(4), b"pong")
                accepted.close(CloseMode.ABORT)
            # Reset by socketd: the peer's kernel says so.
            with self.assertRaises(ConnectionResetError):
                peer.recv(1)

    def test_peer_reset_raises_connection_reset(self):
        sock, peer = self.connect_peer()
        with sock:
            # SO_LINGER {on, 0}: close() sends RST.
            peer.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            peer.close()
            with self.assertRaises(ConnectionResetError) as raised:
                sock.recv(timeout=IO_TIMEOUT)
            self.assertIsInstance(raised.exception, socketsvc.ConnectionReset)
            self.assertEqual(raised.exception.code, ErrorCode.CONNECTION_RESET)
            self.assertEqual(raised.exception.errno_name, "ECONNRESET")


if __name__ == "__main__":
    unittest.main()
