// TLS settings from callers and certificates from peers, as arbitrary bytes:
//   0: ConnectRequest  → TlsClientContext::NewSsl(tls, host): SNI and the
//                        verified name, ca_pem, client certificate and key,
//                        ALPN, minimum version
//   1: StartTlsRequest → NewSsl(tls, "peer.test")
//   2: ServerTls       → MakeServerTlsContext (ServerCreate's HTTPS settings)
//   3: a certificate (DER, or PEM) as a TLS peer could send it →
//      DescribeCertificate, whose TlsInfo goes to the caller in
//      ConnectResponse/StartTlsResponse/GetInfo and must stay decodable.
// Input: one byte picking the case (modulo 4), then the message or bytes.
#include <google/protobuf/stubs/logging.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/socket_error.h"
#include "service/http/http_tls.h"
#include "service/tls/openssl_util.h"
#include "service/tls/peer_certificate.h"
#include "service/tls/tls_client_context.h"
#include "socketsvc/v1/sockets.pb.h"
#include "tests/fuzz/fuzz_check.h"

namespace socketsvc {
namespace {

const TlsClientContext& ClientContext() {
  // An empty CA directory: lazily loaded, so ca_pem inputs do not parse
  // the system's whole CA file each time.
  static const TlsClientContext* context = [] {
    const std::filesystem::path dir =
        std::filesystem::temp_directory_path() / "socketsvc-fuzz-empty-ca-dir";
    std::filesystem::create_directories(dir);
    absl::StatusOr<TlsClientContext> created =
        TlsClientContext::Create(TlsTrustOptions{"", dir.string()});
    FUZZ_CHECK(created.ok());
    return new TlsClientContext(std::move(*created));
  }();
  return *context;
}

void CheckRefusal(const absl::Status& status) {
  if (status.ok()) return;
  FUZZ_CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  FUZZ_CHECK(GetSocketError(status) == v1::SOCKET_ERROR_INVALID_REQUEST);
}

void CheckNewSsl(const v1::TlsOptions& options, absl::string_view host) {
  absl::StatusOr<TlsClientSetup> setup = ClientContext().NewSsl(options, host);
  CheckRefusal(setup.status());
  if (setup.ok()) {
    FUZZ_CHECK(setup->ssl != nullptr);
    FUZZ_CHECK(!setup->server_name.empty() && setup->server_name.size() <= 255);
    FUZZ_CHECK(setup->server_name.find('\0') == std::string::npos);
    FUZZ_CHECK(setup->verify == !options.skip_verify());
  }
  // Nothing left behind for the next call on this thread.
  FUZZ_CHECK(ERR_peek_error() == 0);
}

// What the caller gets must decode on the caller's side: proto3 strings
// must be UTF-8, or the whole answer fails to parse there.
void CheckDescribed(X509& cert) {
  v1::TlsInfo info;
  DescribeCertificate(cert, info);
  v1::TlsInfo decoded;
  const bool decodes = decoded.ParseFromString(info.SerializeAsString());
  if (!decodes) std::fprintf(stderr, "TlsInfo: %s\n", info.ShortDebugString().c_str());
  FUZZ_CHECK(decodes);
  (void)SubjectOf(cert);
}

template <typename Message>
bool Parse(absl::string_view bytes, Message& message) {
  return message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

void FuzzOne(uint8_t which, absl::string_view bytes) {
  switch (which % 4) {
    case 0: {
      v1::ConnectRequest request;
      if (Parse(bytes, request)) CheckNewSsl(request.tls(), request.host());
      return;
    }
    case 1: {
      v1::StartTlsRequest request;
      if (Parse(bytes, request)) CheckNewSsl(request.tls(), "peer.test");
      return;
    }
    case 2: {
      v1::ServerTls tls;
      if (!Parse(bytes, tls)) return;
      CheckRefusal(MakeServerTlsContext(tls).status());
      FUZZ_CHECK(ERR_peek_error() == 0);
      return;
    }
    case 3: {
      const auto* der = reinterpret_cast<const unsigned char*>(bytes.data());
      UniqueX509 cert(d2i_X509(nullptr, &der, static_cast<long>(bytes.size())));
      if (cert) CheckDescribed(*cert);
      absl::StatusOr<std::vector<UniqueX509>> pem =
          ParseCertificates(bytes, "certificate");
      if (pem.ok()) {
        for (const UniqueX509& c : *pem) CheckDescribed(*c);
      }
      ERR_clear_error();
      return;
    }
  }
}

}  // namespace
}  // namespace socketsvc

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool quiet = [] {
    google::protobuf::SetLogHandler(nullptr);
    return true;
  }();
  (void)quiet;
  if (size < 1) return 0;
  socketsvc::FuzzOne(data[0], absl::string_view(reinterpret_cast<const char*>(data + 1),
                                                size - 1));
  return 0;
}
