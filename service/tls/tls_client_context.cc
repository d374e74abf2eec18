#include "service/tls/tls_client_context.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <boost/asio/ip/address.hpp>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "common/socket_error.h"

namespace socketsvc {
namespace {

absl::Status Invalid(absl::string_view message) {
  return SocketErrorStatus(absl::StatusCode::kInvalidArgument,
                           v1::SOCKET_ERROR_INVALID_REQUEST, message);
}

bool IsIpLiteral(const std::string& name) {
  boost::system::error_code ec;
  boost::asio::ip::make_address(name, ec);
  return !ec;
}

// ALPN's wire format: each protocol prefixed with its length.
absl::StatusOr<std::string> AlpnWire(const v1::TlsOptions& options) {
  std::string wire;
  for (const std::string& protocol : options.alpn()) {
    if (protocol.empty() || protocol.size() > 255) {
      return Invalid("each alpn protocol must be 1..255 bytes");
    }
    wire.push_back(static_cast<char>(protocol.size()));
    wire += protocol;
  }
  return wire;
}

absl::Status LoadTrust(X509_STORE* store, const TlsTrustOptions& trust) {
  if (trust.ca_file.empty() && trust.ca_dir.empty()) {
    if (X509_STORE_set_default_paths(store) != 1) {
      return absl::InternalError(
          TakeOpenSslError("cannot load the system's trusted CAs"));
    }
    return absl::OkStatus();
  }
  const char* file = trust.ca_file.empty() ? nullptr : trust.ca_file.c_str();
  const char* dir = trust.ca_dir.empty() ? nullptr : trust.ca_dir.c_str();
  if (X509_STORE_load_locations(store, file, dir) != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot load trusted CAs from --tls_ca_file='", trust.ca_file,
        "' --tls_ca_dir='", trust.ca_dir, "': ", TakeOpenSslError("unreadable")));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<TlsClientContext> TlsClientContext::Create(
    const TlsTrustOptions& trust) {
  UniqueSslCtx ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return absl::InternalError(TakeOpenSslError("SSL_CTX_new failed"));
  absl::Status loaded = LoadTrust(SSL_CTX_get_cert_store(ctx.get()), trust);
  if (!loaded.ok()) return loaded;
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  // Partial writes let Send report exactly what went out; buffers are
  // released while idle, which keeps an idle TLS session small.
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE |
                                  SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                                  SSL_MODE_RELEASE_BUFFERS);
  // Many servers close without close_notify; Receive reports that as EOF.
  SSL_CTX_set_options(ctx.get(), SSL_OP_IGNORE_UNEXPECTED_EOF);
  return TlsClientContext(std::move(ctx), trust);
}

absl::StatusOr<UniqueX509Store> TlsClientContext::StoreWithExtraCas(
    absl::string_view ca_pem) const {
  absl::StatusOr<std::vector<UniqueX509>> extra =
      ParseCertificates(ca_pem, "tls.ca_pem");
  if (!extra.ok()) return extra.status();
  UniqueX509Store store(X509_STORE_new());
  absl::Status loaded = LoadTrust(store.get(), trust_);
  if (!loaded.ok()) return loaded;
  for (const UniqueX509& cert : *extra) {
    X509_STORE_add_cert(store.get(), cert.get());  // Takes its own reference.
  }
  ERR_clear_error();  // A duplicate of a system CA is not an error.
  return store;
}

absl::StatusOr<TlsClientSetup> TlsClientContext::NewSsl(
    const v1::TlsOptions& options, absl::string_view host) const {
  // A refusal below may leave OpenSSL's errors on this thread's queue; the
  // next, unrelated failure on the thread would report them as its reason
  // (TakeOpenSslError takes the oldest). Nothing is left behind.
  absl::Cleanup clear_errors = [] { ERR_clear_error(); };
  UniqueSsl ssl(SSL_new(ctx_.get()));
  if (!ssl) return absl::InternalError(TakeOpenSslError("SSL_new failed"));
  std::string name = options.server_name().empty() ? std::string(host)
                                                   : options.server_name();
  if (name.size() > 2 && name.front() == '[' && name.back() == ']') {
    name = name.substr(1, name.size() - 2);
  }
  // OpenSSL takes the name as a C string: a NUL would cut SNI and the
  // verified name short of what the caller asked for.
  if (name.empty() || name.size() > 255 || name.find('\0') != std::string::npos) {
    return Invalid("tls.server_name must be 1..255 bytes, without NUL");
  }
  const bool ip = IsIpLiteral(name);
  // SNI carries host names only (RFC 6066).
  if (!ip && SSL_set_tlsext_host_name(ssl.get(), name.c_str()) != 1) {
    return Invalid(absl::StrCat("tls.server_name '", name, "' is not usable as SNI"));
  }
  if (options.skip_verify()) {
    SSL_set_verify(ssl.get(), SSL_VERIFY_NONE, nullptr);
  } else {
    SSL_set_verify(ssl.get(), SSL_VERIFY_PEER, nullptr);
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl.get());
    const int named = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str())
                         : X509_VERIFY_PARAM_set1_host(param, name.c_str(), 0);
    if (named != 1) return Invalid(absl::StrCat("cannot verify the name '", name, "'"));
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  }
  if (!options.ca_pem().empty()) {
    absl::StatusOr<UniqueX509Store> store = StoreWithExtraCas(options.ca_pem());
    if (!store.ok()) return store.status();
    SSL_set1_verify_cert_store(ssl.get(), store->get());  // Takes a reference.
  }
  if (!options.client_cert_pem().empty() || !options.client_key_pem().empty()) {
    absl::StatusOr<std::vector<UniqueX509>> chain =
        ParseCertificates(options.client_cert_pem(), "tls.client_cert_pem");
    if (!chain.ok()) return chain.status();
    absl::StatusOr<UniqueEvpPkey> key =
        ParsePrivateKey(options.client_key_pem(), "tls.client_key_pem");
    if (!key.ok()) return key.status();
    STACK_OF(X509)* extra = sk_X509_new_null();
    for (size_t i = 1; i < chain->size(); ++i) {
      sk_X509_push(extra, (*chain)[i].get());
    }
    const int used = SSL_use_cert_and_key(ssl.get(), (*chain)[0].get(),
                                          key->get(), extra, /*override=*/1);
    sk_X509_free(extra);  // SSL_use_cert_and_key took its own references.
    if (used != 1 || SSL_check_private_key(ssl.get()) != 1) {
      return Invalid(absl::StrCat("tls client certificate and key do not match: ",
                                  TakeOpenSslError("unusable")));
    }
  }
  absl::StatusOr<std::string> alpn = AlpnWire(options);
  if (!alpn.ok()) return alpn.status();
  if (!alpn->empty() &&
      SSL_set_alpn_protos(ssl.get(), reinterpret_cast<const uint8_t*>(alpn->data()),
                          static_cast<unsigned>(alpn->size())) != 0) {
    return Invalid("tls.alpn is not usable");
  }
  switch (options.min_version()) {
    case v1::TLS_VERSION_UNSPECIFIED:
    case v1::TLS_VERSION_1_2:
      break;
    case v1::TLS_VERSION_1_3:
      SSL_set_min_proto_version(ssl.get(), TLS1_3_VERSION);
      break;
    default:
      return Invalid("tls.min_version is not a known TlsVersion");
  }
  ERR_clear_error();
  return TlsClientSetup{std::move(ssl), name, !options.skip_verify()};
}

}  // namespace socketsvc
