#!/usr/bin/env bash
# Runs the Node.js client's tests (node's built-in runner, test/*.test.js)
# against the socketd Bazel built. Each test file starts its own socketd on
# a free loopback port and its own peers (Node net servers, openssl
# s_server, curl). Exit status: node --test's (non-zero if any test failed).
set -euo pipefail

RUNFILES="${TEST_SRCDIR:-$PWD}/${TEST_WORKSPACE:-socketsvc}"
export SOCKETD="${RUNFILES}/service/socketd"
export SOCKETSVC_PROTO_DIR="${RUNFILES}/proto"

# Runfiles are symlinks into the workspace: the package's own folder, with
# node_modules, is where package.json really is.
package="$(dirname "$(readlink -f "${RUNFILES}/client/node/package.json")")"
if [[ ! -d "${package}/node_modules/@grpc/grpc-js" ]]; then
  echo "no ${package}/node_modules: run tools/install_deps.sh (./test does)" >&2
  exit 1
fi
echo "node $(node --version), package ${package}"

cd "${package}"
exec node --test --test-reporter=spec test/*.test.js
