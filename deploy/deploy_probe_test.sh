#!/usr/bin/env bash
# What the container and the StatefulSet rely on, with the real binaries:
# socketd-entrypoint takes --replica_id from the pod name's ordinal (and
# refuses a name without one); socketd starts with the manifests' policy
# file behind a TLS listener; `socketctl health` (the probes and the
# HEALTHCHECK) answers SERVING over TLS, exit 0, then exit 2 once socketd
# is gone; SIGTERM drains and exits 0.
set -u

RUNFILES="${TEST_SRCDIR:-$PWD}/${TEST_WORKSPACE:-socketsvc}"
ENTRYPOINT="$RUNFILES/deploy/socketd-entrypoint.sh"
export SOCKETD="$RUNFILES/service/socketd"
SOCKETCTL="$RUNFILES/client/socketctl/socketctl"
POLICY="$RUNFILES/deploy/k8s/base/policy.txtpb"
WORK="$(mktemp -d "${TEST_TMPDIR:-/tmp}/deploy.XXXXXX")"
failures=0
pid=""

cleanup() {
  [[ -n "$pid" ]] && kill -9 "$pid" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

ok() { echo "ok: $1"; }
fail() { echo "FAIL: $1"; failures=$((failures + 1)); }
expect_eq() {  # name, want, got
  if [[ "$2" == "$3" ]]; then ok "$1"; else fail "$1: want [$2], got [$3]"; fi
}

# --- the entrypoint refuses a pod name without an ordinal ---
expect_eq "entrypoint refuses 'socketd!'" 64 "$(POD_NAME='socketd-x!' "$ENTRYPOINT" \
  --help >/dev/null 2>&1; echo $?)"

# --- a TLS listener, as the Secret socketd-tls provides it ---
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj "/CN=socketd test CA" -keyout "$WORK/ca.key" -out "$WORK/ca.crt" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=socketd" \
  -keyout "$WORK/tls.key" -out "$WORK/tls.csr" 2>/dev/null
printf 'subjectAltName=DNS:socketd\nextendedKeyUsage=serverAuth\n' >"$WORK/ext.cnf"
openssl x509 -req -in "$WORK/tls.csr" -CA "$WORK/ca.crt" -CAkey "$WORK/ca.key" \
  -CAcreateserial -days 2 -extfile "$WORK/ext.cnf" -out "$WORK/tls.crt" 2>/dev/null
printf 'probe-token-0123456789abcdef alice\n' >"$WORK/tokens"
chmod 0440 "$WORK/tokens"

# --- socketd through the entrypoint, as pod socketd-2 ---
POD_NAME=socketd-2 "$ENTRYPOINT" --listen=127.0.0.1:0 --policy="$POLICY" \
  --tls_cert="$WORK/tls.crt" --tls_key="$WORK/tls.key" --tokens_file="$WORK/tokens" \
  --drain_timeout_ms=2000 2>"$WORK/socketd.err" &
pid=$!
for _ in $(seq 200); do
  grep -q "listening on" "$WORK/socketd.err" && break
  sleep 0.05
done
SERVER="$(sed -n 's/.*listening on \(.*\)$/\1/p' "$WORK/socketd.err" | head -1)"
[[ -n "$SERVER" ]] || { echo "socketd did not start:"; cat "$WORK/socketd.err"; exit 1; }
ok "socketd starts with deploy/k8s/base/policy.txtpb"
ctl() { "$SOCKETCTL" --server="$SERVER" --server_ca="$WORK/ca.crt" \
          --server_tls_name=socketd --rpc_timeout=2s "$@"; }

# --- the probe: SERVING over TLS, without a token ---
expect_eq "health over TLS" "SERVING" "$(ctl health)"
expect_eq "health exit code" 0 "$(ctl health >/dev/null 2>&1; echo $?)"
expect_eq "health of the service" "SERVING" "$(ctl health socketsvc.v1.SocketService)"
expect_eq "unknown service: exit 4" 4 "$(ctl health no.such.Service >/dev/null 2>&1; echo $?)"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj "/CN=another CA" -keyout "$WORK/other.key" -out "$WORK/other.crt" 2>/dev/null
expect_eq "a client that trusts another CA: exit 2" 2 \
  "$("$SOCKETCTL" --server="$SERVER" --server_ca="$WORK/other.crt" \
     --server_tls_name=socketd --rpc_timeout=2s health >/dev/null 2>&1; echo $?)"

# --- the replica id is the ordinal: handles say s2. ---
handle="$(ctl --token=probe-token-0123456789abcdef resolve localhost >/dev/null 2>&1;
          ctl --token=probe-token-0123456789abcdef listen 127.0.0.1 0 2>/dev/null)"
expect_eq "handles carry replica 2" "l2." "${handle:0:3}"

# --- SIGTERM drains and exits 0; then the probe fails with exit 2 ---
kill -TERM "$pid"
wait "$pid"
status=$?
pid=""
expect_eq "SIGTERM exit status" 0 "$status"
expect_eq "health after the end: exit 2" 2 "$(ctl health >/dev/null 2>&1; echo $?)"

echo "$failures failures"
exit "$failures"
