"""HttpServer: a ServerReceive loop in Python answering real curl clients
(plain and HTTPS with a CA made by the openssl CLI)."""

import subprocess
import threading
import unittest

import socketsvc
from socketsvc import ServerTls
from tests import fixtures

IO_TIMEOUT = 10


def curl(*args):
    """Starts curl (no proxy, loopback only); returns the Popen."""
    return subprocess.Popen(
        ["curl", "--silent", "--show-error", "--noproxy", "*",
         "--max-time", "30", *args],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


class HttpServerTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.socketd = fixtures.Socketd()
        cls.client = socketsvc.Client(cls.socketd.target)

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        status = cls.socketd.stop()
        if status != 0:
            raise AssertionError("socketd exited with %d:\n%s"
                                 % (status, cls.socketd.stderr()[-4000:]))

    def serve(self, server, count, seen):
        """The ServerReceive loop: answers `count` requests, records them."""
        for _ in range(count):
            request = server.receive(timeout=IO_TIMEOUT)
            seen.append(request)
            body = "%s %s q=%s body=%s\n" % (request.method, request.path,
                                            request.query, request.body.decode())
            request.respond(200, body, {"Content-Type": "text/plain",
                                        "X-Served-By": "python"})

    def test_receive_loop_answers_three_curls(self):
        with self.client.http_server() as server:
            self.assertEqual(server.address[0], "127.0.0.1")
            url = "http://127.0.0.1:%d" % server.port
            # Three concurrent clients, each its own connection.
            procs = [curl("-i", "-d", "n=%d" % i, "%s/item/%d?i=%d" % (url, i, i))
                     for i in range(3)]
            seen = []
            self.serve(server, 3, seen)
            outputs = []
            for proc in procs:
                out, err = proc.communicate(timeout=IO_TIMEOUT * 3)
                self.assertEqual(proc.returncode, 0, err)
                outputs.append(out.decode())
            for i, out in enumerate(outputs):
                head, _, body = out.partition("\r\n\r\n")
                self.assertTrue(head.startswith("HTTP/1.1 200 OK"), head)
                self.assertIn("X-Served-By: python", head)
                self.assertEqual(body, "POST /item/%d q=i=%d body=n=%d\n" % (i, i, i))
            self.assertEqual(sorted(r.path for r in seen),
                             ["/item/0", "/item/1", "/item/2"])
            for request in seen:
                self.assertEqual(request.method, "POST")
                self.assertEqual(request.http_version, "HTTP/1.1")
                self.assertEqual(request.peer[0], "127.0.0.1")
                self.assertEqual(request.header("content-type"),
                                 b"application/x-www-form-urlencoded")
                self.assertTrue(request.header("USER-AGENT").startswith(b"curl/"))
                self.assertTrue(request.responded)
            info = server.info()
            self.assertEqual(info.requests_received, 3)
            self.assertEqual(info.responses_sent, 3)

    def test_keep_alive_connection_serves_three_requests(self):
        with self.client.http_server() as server:
            url = "http://127.0.0.1:%d/k" % server.port
            proc = curl("%s?1" % url, "%s?2" % url, "%s?3" % url)
            seen = []
            self.serve(server, 3, seen)
            out, err = proc.communicate(timeout=IO_TIMEOUT * 3)
            self.assertEqual(proc.returncode, 0, err)
            self.assertEqual(out.decode(),
                             "GET /k q=1 body=\nGET /k q=2 body=\nGET /k q=3 body=\n")
            self.assertEqual(server.info().connections_accepted, 1)

    def test_status_reason_and_close(self):
        with self.client.http_server() as server:
            proc = curl("-i", "http://127.0.0.1:%d/missing" % server.port)
            request = server.receive(timeout=IO_TIMEOUT)
            sent = request.respond(404, b"nope", [("X-A", b"1"), ("X-A", "2")],
                                   reason="Not Here", close=True)
            out, err = proc.communicate(timeout=IO_TIMEOUT * 3)
            self.assertEqual(proc.returncode, 0, err)
            head, _, body = out.decode().partition("\r\n\r\n")
            self.assertGreater(sent, len(b"nope"))
            self.assertTrue(head.startswith("HTTP/1.1 404 Not Here"), head)
            self.assertIn("X-A: 1\r\nX-A: 2", head)
            self.assertIn("Connection: close", head)
            self.assertEqual(body, "nope")

    def test_receive_timeout(self):
        with self.client.http_server() as server:
            with self.assertRaises(TimeoutError):
                server.receive(timeout=0.2)

    def test_closed_server_is_gone(self):
        server = self.client.http_server()
        port = server.port
        self.assertEqual(server.close(), 0)
        with self.assertRaises(socketsvc.SocketError) as raised:
            server.receive(timeout=0.2)
        self.assertEqual(raised.exception.code, socketsvc.ErrorCode.INVALID_HANDLE)
        proc = curl("http://127.0.0.1:%d/" % port)
        proc.communicate(timeout=IO_TIMEOUT * 3)
        self.assertEqual(proc.returncode, 7)  # curl: failed to connect

    def test_https_server(self):
        ca = fixtures.CertificateAuthority("python https test CA")
        self.addCleanup(ca.remove)
        cert, key = ca.issue_server("localhost")
        with open(cert, "rb") as f_cert, open(key, "rb") as f_key:
            tls = ServerTls(cert_pem=f_cert.read(), key_pem=f_key.read())
        with self.client.http_server(tls=tls) as server:
            self.assertTrue(server.info().tls)
            proc = curl("--cacert", ca.cert_path,
                        "--resolve", "localhost:%d:127.0.0.1" % server.port,
                        "https://localhost:%d/secure" % server.port)
            thread = threading.Thread(target=self.serve, args=(server, 1, []))
            thread.start()
            out, err = proc.communicate(timeout=IO_TIMEOUT * 3)
            thread.join(IO_TIMEOUT)
            self.assertEqual(proc.returncode, 0, err)
            self.assertEqual(out, b"GET /secure q= body=\n")


if __name__ == "__main__":
    unittest.main()
