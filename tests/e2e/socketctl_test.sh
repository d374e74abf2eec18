#!/usr/bin/env bash
# socketctl against a real socketd process and real nc/socat/openssl s_server
# peers on loopback (TLS with a throwaway CA made here with the openssl CLI).
# Each check prints "ok: ..." or "FAIL: ..."; the exit code is the number of
# failures.
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
# poll: writable at once; readable only once the echo is back (and then recv
# still gets every byte); a timeout; a handle that names nothing.
expect_eq "poll: writable" "$H writable" "$(ctl poll "$H=w" --timeout_ms=5000)"
ctl poll "$H" --timeout_ms=100 2>"$WORK/poll.err" >"$WORK/poll.out"
grep -q "timed out" "$WORK/poll.err" && [[ ! -s "$WORK/poll.out" ]] && ok "poll: reports timeout" || fail "poll timeout: $(cat "$WORK/poll.err" "$WORK/poll.out")"
ctl send "$H" pong >/dev/null
expect_eq "poll: readable" "$H readable" "$(ctl poll "$H" --timeout_ms=5000)"
expect_eq "poll: unknown handle" "s1.0123456789abcdef0123456789abcdef invalid" \
  "$(ctl poll s1.0123456789abcdef0123456789abcdef "$H=a" --timeout_ms=0)"
expect_eq "recv after poll" "pong" "$(ctl recv "$H" --min_bytes=4 --timeout_ms=5000)"
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

# --- TLS: a throwaway CA and a server certificate for localhost/127.0.0.1 ---
# Own config files, so that the system's openssl.cnf does not matter.
cat >"$WORK/ca.cnf" <<'EOF'
[req]
distinguished_name = dn
x509_extensions = ca_ext
prompt = no
[dn]
CN = test-ca
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
EOF
cat >"$WORK/server_ext.cnf" <<'EOF'
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1
authorityKeyIdentifier = keyid
EOF
if openssl req -x509 -config "$WORK/ca.cnf" -newkey rsa:2048 -nodes -days 2 \
       -keyout "$WORK/ca.key" -out "$WORK/ca.pem" >/dev/null 2>&1 &&
   openssl req -new -config "$WORK/ca.cnf" -newkey rsa:2048 -nodes \
       -subj /CN=localhost -keyout "$WORK/server.key" -out "$WORK/server.csr" >/dev/null 2>&1 &&
   openssl x509 -req -in "$WORK/server.csr" -CA "$WORK/ca.pem" -CAkey "$WORK/ca.key" \
       -set_serial 2 -days 2 -extfile "$WORK/server_ext.cnf" -out "$WORK/server.pem" >/dev/null 2>&1
then ok "tls: test CA and server certificate"
else fail "tls: openssl could not make the test certificates"
fi

# openssl s_server -rev: after the handshake it answers each line reversed,
# and closes when the client's side ends. It serves one connection after the
# other and never reads its own stdin in this mode, so /dev/null is fine.
TLS_PORT=$(free_port)
openssl s_server -accept "127.0.0.1:$TLS_PORT" -cert "$WORK/server.pem" \
  -key "$WORK/server.key" -alpn http/1.1 -rev -quiet </dev/null >"$WORK/s_server.log" 2>&1 &
pids+=($!)
wait_listening "$TLS_PORT" || fail "tls: s_server did not start: $(cat "$WORK/s_server.log")"

got="$(printf 'hello tls\n' | timeout 10 "$SOCKETCTL" --server="$SERVER" cat --tls --tls_ca="$WORK/ca.pem" 127.0.0.1 "$TLS_PORT")"
rc=$?
expect_eq "cat --tls --tls_ca: reversed line" "slt olleh" "$got"
expect_eq "cat --tls --tls_ca: exit code" 0 "$rc"

printf 'x\n' | timeout 10 "$SOCKETCTL" --server="$SERVER" cat --tls 127.0.0.1 "$TLS_PORT" >/dev/null 2>"$WORK/untrusted.err"
expect_eq "cat --tls without the CA: exit code" 3 "$?"
grep -q "CERT_VERIFY_FAILED" "$WORK/untrusted.err" && ok "cat --tls without the CA: CERT_VERIFY_FAILED" || fail "untrusted: $(cat "$WORK/untrusted.err")"

got="$(printf 'skip\n' | timeout 10 "$SOCKETCTL" --server="$SERVER" cat --tls --tls_skip_verify 127.0.0.1 "$TLS_PORT")"
rc=$?
expect_eq "cat --tls_skip_verify: reversed line" "piks" "$got"
expect_eq "cat --tls_skip_verify: exit code" 0 "$rc"

printf 'x\n' | timeout 10 "$SOCKETCTL" --server="$SERVER" cat --tls --tls_ca="$WORK/ca.pem" \
  --tls_server_name=wrong.example 127.0.0.1 "$TLS_PORT" >/dev/null 2>"$WORK/wrong_name.err"
expect_eq "cat --tls_server_name=wrong.example: exit code" 3 "$?"
grep -q "hostname mismatch" "$WORK/wrong_name.err" && ok "wrong server name: hostname mismatch" || fail "wrong name: $(cat "$WORK/wrong_name.err")"

