#include "service/http/http_tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/socket_error.h"
#include "service/tls/openssl_util.h"
#include "service/tls/peer_certificate.h"

namespace socketsvc {
namespace {

absl::Status Invalid(absl::string_view message) {
  return SocketErrorStatus(absl::StatusCode::kInvalidArgument,
                           v1::SOCKET_ERROR_INVALID_REQUEST, message);
}

// Picks "http/1.1" when the client offers it (curl offers h2 first; socketd
// speaks HTTP/1.x only); otherwise no ALPN, and the client falls back.
int SelectAlpn(SSL*, const unsigned char** out, unsigned char* out_len,
               const unsigned char* in, unsigned int in_len, void*) {
  static const unsigned char kHttp11[] = "\x08http/1.1";
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, out_len, kHttp11, sizeof(kHttp11) - 1, in,
                            in_len) == OPENSSL_NPN_NEGOTIATED) {
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

}  // namespace

absl::StatusOr<std::shared_ptr<boost::asio::ssl::context>> MakeServerTlsContext(
    const v1::ServerTls& tls) {
  if (tls.cert_pem().empty()) {
    return Invalid("tls.key_pem and tls.client_ca_pem need tls.cert_pem");
  }
  absl::StatusOr<std::vector<UniqueX509>> chain =
      ParseCertificates(tls.cert_pem(), "tls.cert_pem");
  if (!chain.ok()) return chain.status();
  if (tls.key_pem().empty()) return Invalid("tls.cert_pem needs tls.key_pem");
  absl::StatusOr<UniqueEvpPkey> key = ParsePrivateKey(tls.key_pem(), "tls.key_pem");
  if (!key.ok()) return key.status();

  auto context =
      std::make_shared<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
  SSL_CTX* ctx = context->native_handle();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // Clients that close without close_notify after a complete response are
  // normal; compression is off (CRIME); no renegotiation from clients.
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_COMPRESSION |
                               SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  STACK_OF(X509)* extra = sk_X509_new_null();
  for (size_t i = 1; i < chain->size(); ++i) sk_X509_push(extra, (*chain)[i].get());
  const int used =
      SSL_CTX_use_cert_and_key(ctx, (*chain)[0].get(), key->get(), extra, /*override=*/1);
  sk_X509_free(extra);  // SSL_CTX_use_cert_and_key took its own references.
  if (used != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    return Invalid(absl::StrCat("tls.cert_pem and tls.key_pem do not match: ",
                                TakeOpenSslError("unusable")));
  }
  SSL_CTX_set_alpn_select_cb(ctx, SelectAlpn, nullptr);
  // Resumed sessions must carry the same verification context; without one
  // OpenSSL refuses resumption when client certificates are required.
  static const unsigned char kSessionContext[] = "socketd-http";
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof(kSessionContext) - 1);

  if (!tls.client_ca_pem().empty()) {
    absl::StatusOr<std::vector<UniqueX509>> cas =
        ParseCertificates(tls.client_ca_pem(), "tls.client_ca_pem");
    if (!cas.ok()) return cas.status();
    X509_STORE* store = SSL_CTX_get_cert_store(ctx);
    for (const UniqueX509& ca : *cas) {
      X509_STORE_add_cert(store, ca.get());  // Takes its own reference.
      // Tells clients which issuers are acceptable (CertificateRequest).
      SSL_CTX_add_client_CA(ctx, ca.get());
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  ERR_clear_error();
  return context;
}

std::string ClientCertSubject(SSL* ssl) {
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (cert == nullptr) return "";
  return SubjectOf(*cert);
}

}  // namespace socketsvc
