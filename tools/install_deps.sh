#!/usr/bin/env bash
# Installs every Debian package socketsvc needs to build, test and run, then
# the Node.js client's npm packages (tools/install_node_modules.sh).
#
# Idempotent and quiet: packages already installed are left alone, `apt-get
# update` runs only when something is missing (it is the slow, network-bound
# step), and apt's chatter goes to a log that is printed only if it fails.
# Nothing is assumed to be on a fresh machine (see
# shared/design/bazel-offline.md), so ./run, ./test and CI call this first.
set -euo pipefail

PACKAGES=(
  # Build: Debian's Bazel and the system libraries it links against.
  bazel-bootstrap
  bazel-platforms
  g++
  libgrpc++-dev
  protobuf-compiler-grpc
  protobuf-compiler
  libprotobuf-dev
  libabsl-dev
  libssl-dev
  libboost-dev
  # Prometheus metrics (--metrics_port): prometheus-cpp's registry and its
  # civetweb-based HTTP exposer.
  prometheus-cpp-dev
  # Tests.
  libgtest-dev
  libgmock-dev
  # Fuzzing (./test's fuzz phase, --config=fuzz): clang with libFuzzer and
  # the sanitizer runtimes; llvm-14 brings llvm-symbolizer for readable
  # crash stacks. The ASan phase uses g++'s own libasan.
  clang-14
  libclang-rt-14-dev
  llvm-14
  # Tools that tests, scripts and people use against a running socketd.
  socat
  netcat-openbsd
  openssl
  curl
  # A real third-party HTTPS server for TLS end-to-end tests (tests/tls/);
  # tests run it as their own child process, never as a system service.
  nginx-light
  # HTTP load generator: the HTTP server end-to-end test (tests/e2e/) sends
  # 20,000 requests through socketd with it.
  wrk
  procps
  iproute2
  ca-certificates
  # /etc/services: Connect resolves service names ("http") through it.
  netbase
  # Python client (client/python/): Debian's gRPC and protobuf runtimes for
  # /usr/bin/python3, matching protoc 3.21 and grpc_python_plugin above.
  python3
  python3-grpcio
  python3-protobuf
  # deploy/: the rendered Kubernetes manifests are checked with PyYAML.
  python3-yaml
  git
)

is_installed() {
  # dpkg-query fails for packages dpkg has never heard of; treat as missing.
  [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == \
     "install ok installed" ]]
}

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! is_installed "${pkg}"; then
    missing+=("${pkg}")
  fi
done

# Node.js client (client/node/): Debian's nodejs and npm, unless the machine
# has node and npm already (a newer Node.js bundles its own npm, which
# Debian's npm package would conflict with). The client's npm packages come
# from the npm registry, installed last (tools/install_node_modules.sh).
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
# deploy/ (k8s_render_test): `kubectl kustomize`. Debian's kubernetes-client
# (kubectl 1.20, kustomize v2.0.3), unless the machine has a kubectl already
# (another package's /usr/bin/kubectl would conflict with it).
command -v kubectl >/dev/null 2>&1 || missing+=(kubernetes-client)
install_node_modules="$(dirname "$(readlink -f "$0")")/install_node_modules.sh"

if ((${#missing[@]} == 0)); then
  exec "${install_node_modules}"
fi

# Root runs apt directly; anyone else goes through sudo (non-interactively, so
# a CI run without a password fails fast instead of hanging on a prompt).
if [[ "$(id -u)" -eq 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo -n)
else
  echo "install_deps: missing packages (${missing[*]}) and not root, no sudo" >&2
  exit 1
fi

# Debian's postinst scripts start services they install (nginx would take
# port 80 and run as a daemon); tests start nginx themselves, on ephemeral
# ports. invoke-rc.d asks policy-rc.d first, and exit code 101 means "do not
# start": install one for the duration of apt-get unless the machine already
# has one (container images usually do).
policy_rc=/usr/sbin/policy-rc.d
if [[ ! -e "${policy_rc}" ]]; then
  printf '#!/bin/sh\n# socketsvc install_deps: no service starts.\nexit 101\n' |
    "${as_root[@]}" tee "${policy_rc}" >/dev/null
  "${as_root[@]}" chmod 755 "${policy_rc}"
  trap '"${as_root[@]}" rm -f "${policy_rc}"' EXIT
fi

log="$(mktemp /tmp/socketsvc-install-deps.XXXXXX.log)"
echo "install_deps: installing ${missing[*]} (log: ${log})" >&2
if ! {
  "${as_root[@]}" apt-get update &&
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y --no-install-recommends "${missing[@]}"
} >"${log}" 2>&1; then
  cat "${log}" >&2
  echo "install_deps: apt-get failed (log above, also in ${log})" >&2
  exit 1
fi

"${install_node_modules}"
