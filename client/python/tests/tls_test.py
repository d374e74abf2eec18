"""TLS through socketd against `openssl s_server` with a CA made by the
openssl CLI: verified connect with ca_pem, what TlsInfo reports, data both
ways, verification failures; and the client's own TLS channel to socketd."""

import unittest

import grpc

import socketsvc
from socketsvc import ErrorCode, TlsOptions
from tests import fixtures

IO_TIMEOUT = 10


class TlsConnectTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.ca = fixtures.CertificateAuthority()
        cert, key = cls.ca.issue_server("localhost")
        cls.server = fixtures.OpenSslServer(cert, key)
        cls.socketd = fixtures.Socketd("--close_drain_timeout_ms=500")
        cls.client = socketsvc.Client(cls.socketd.target)

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        status = cls.socketd.stop()
        cls.server.close()
        cls.ca.remove()
        if status != 0:
            raise AssertionError("socketd exited with %d:\n%s"
                                 % (status, cls.socketd.stderr()[-4000:]))

    def roundtrip(self, sock):
        # s_server -rev answers each line reversed.
        sock.send(b"hello over tls\n")
        return sock.recv(min_bytes=15, timeout=IO_TIMEOUT)

    def test_verified_connect_with_ca_pem(self):
        with self.client.connect("127.0.0.1", self.server.port, timeout=IO_TIMEOUT,
                                 tls=TlsOptions(ca_pem=self.ca.cert_pem,
                                                server_name="localhost")) as sock:
            self.assertIsNotNone(sock.tls)
            self.assertTrue(sock.tls.verified)
            self.assertIn(sock.tls.version, ("TLSv1.2", "TLSv1.3"))
            self.assertEqual(sock.tls.server_name, "localhost")
            self.assertIn("CN=localhost", sock.tls.peer_subject)
            self.assertIn("DNS:localhost", list(sock.tls.peer_sans))
            self.assertEqual(self.roundtrip(sock), b"slt revo olleh\n")
            self.assertTrue(sock.info().tls.verified)

    def test_ip_address_verified_against_ip_san(self):
        # PEM as str works as well as bytes.
        tls = TlsOptions(ca_pem=self.ca.cert_pem.decode("ascii"))
        with self.client.connect("127.0.0.1", self.server.port, timeout=IO_TIMEOUT,
                                 tls=tls) as sock:
            self.assertTrue(sock.tls.verified)
            self.assertEqual(self.roundtrip(sock), b"slt revo olleh\n")

    def test_unknown_ca_fails_verification(self):
        with self.assertRaises(socketsvc.SocketError) as raised:
            self.client.connect("127.0.0.1", self.server.port, timeout=IO_TIMEOUT,
                                tls=True)
        self.assertEqual(raised.exception.code, ErrorCode.CERT_VERIFY_FAILED)
        self.assertIn("certificate", raised.exception.message)

    def test_wrong_name_fails_verification(self):
        with self.assertRaises(socketsvc.SocketError) as raised:
            self.client.connect("127.0.0.1", self.server.port, timeout=IO_TIMEOUT,
                                tls=TlsOptions(ca_pem=self.ca.cert_pem,
                                               server_name="other.test"))
        self.assertEqual(raised.exception.code, ErrorCode.CERT_VERIFY_FAILED)

    def test_skip_verify_encrypts_unverified(self):
        with self.client.connect("127.0.0.1", self.server.port, timeout=IO_TIMEOUT,
                                 tls=TlsOptions(skip_verify=True)) as sock:
            self.assertFalse(sock.tls.verified)
            self.assertEqual(self.roundtrip(sock), b"slt revo olleh\n")

    def test_bad_min_version_is_a_value_error(self):
        with self.assertRaises(ValueError):
            self.client.connect("127.0.0.1", self.server.port,
                                tls=TlsOptions(min_version="1.1"))


class TlsChannelTest(unittest.TestCase):
    """Client(tls=credentials) to a socketd serving gRPC over TLS."""

    def test_client_reaches_socketd_over_tls(self):
        ca = fixtures.CertificateAuthority("socketd listener CA")
        self.addCleanup(ca.remove)
        cert, key = ca.issue_server("localhost")
        socketd = fixtures.Socketd("--tls_cert=" + cert, "--tls_key=" + key)
        echo = fixtures.EchoPeer()
        self.addCleanup(echo.close)
        try:
            credentials = grpc.ssl_channel_credentials(root_certificates=ca.cert_pem)
            with socketsvc.Client(socketd.target, tls=credentials) as client:
                with client.connect("127.0.0.1", echo.port, timeout=IO_TIMEOUT) as sock:
                    sock.send(b"over a TLS channel")
                    self.assertEqual(sock.recv(min_bytes=18, timeout=IO_TIMEOUT),
                                     b"over a TLS channel")
            # The same socketd refuses a plaintext client.
            with socketsvc.Client(socketd.target) as plain:
                with self.assertRaises(socketsvc.SocketError) as raised:
                    plain.connect("127.0.0.1", echo.port, timeout=5)
                self.assertEqual(raised.exception.grpc_code, grpc.StatusCode.UNAVAILABLE)
        finally:
            self.assertEqual(socketd.stop(), 0, socketd.stderr()[-4000:])


if __name__ == "__main__":
    unittest.main()
