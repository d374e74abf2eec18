// RAII owners for OpenSSL objects and the error text of OpenSSL calls.
#ifndef SOCKETSVC_SERVICE_TLS_OPENSSL_UTIL_H_
#define SOCKETSVC_SERVICE_TLS_OPENSSL_UTIL_H_

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace socketsvc {

struct SslDeleter {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};
struct SslCtxDeleter {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
struct X509Deleter {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct X509StoreDeleter {
  void operator()(X509_STORE* store) const { X509_STORE_free(store); }
};
struct EvpPkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};

using UniqueSsl = std::unique_ptr<SSL, SslDeleter>;
using UniqueSslCtx = std::unique_ptr<SSL_CTX, SslCtxDeleter>;
using UniqueX509 = std::unique_ptr<X509, X509Deleter>;
using UniqueX509Store = std::unique_ptr<X509_STORE, X509StoreDeleter>;
using UniqueEvpPkey = std::unique_ptr<EVP_PKEY, EvpPkeyDeleter>;

// Takes the oldest error off OpenSSL's thread-local queue and clears the
// rest: "tlsv13 alert certificate required", or `fallback` if empty.
std::string TakeOpenSslError(absl::string_view fallback);

// Every certificate in `pem`, in order; INVALID_ARGUMENT if there is none or
// one does not parse. `what` names the field in the message.
absl::StatusOr<std::vector<UniqueX509>> ParseCertificates(absl::string_view pem,
                                                          absl::string_view what);

// The private key in `pem`.
absl::StatusOr<UniqueEvpPkey> ParsePrivateKey(absl::string_view pem,
                                              absl::string_view what);

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_TLS_OPENSSL_UTIL_H_
