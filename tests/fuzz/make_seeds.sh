#!/usr/bin/env bash
# Writes the seed inputs of tests/fuzz/corpus/<target>/seed-* from the
# readable descriptions below (protobuf text format, encoded by the system
# protoc; HTTP as bytes). Run by hand from the repository root after a
# change to the API or to the seeds; the output is committed. Inputs a fuzzer
# found (crash-*, regression-*) live beside the seeds and are kept.
#
#   tests/fuzz/make_seeds.sh
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/../.."

corpus=tests/fuzz/corpus
proto=proto/socketsvc/v1/sockets.proto
mkdir -p "${corpus}"/{request_validation_fuzzer,tls_options_fuzzer,http_request_fuzzer,http_response_fuzzer}
rm -f "${corpus}"/*/seed-*

# seed TARGET NAME PREFIX_BYTE MESSAGE TEXT: PREFIX_BYTE (octal escape for
# printf, e.g. '\000') followed by MESSAGE encoded from TEXT.
seed() {
  local target="$1" name="$2" prefix="$3" message="$4" text="$5"
  {
    printf "${prefix}"
    printf '%s\n' "${text}" |
      protoc --proto_path=proto --encode="socketsvc.v1.${message}" "${proto}"
  } >"${corpus}/${target}/seed-${name}"
}

# raw TARGET NAME BYTES: BYTES as printf's format (escapes allowed).
raw() {
  printf "$3" >"${corpus}/$1/seed-$2"
}

# --- request_validation_fuzzer: RPC number (request_validation_fuzzer.cc) + request
rv=request_validation_fuzzer
H='s1.0123456789abcdef0123456789abcdef'
L='l1.0123456789abcdef0123456789abcdef'
seed $rv connect '\000' ConnectRequest 'host: "example.test" port: 443 timeout_ms: 5000'
seed $rv connect-service '\000' ConnectRequest 'host: "::1" service: "http"'
seed $rv connect-tls '\000' ConnectRequest 'host: "example.test" port: 443 tls { enabled: true alpn: "h2" alpn: "http/1.1" min_version: TLS_VERSION_1_3 }'
seed $rv connect-bad '\000' ConnectRequest 'host: "" port: 70000 timeout_ms: 0'
seed $rv send '\001' SendRequest "handle: \"${H}\" data: \"hello\" timeout_ms: -1"
seed $rv receive '\002' ReceiveRequest "handle: \"${H}\" max_bytes: 100 min_bytes: 10 timeout_ms: 0"
seed $rv receive-min '\002' ReceiveRequest "handle: \"${H}\" min_bytes: 4294967295"
seed $rv close '\003' CloseRequest "handle: \"${H}\" mode: CLOSE_MODE_PARTIAL timeout_ms: 100"
seed $rv getinfo '\004' GetInfoRequest "handle: \"${L}\""
seed $rv starttls '\005' StartTlsRequest "handle: \"${H}\" tls { server_name: \"[::1]\" skip_verify: true }"
seed $rv resolve '\006' ResolveRequest 'name: "localhost" timeout_ms: 1000'
seed $rv listen '\007' ListenRequest 'bind_address: "::" port: 8080 backlog: 16'
seed $rv accept '\010' AcceptRequest "listener: \"${L}\" timeout_ms: -2"
seed $rv servercreate '\011' ServerCreateRequest 'bind_address: "[::1]" port: 0 limits { max_header_bytes: 1024 max_body_bytes: 1048576 idle_timeout_ms: 1000 response_timeout_ms: -1 max_pending_requests: 10 max_connections: 10 } keep_alive: false'
seed $rv serverreceive '\012' ServerReceiveRequest 'server_id: "h1.0123456789abcdef0123456789abcdef" timeout_ms: 9223372036854775807'
seed $rv serversend '\013' ServerSendRequest 'request_handle: "r1.0123456789abcdef0123456789abcdef" status: 200 reason: "OK" headers { name: "Content-Type" value: "text/plain" } body: "hi" timeout_ms: 1000'
seed $rv serverdelete '\014' ServerDeleteRequest 'server_id: "h1.0123456789abcdef0123456789abcdef"'
seed $rv getserverinfo '\015' GetServerInfoRequest 'server_id: "h1.x"'
seed $rv setoptions '\016' SetOptionsRequest "handle: \"${H}\" options { idle_timeout_ms: 60000 tcp_nodelay: true keepalive: true keepalive_idle_s: 30 keepalive_interval_s: 10 keepalive_count: 5 linger_s: -1 send_buffer_bytes: 65536 receive_buffer_bytes: 65536 }"
seed $rv setoptions-bad '\016' SetOptionsRequest "handle: \"${H}\" options { keepalive_count: 128 linger_s: 5 send_buffer_bytes: -1 }"
seed $rv getoptions '\017' GetOptionsRequest "handle: \"${H}\""

# --- tls_options_fuzzer: 0 ConnectRequest, 1 StartTlsRequest, 2 ServerTls, 3 certificate
tmp="$(mktemp -d)"
trap 'rm -rf "${tmp}"' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 36500 \
  -subj "/CN=fuzz.test/O=socketsvc fuzz seeds" \
  -addext "subjectAltName=DNS:fuzz.test,IP:127.0.0.1,URI:spiffe://fuzz/test,email:a@fuzz.test" \
  -keyout "${tmp}/key.pem" -out "${tmp}/cert.pem" 2>/dev/null
openssl x509 -in "${tmp}/cert.pem" -outform DER -out "${tmp}/cert.der"
# PEM as a text-format bytes literal.
pem() { awk '{ printf "%s\\n", $0 }' "$1"; }
CERT="$(pem "${tmp}/cert.pem")"
KEY="$(pem "${tmp}/key.pem")"
tls=tls_options_fuzzer
seed $tls connect-mtls '\000' ConnectRequest "host: \"fuzz.test\" port: 443 tls { enabled: true ca_pem: \"${CERT}\" client_cert_pem: \"${CERT}\" client_key_pem: \"${KEY}\" alpn: \"http/1.1\" }"
seed $tls connect-ip '\000' ConnectRequest 'host: "127.0.0.1" port: 443 tls { enabled: true server_name: "[::1]" min_version: TLS_VERSION_1_2 }'
seed $tls starttls-ca '\001' StartTlsRequest "handle: \"x\" tls { ca_pem: \"${CERT}${CERT}\" skip_verify: true }"
seed $tls server-tls '\002' ServerTls "cert_pem: \"${CERT}\" key_pem: \"${KEY}\" client_ca_pem: \"${CERT}\""
{ printf '\003'; cat "${tmp}/cert.der"; } >"${corpus}/${tls}/seed-certificate-der"
{ printf '\003'; cat "${tmp}/cert.pem"; } >"${corpus}/${tls}/seed-certificate-pem"

# --- http_request_fuzzer: read size, limits (http_request_fuzzer.cc), bytes
hr=http_request_fuzzer
raw $hr get '\000\000GET /path?q=1 HTTP/1.1\r\nHost: a\r\nUser-Agent: x\r\n\r\n'
raw $hr post-chunked '\007\000POST /u HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'
raw $hr post-length '\001\000POST / HTTP/1.0\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\nhello'
raw $hr pipelined '\003\000GET /1 HTTP/1.1\r\n\r\nHEAD /2 HTTP/1.1\r\n\r\nGET /3 HTTP/1.1\r\nConnection: close\r\n\r\n'
raw $hr expect '\000\000PUT /x HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc'
raw $hr body-limit '\000\004POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\n'
raw $hr header-limit '\000\001GET / HTTP/1.1\r\nX-Long: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n'
raw $hr http2 '\000\000GET / HTTP/2.0\r\n\r\n'
raw $hr gzip '\000\000POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n'
raw $hr garbage '\000\000\x00\x01\x02 / HTTP/1.1\r\n\r\n'

# --- http_response_fuzzer: request shape (http_response_fuzzer.cc) + ServerSendRequest
hs=http_response_fuzzer
seed $hs ok '\012' ServerSendRequest 'status: 200 headers { name: "Content-Type" value: "text/plain" } body: "hello"'
seed $hs chunked '\012' ServerSendRequest 'status: 200 headers { name: "Transfer-Encoding" value: "chunked" } body: "hello"'
seed $hs head '\016' ServerSendRequest 'status: 200 headers { name: "Content-Length" value: "42" }'
seed $hs http10 '\001' ServerSendRequest 'status: 404 reason: "Nope" headers { name: "Connection" value: "close" } body: "x" close: true'
seed $hs not-modified '\012' ServerSendRequest 'status: 304 headers { name: "ETag" value: "\"abc\"" } headers { name: "Date" value: "Sun, 06 Nov 1994 08:49:37 GMT" }'
seed $hs split '\012' ServerSendRequest 'status: 200 headers { name: "X" value: "a\r\nSet-Cookie: b" } body: "x"'

echo "seeds written to ${corpus}/"
