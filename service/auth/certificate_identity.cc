#include "service/auth/certificate_identity.h"

#include <grpc/grpc_security_constants.h>

namespace socketsvc {

std::string CertificateIdentity(const grpc::AuthContext& auth) {
  for (const char* property :
       {GRPC_PEER_URI_PROPERTY_NAME, GRPC_PEER_DNS_PROPERTY_NAME,
        GRPC_X509_CN_PROPERTY_NAME}) {
    const std::vector<grpc::string_ref> values =
        auth.FindPropertyValues(property);
    for (const grpc::string_ref& value : values) {
      if (!value.empty()) return std::string(value.data(), value.size());
    }
  }
  return "";
}

}  // namespace socketsvc