ctl connect --tls --tls_ca="$WORK/missing.pem" 127.0.0.1 "$TLS_PORT" >/dev/null 2>"$WORK/missing_ca.err"
expect_eq "unreadable --tls_ca: exit code" 1 "$?"
grep -q -- "--tls_ca: cannot read .*missing.pem" "$WORK/missing_ca.err" && ok "unreadable --tls_ca: named" || fail "missing ca: $(cat "$WORK/missing_ca.err")"

# connect --tls by name: the "tls ..." line, tls.* in info, ALPN, data both
# ways.
H="$(ctl connect --tls --tls_ca="$WORK/ca.pem" --alpn=h2,http/1.1 localhost "$TLS_PORT" 2>"$WORK/connect_tls.err")"
expect_eq "connect --tls: exit code" 0 "$?"
grep -q "^tls TLSv1\.[23] .* verified peer=CN=localhost alpn=http/1.1$" "$WORK/connect_tls.err" && ok "connect --tls: tls line" || fail "connect --tls: $(cat "$WORK/connect_tls.err")"
ctl info "$H" >"$WORK/info_tls" 2>&1
grep -q "^tls.version: TLSv1\.[23]$" "$WORK/info_tls" && grep -q "^tls.verified: true$" "$WORK/info_tls" &&
  grep -q "^tls.peer_subject: CN=localhost$" "$WORK/info_tls" &&
  grep -q "^tls.alpn: http/1.1$" "$WORK/info_tls" && ok "info: tls.* lines" || fail "info tls: $(cat "$WORK/info_tls")"
ctl send "$H" $'ping\n' >/dev/null
expect_eq "connect --tls: send/recv" "gnip" "$(ctl recv "$H" --min_bytes=5 --timeout_ms=5000)"
ctl close "$H" >/dev/null
expect_eq "connect --tls: close" 0 "$?"

# --- STARTTLS: a plain line exchange, then TLS on the same connection. The
# peer answers one line in the clear, then relays raw bytes to s_server, which
# does the TLS side. ---
P=$(free_port)
cat >"$WORK/starttls_peer.sh" <<EOF
read -r line
echo "plain: \$line"
exec socat STDIO TCP:127.0.0.1:$TLS_PORT
EOF
socat "TCP-LISTEN:$P,bind=127.0.0.1,reuseaddr" EXEC:"bash $WORK/starttls_peer.sh" &
pids+=($!)
wait_listening "$P"
H="$(ctl connect 127.0.0.1 "$P" 2>/dev/null)"
ctl send "$H" $'STARTTLS\n' >/dev/null
expect_eq "starttls: plain exchange" "plain: STARTTLS" "$(ctl recv "$H" --min_bytes=16 --timeout_ms=5000)"
ctl starttls "$H" --tls_ca="$WORK/ca.pem" 2>"$WORK/starttls.err"
expect_eq "starttls: exit code" 0 "$?"
grep -q "^tls TLSv1\.[23] .* verified peer=CN=localhost" "$WORK/starttls.err" && ok "starttls: tls line" || fail "starttls: $(cat "$WORK/starttls.err")"
ctl send "$H" $'secret\n' >/dev/null
expect_eq "starttls: data over TLS" "terces" "$(ctl recv "$H" --min_bytes=7 --timeout_ms=5000)"
ctl info "$H" 2>&1 | grep -q "^tls.verified: true$" && ok "starttls: info shows tls" || fail "starttls: info without tls"
ctl close "$H" >/dev/null
ctl starttls s1.0123456789abcdef0123456789abcdef >/dev/null 2>&1
expect_eq "starttls unknown handle: exit code" 4 "$?"

# --- resolve ---
ctl resolve localhost >"$WORK/resolve_fwd" 2>&1
expect_eq "resolve localhost: exit code" 0 "$?"
grep -qx "127.0.0.1" "$WORK/resolve_fwd" && ok "resolve localhost: 127.0.0.1" || fail "resolve localhost: $(cat "$WORK/resolve_fwd")"
if grep -qx "::1" "$WORK/resolve_fwd"; then ok "resolve localhost: ::1"; else echo "note: resolve localhost: no ::1 on this host"; fi
ctl resolve 127.0.0.1 >"$WORK/resolve_rev" 2>&1
expect_eq "resolve 127.0.0.1: exit code" 0 "$?"
grep -qx "localhost" "$WORK/resolve_rev" && ok "resolve 127.0.0.1: localhost" || fail "resolve 127.0.0.1: $(cat "$WORK/resolve_rev")"
# HOST_NOT_FOUND, or TIMED_OUT where no DNS server answers.
ctl resolve no-such-host.invalid --timeout_ms=5000 >/dev/null 2>"$WORK/resolve_nx.err"
expect_eq "resolve unknown name: exit code" 3 "$?"
grep -Eq "HOST_NOT_FOUND|TIMED_OUT" "$WORK/resolve_nx.err" && ok "resolve unknown name: named" || fail "resolve nx: $(cat "$WORK/resolve_nx.err")"

echo "socketctl_test: $failures failure(s)"
exit "$failures"
