#!/usr/bin/env bash
# Runs one unittest module of client/python/tests with Debian's python3, the
# interpreter python3-grpcio and python3-protobuf are installed for (not
# whatever `python3` comes first on a developer's PATH). Bazel passes the
# module name (tests.socket_test) as the argument.
set -euo pipefail
runfiles="${TEST_SRCDIR:?run by bazel test}/${TEST_WORKSPACE:-socketsvc}"
# client/python holds the socketsvc package; in runfiles the generated
# socketsvc/v1 modules sit in the same tree.
export PYTHONPATH="${runfiles}/client/python"
# Runfiles link to the source tree: no __pycache__ written into it.
export PYTHONDONTWRITEBYTECODE=1
cd "${runfiles}"
exec /usr/bin/python3 -m unittest -v "$@"
