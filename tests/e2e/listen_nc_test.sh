#!/usr/bin/env bash
# Listen/Accept through socketctl with nc as the connecting peer: data both
# ways, and every close mode as nc (and the kernel) sees it. Prints "ok:" or
# "FAIL:" per check; exits with the number of failures.
set -u

RUNFILES="${TEST_SRCDIR:-$PWD}/${TEST_WORKSPACE:-socketsvc}"
SOCKETD="$RUNFILES/service/socketd"
SOCKETCTL="$RUNFILES/client/socketctl/socketctl"
WORK="$(mktemp -d "${TEST_TMPDIR:-/tmp}/listen_nc.XXXXXX")"
failures=0
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT
ok() { echo "ok: $1"; }
fail() { echo "FAIL: $1"; failures=$((failures + 1)); }
expect_eq() { if [[ "$2" == "$3" ]]; then ok "$1"; else fail "$1: want [$2], got [$3]"; fi; }

"$SOCKETD" --listen=127.0.0.1:0 2>"$WORK/socketd.err" &
pids+=($!)
for _ in $(seq 200); do grep -q "listening on" "$WORK/socketd.err" && break; sleep 0.05; done
SERVER="$(sed -n 's/.*listening on \(.*\)$/\1/p' "$WORK/socketd.err" | head -1)"
[[ -n "$SERVER" ]] || { echo "socketd did not start"; cat "$WORK/socketd.err"; exit 1; }
ctl() { timeout 15 "$SOCKETCTL" --server="$SERVER" "$@"; }

L="$(ctl listen 0 2>"$WORK/listen.err")"
expect_eq "listen: exit code" 0 "$?"
PORT="$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$WORK/listen.err")"
[[ "$L" =~ ^l1\.[0-9a-f]{32}$ && -n "$PORT" ]] && ok "listen: $L on $PORT" || fail "listen: [$L] [$(cat "$WORK/listen.err")]"

# An accept with nobody connecting answers "timed out", exit 0.
ctl accept "$L" --timeout_ms=100 >"$WORK/none.out" 2>"$WORK/none.err"
expect_eq "accept timeout: exit code" 0 "$?"
grep -q "timed out" "$WORK/none.err" && ok "accept timeout: reported" || fail "accept timeout: $(cat "$WORK/none.err")"

# Connects nc (reading the network only) and accepts it; sets NC_PID and H.
connect_nc() {
  timeout 10 nc -d 127.0.0.1 "$PORT" >"$WORK/nc.out" 2>"$WORK/nc.err" &
  NC_PID=$!
  H="$(ctl accept "$L" --timeout_ms=5000 2>"$WORK/accept.err")"
  NC_LOCAL_PORT="$(sed -n 's/^accepted 127.0.0.1:\([0-9]*\)$/\1/p' "$WORK/accept.err")"
}

# Whether the kernel keeps a TIME_WAIT entry for nc's connection: an orderly
# close by socketd leaves one on socketd's side; a reset leaves none.
time_wait_count() {  # nc's local port
  ss -Htan state time-wait "( sport = :$PORT and dport = :$1 )" | wc -l
}

for mode in complete discard abort; do
  connect_nc
  message="hello from $mode"
  expect_eq "$mode: data socketd -> nc (bytes sent)" "${#message}" "$(ctl send "$H" "$message" 2>/dev/null)"
  sleep 0.2
  ctl close "$H" --mode="$mode" --timeout_ms=300 >/dev/null
  timeout 5 tail --pid="$NC_PID" -f /dev/null
  wait "$NC_PID"
  rc=$?
  expect_eq "$mode: nc got the bytes and ended" "hello from $mode" "$(cat "$WORK/nc.out")"
  expect_eq "$mode: nc exit code" 0 "$rc"
  if [[ "$mode" == abort ]]; then
    expect_eq "abort: reset, no TIME_WAIT" 0 "$(time_wait_count "$NC_LOCAL_PORT")"
  else
    expect_eq "$mode: orderly FIN, TIME_WAIT kept" 1 "$(time_wait_count "$NC_LOCAL_PORT")"
  fi
done

# PARTIAL: nc sees EOF, yet what nc sends afterwards still reaches socketd.
mkfifo "$WORK/nc.in"
timeout 10 nc 127.0.0.1 "$PORT" <"$WORK/nc.in" >"$WORK/nc.out" 2>/dev/null &
NC_PID=$!
exec 7>"$WORK/nc.in"
H="$(ctl accept "$L" --timeout_ms=5000 2>/dev/null)"
ctl send "$H" "half" >/dev/null
ctl close "$H" --mode=partial >/dev/null
expect_eq "partial: handle stays" "SOCKET_STATE_HALF_CLOSED" "$(ctl info "$H" | sed -n 's/^state: //p')"
printf 'reply after your FIN' >&7
exec 7>&-
got="$(ctl recv "$H" --min_bytes=20 --timeout_ms=5000 2>/dev/null)"
expect_eq "partial: nc's data still arrives" "reply after your FIN" "$got"
wait "$NC_PID"
expect_eq "partial: nc saw our EOF" "half" "$(cat "$WORK/nc.out")"
ctl close "$H" >/dev/null
expect_eq "partial: second close releases" 4 "$(ctl info "$H" >/dev/null 2>&1; echo $?)"

ctl close "$L" >/dev/null
expect_eq "listener closed: accept not found" 4 "$(ctl accept "$L" --timeout_ms=100 >/dev/null 2>&1; echo $?)"
timeout 5 nc -z 127.0.0.1 "$PORT"
expect_eq "listener closed: port refuses" 1 "$?"

echo "listen_nc_test: $failures failure(s)"
exit "$failures"
