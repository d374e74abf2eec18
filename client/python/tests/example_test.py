"""Runs examples/echo.py (the README's example) as a user would: a separate
/usr/bin/python3 process against a socketd and an echo peer."""

import os
import subprocess
import unittest

from tests import fixtures

EXAMPLE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                       "examples", "echo.py")


class ExampleTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.socketd = fixtures.Socketd()
        cls.echo = fixtures.EchoPeer()

    @classmethod
    def tearDownClass(cls):
        cls.echo.close()
        status = cls.socketd.stop()
        if status != 0:
            raise AssertionError("socketd exited with %d:\n%s"
                                 % (status, cls.socketd.stderr()[-4000:]))

    def run_example(self, *args):
        return subprocess.run(
            ["/usr/bin/python3", EXAMPLE, "--socketd", self.socketd.target, *args],
            stdin=subprocess.DEVNULL, capture_output=True, timeout=60)

    def test_echo(self):
        result = self.run_example("127.0.0.1", str(self.echo.port), "hello socketd")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout, b"hello socketd\n")

    def test_refused(self):
        result = self.run_example("127.0.0.1", str(fixtures.closed_port()), "x")
        self.assertEqual(result.returncode, 1)
        self.assertRegex(result.stderr.decode(),
                         r"^error: CONNECTION_REFUSED \(errno 111\): ")


if __name__ == "__main__":
    unittest.main()
