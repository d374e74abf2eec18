#include "service/tls/openssl_util.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "absl/strings/str_cat.h"
#include "common/socket_error.h"

namespace socketsvc {
namespace {

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using UniqueBio = std::unique_ptr<BIO, BioDeleter>;

UniqueBio MemoryBio(absl::string_view data) {
  return UniqueBio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

absl::Status BadPem(absl::string_view what, absl::string_view detail) {
  return SocketErrorStatus(absl::StatusCode::kInvalidArgument,
                           v1::SOCKET_ERROR_INVALID_REQUEST,
                           absl::StrCat(what, ": ", detail));
}

}  // namespace

std::string TakeOpenSslError(absl::string_view fallback) {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return std::string(fallback);
  const char* reason = ERR_reason_error_string(code);
  return reason != nullptr ? std::string(reason)
                           : absl::StrCat("OpenSSL error ", code);
}

absl::StatusOr<std::vector<UniqueX509>> ParseCertificates(absl::string_view pem,
                                                          absl::string_view what) {
  if (pem.size() > 1 << 20) return BadPem(what, "more than 1 MiB of PEM");
  UniqueBio bio = MemoryBio(pem);
  std::vector<UniqueX509> certs;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    certs.emplace_back(cert);
  }
  // The loop ends with "no start line" at the end of the data: expected.
  const unsigned long last = ERR_peek_last_error();
  const bool clean_end = ERR_GET_REASON(last) == PEM_R_NO_START_LINE;
  ERR_clear_error();
  if (certs.empty()) return BadPem(what, "no PEM certificate found");
  if (!clean_end && last != 0) return BadPem(what, "a certificate does not parse");
  return certs;
}

absl::StatusOr<UniqueEvpPkey> ParsePrivateKey(absl::string_view pem,
                                              absl::string_view what) {
  if (pem.size() > 1 << 20) return BadPem(what, "more than 1 MiB of PEM");
  UniqueBio bio = MemoryBio(pem);
  UniqueEvpPkey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return BadPem(what, TakeOpenSslError("no PEM private key found"));
  ERR_clear_error();
  return key;
}

}  // namespace socketsvc
