// socketd's TLS client settings: one SSL_CTX with the trust store, and the
// per-connection SSL objects a ConnectRequest/StartTlsRequest asks for.
//
// The trust store is the system's unless --tls_ca_file / --tls_ca_dir name
// one (the role of Omnis's `cacerts` folder); a request's `ca_pem` adds to
// it for that connection only. Thread-safe after construction.
#ifndef SOCKETSVC_SERVICE_TLS_TLS_CLIENT_CONTEXT_H_
#define SOCKETSVC_SERVICE_TLS_TLS_CLIENT_CONTEXT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/tls/openssl_util.h"
#include "socketsvc/v1/sockets.pb.h"

namespace socketsvc {

struct TlsTrustOptions {
  // PEM file of trusted CAs; empty: the system's default file.
  std::string ca_file;
  // Directory of hashed CA certificates (c_rehash); empty: the system's.
  std::string ca_dir;
};

// One connection's client SSL object and what it will check.
struct TlsClientSetup {
  UniqueSsl ssl;
  // SNI sent (unless an IP address) and the name verified.
  std::string server_name;
  // False with skip_verify: encrypted, identity unchecked.
  bool verify = true;
};

class TlsClientContext {
 public:
  static absl::StatusOr<TlsClientContext> Create(const TlsTrustOptions& trust);

  // A client SSL object for one connection to `host` with `options`
  // applied: SNI, name verification, extra CAs, client certificate, ALPN,
  // minimum version. INVALID_ARGUMENT for unusable options.
  absl::StatusOr<TlsClientSetup> NewSsl(const v1::TlsOptions& options,
                                        absl::string_view host) const;

 private:
  TlsClientContext(UniqueSslCtx ctx, TlsTrustOptions trust)
      : ctx_(std::move(ctx)), trust_(std::move(trust)) {}

  absl::StatusOr<UniqueX509Store> StoreWithExtraCas(absl::string_view ca_pem) const;

  std::shared_ptr<SSL_CTX> ctx_;
  TlsTrustOptions trust_;
};

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_TLS_TLS_CLIENT_CONTEXT_H_
