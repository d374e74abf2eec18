#!/usr/bin/env bash
# socketctl against a real socketd process and real nc/socat peers on
# loopback. Each check prints "ok: ..." or "FAIL: ..."; the exit code is the
# number of failures.
set -u

RUNFILES="${TEST_SRCDIR:-$PWD}/${TEST_WORKSPACE:-socketsvc}"
SOCKETD="$RUNFILES/service/socketd"
SOCKETCTL="$RUNFILES/client/socketctl/socketctl"
WORK="$(mktemp -d "${TEST_TMPDIR:-/tmp}/socketctl.XXXXXX")"
failures=0
pids=()

cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

ok() { echo "ok: $1"; }
fail() { echo "FAIL: $1"; failures=$((failures + 1)); }
expect_eq() {  # name, want, got
  if [[ "$2" == "$3" ]]; then ok "$1"; else fail "$1: want [$2], got [$3]"; fi
}

# A free loopback port (nothing listening on it right now).
free_port() {
  local port
  for _ in $(seq 50); do
    port=$((20000 + RANDOM % 40000))
    if ! ss -Hltn "sport = :$port" | grep -q .; then echo "$port"; return; fi
  done
  echo 0
}

wait_listening() {  # port
  for _ in $(seq 200); do
    ss -Hltn "sport = :$1" | grep -q . && return 0
    sleep 0.05
  done
  return 1
}

# --- socketd on a free port ---
"$SOCKETD" --listen=127.0.0.1:0 --shutdown_grace_ms=200 2>"$WORK/socketd.err" &
pids+=($!)
for _ in $(seq 200); do
  grep -q "listening on" "$WORK/socketd.err" && break
  sleep 0.05
done
SERVER="$(sed -n 's/.*listening on \(.*\)$/\1/p' "$WORK/socketd.err" | head -1)"
[[ -n "$SERVER" ]] || { echo "socketd did not start:"; cat "$WORK/socketd.err"; exit 1; }
ctl() { "$SOCKETCTL" --server="$SERVER" "$@"; }

# --- cat through a socat echo peer: stdin EOF half-closes, echo comes back ---
P=$(free_port)
socat "TCP-LISTEN:$P,bind=127.0.0.1,reuseaddr" EXEC:cat &
pids+=($!)
wait_listening "$P"
got="$(printf 'hello through socketd\n' | timeout 10 "$SOCKETCTL" --server="$SERVER" cat 127.0.0.1 "$P")"
rc=$?
expect_eq "cat echo via socat: bytes" "hello through socketd" "$got"
expect_eq "cat echo via socat: exit code" 0 "$rc"

# --- cat to an nc peer: bytes arrive exactly, peer sees EOF and exits ---
P=$(free_port)
head -c 200000 /dev/urandom >"$WORK/blob"
nc -l 127.0.0.1 "$P" >"$WORK/nc.out" </dev/null &
nc_pid=$!
pids+=($nc_pid)
wait_listening "$P"
timeout 10 "$SOCKETCTL" --server="$SERVER" cat 127.0.0.1 "$P" <"$WORK/blob" >/dev/null
rc=$?
timeout 5 tail --pid="$nc_pid" -f /dev/null
if cmp -s "$WORK/blob" "$WORK/nc.out"; then ok "cat to nc: 200000 bytes exact"; else fail "cat to nc: bytes differ"; fi
expect_eq "cat to nc: exit code" 0 "$rc"

# --- peer speaks and closes while our stdin is still open: cat exits ---
P=$(free_port)
printf 'from the peer' | nc -N -l 127.0.0.1 "$P" >/dev/null &
pids+=($!)
wait_listening "$P"
start=$(date +%s)
# stdin stays open for 20 s (a process substitution, so that nothing here
# waits for the sleep).
timeout 15 "$SOCKETCTL" --server="$SERVER" cat 127.0.0.1 "$P" < <(sleep 20) >"$WORK/peer_eof.out"
rc=$?
got="$(cat "$WORK/peer_eof.out")"
elapsed=$(( $(date +%s) - start ))
expect_eq "cat exits on peer EOF: bytes" "from the peer" "$got"
expect_eq "cat exits on peer EOF: exit code" 0 "$rc"
if (( elapsed < 10 )); then ok "cat exits on peer EOF: in ${elapsed}s"; else fail "cat took ${elapsed}s"; fi

# --- connect / send / recv / info / close, one command at a time ---
P=$(free_port)
socat "TCP-LISTEN:$P,bind=127.0.0.1,reuseaddr" EXEC:cat &
pids+=($!)
wait_listening "$P"
H="$(ctl connect 127.0.0.1 "$P" 2>/dev/null)"
expect_eq "connect: exit code" 0 "$?"
[[ "$H" =~ ^s1\.[0-9a-f]{32}$ ]] && ok "connect: handle $H" || fail "connect: handle [$H]"
expect_eq "send: bytes" 4 "$(ctl send "$H" ping)"
expect_eq "recv: echo" "ping" "$(ctl recv "$H" --min_bytes=4 --timeout_ms=5000)"
ctl info "$H" >"$WORK/info" 2>&1
grep -q "OPEN" "$WORK/info" && ok "info: state OPEN" || fail "info: $(cat "$WORK/info")"
ctl recv "$H" --timeout_ms=100 2>"$WORK/recv.err" >/dev/null
grep -q "timed out" "$WORK/recv.err" && ok "recv: reports timeout" || fail "recv timeout: $(cat "$WORK/recv.err")"
ctl close "$H" --mode=partial >/dev/null
expect_eq "close partial: exit code" 0 "$?"
ctl send "$H" more >/dev/null 2>"$WORK/send.err"
expect_eq "send after partial close: exit code" 3 "$?"
grep -q "BROKEN_PIPE" "$WORK/send.err" && ok "send after partial close: BROKEN_PIPE" || fail "send err: $(cat "$WORK/send.err")"
ctl close "$H" >/dev/null
expect_eq "second close: exit code" 0 "$?"
ctl info "$H" >/dev/null 2>&1
expect_eq "info after release: exit code (not found)" 4 "$?"

# --- errors and exit codes ---
ctl connect 127.0.0.1 "$(free_port)" >/dev/null 2>"$WORK/refused.err"
expect_eq "connect refused: exit code" 3 "$?"
grep -q "CONNECTION_REFUSED" "$WORK/refused.err" && ok "connect refused: named" || fail "refused: $(cat "$WORK/refused.err")"
ctl send s1.0123456789abcdef0123456789abcdef x >/dev/null 2>&1
expect_eq "unknown handle: exit code" 4 "$?"
ctl frobnicate >/dev/null 2>&1
expect_eq "unknown command: exit code" 1 "$?"
"$SOCKETCTL" --server=127.0.0.1:"$(free_port)" --rpc_timeout=2s connect 127.0.0.1 80 >/dev/null 2>&1
expect_eq "socketd unreachable: exit code" 2 "$?"

echo "socketctl_test: $failures failure(s)"
exit "$failures"
