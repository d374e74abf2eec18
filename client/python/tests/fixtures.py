"""Real parts for the Python client's tests: socketd, loopback peers, a CA.

Everything listens on 127.0.0.1 only. socketd is the binary Bazel built
(//service:socketd in the test's runfiles; $SOCKETD overrides it), started as
a process with --listen=127.0.0.1:0 and stopped with SIGTERM, whose exit
status must be 0 (under --config=asan a leak makes it 1).
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time


def runfile(relative):
    srcdir = os.environ.get("TEST_SRCDIR")
    if not srcdir:
        return relative
    return os.path.join(srcdir, os.environ.get("TEST_WORKSPACE", "socketsvc"),
                        relative)


def temp_dir(prefix):
    return tempfile.mkdtemp(prefix=prefix, dir=os.environ.get("TEST_TMPDIR"))


class _OutputReader:
    """Collects a child's output stream on a thread; waits for text in it."""

    def __init__(self, stream):
        self._stream = stream
        self._text = ""
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self):
        for line in iter(self._stream.readline, b""):
            with self._changed:
                self._text += line.decode("utf-8", "replace")
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def text(self):
        with self._changed:
            return self._text

    def wait_for(self, predicate, timeout):
        """The first non-None predicate(text) within timeout, else None."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = predicate(self._text)
                left = deadline - time.monotonic()
                if found is not None or left <= 0 or not self._thread.is_alive():
                    return predicate(self._text)
                self._changed.wait(left)

    def join(self, timeout):
        self._thread.join(timeout)


def _line_after(prefix):
    def find(text):
        for line in text.splitlines(keepends=True):
            if line.startswith(prefix) and line.endswith("\n"):
                return line[len(prefix):].strip()
        return None
    return find


def _port_of(address):
    return int(address.rsplit(":", 1)[1])


class Socketd:
    """A socketd process on 127.0.0.1 and a free port."""

    def __init__(self, *flags):
        binary = os.environ.get("SOCKETD") or runfile("service/socketd")
        self._process = subprocess.Popen(
            [binary, "--listen=127.0.0.1:0", *flags],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE)
        self._stderr = _OutputReader(self._process.stderr)
        # socketd prints "listening on 127.0.0.1:PORT" once it serves.
        address = self._stderr.wait_for(
            lambda text: next((line.split("listening on ", 1)[1]
                               for line in text.splitlines()
                               if "listening on " in line), None), 30)
        if address is None:
            self._process.kill()
            self._process.wait()
            self._stderr.join(5)
            self._process.stderr.close()
            raise RuntimeError("socketd did not start:\n" + self._stderr.text())
        self.port = _port_of(address.strip())
        self.target = "127.0.0.1:%d" % self.port

    def stderr(self):
        return self._stderr.text()

    def stop(self, timeout=30):
        """SIGTERM, wait; returns the exit status (0: clean, no leak)."""
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
        try:
            status = self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            self._process.kill()
            status = self._process.wait()
        self._stderr.join(5)
        self._process.stderr.close()
        return status


class EchoPeer:
    """A loopback TCP server that writes back every byte it reads.

    Each connection is served on its own thread until the client's EOF, then
    closed with FIN.
    """

    def __init__(self):
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    def _accept_loop(self):
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return  # Listener closed.
            threading.Thread(target=self._echo, args=(conn,), daemon=True).start()

    @staticmethod
    def _echo(conn):
        with conn:
            try:
                while data := conn.recv(65536):
                    conn.sendall(data)
            except OSError:
                pass  # Reset by the other side: nothing left to echo.

    def close(self):
        self._listener.close()


def closed_port():
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True,
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)


class CertificateAuthority:
    """A throwaway CA made with the openssl CLI (EC P-256), in a temp dir."""

    def __init__(self, name="socketsvc python test CA"):
        self.dir = temp_dir("ca.")
        self.cert_path = os.path.join(self.dir, "ca.pem")
        _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
                 "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key",
                 "-out", "ca.pem", "-days", "30", "-subj", "/CN=" + name,
                 "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=self.dir)
        with open(self.cert_path, "rb") as f:
            self.cert_pem = f.read()

    def issue_server(self, name="localhost", sans="DNS:localhost,IP:127.0.0.1"):
        """(cert_path, key_path) of a serverAuth certificate for `sans`."""
        cert, key, csr, ext = (os.path.join(self.dir, name + suffix)
                               for suffix in (".pem", ".key", ".csr", ".ext"))
        with open(ext, "w") as f:
            f.write("subjectAltName=%s\nextendedKeyUsage=serverAuth\n"
                    "basicConstraints=CA:FALSE\n" % sans)
        _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                 "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=" + name,
                 cwd=self.dir)
        _openssl("x509", "-req", "-in", csr, "-CA", "ca.pem", "-CAkey", "ca.key",
                 "-CAcreateserial", "-days", "30", "-extfile", ext, "-out", cert,
                 cwd=self.dir)
        return cert, key

    def remove(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class OpenSslServer:
    """`openssl s_server -rev` on 127.0.0.1: TLS, answers each line reversed."""

    def __init__(self, cert_path, key_path):
        # stdbuf: s_server's stdout is a pipe; line-buffer it so that
        # "ACCEPT 127.0.0.1:PORT" shows up as soon as it listens.
        self._process = subprocess.Popen(
            ["stdbuf", "-oL", "openssl", "s_server", "-accept", "127.0.0.1:0",
             "-cert", cert_path, "-key", key_path, "-rev"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT)
        self._output = _OutputReader(self._process.stdout)
        address = self._output.wait_for(_line_after("ACCEPT "), 15)
        if address is None:
            self.close()
            raise RuntimeError("s_server did not start:\n" + self._output.text())
        self.port = _port_of(address)

    def output(self):
        return self._output.text()

    def close(self):
        if self._process.poll() is None:
            self._process.terminate()
        self._process.wait(10)
        self._output.join(5)
        self._process.stdout.close()
