#include "client/socketctl/flags.h"

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051",
          "socketd address (host:port)");
ABSL_FLAG(std::optional<int64_t>, timeout_ms, std::nullopt,
          "socket-level timeout of connect/send/recv/close/starttls/resolve "
          "in ms: unset = socketd's default, 0 = do not block, -1 = no own "
          "limit");
ABSL_FLAG(absl::Duration, rpc_timeout, absl::InfiniteDuration(),
          "gRPC deadline of each call, e.g. 10s (default: none)");
ABSL_FLAG(std::string, mode, "complete",
          "close mode: complete|partial|abort|discard");
ABSL_FLAG(
    uint32_t, max_bytes, 0,
    "recv/cat: most bytes per Receive (0 = socketd's default; cat: 64KiB)");
ABSL_FLAG(uint32_t, min_bytes, 0,
          "recv: answer once this many bytes are there");

ABSL_FLAG(bool, tls, false, "connect/cat: speak TLS (handshake in Connect)");
ABSL_FLAG(bool, tls_skip_verify, false,
          "TLS: encrypt but do not verify the peer's certificate and name");
ABSL_FLAG(std::string, tls_server_name, "",
          "TLS: SNI and name to verify (default: the host connected to)");
ABSL_FLAG(std::string, tls_ca, "",
          "TLS: PEM file of extra trusted CA certificates, read by socketctl");
ABSL_FLAG(std::string, tls_cert, "",
          "TLS: PEM file of the client certificate chain (with --tls_key)");
ABSL_FLAG(std::string, tls_key, "",
          "TLS: PEM file of the client private key (with --tls_cert)");
ABSL_FLAG(std::vector<std::string>, alpn, {},
          "TLS: ALPN protocols to offer, comma-separated, e.g. h2,http/1.1");
ABSL_FLAG(std::string, tls_min_version, "",
          "TLS: oldest version accepted: 1.2 or 1.3 (default: 1.2)");

ABSL_FLAG(std::string, server_ca, "",
          "socketd: speak TLS to socketd, trusting the CA certificates in this "
          "PEM file");
ABSL_FLAG(std::string, server_tls_name, "",
          "socketd: name its certificate must carry (default: the --server "
          "host)");
ABSL_FLAG(std::string, client_cert, "",
          "socketd: PEM client certificate chain for mutual TLS (with "
          "--client_key and --server_ca)");
ABSL_FLAG(std::string, client_key, "",
          "socketd: PEM private key of --client_cert");
ABSL_FLAG(std::string, token, "",
          "socketd: bearer token sent with every call (visible to other "
          "users in ps: prefer --token_file)");
ABSL_FLAG(std::string, token_file, "",
          "socketd: file whose first line is the bearer token");

namespace socketsvc::socketctl {

CallOptions OptionsFromFlags() {
  CallOptions options;
  options.rpc_timeout = absl::GetFlag(FLAGS_rpc_timeout);
  return options;
}

}  // namespace socketsvc::socketctl
