#include "service/tls/peer_certificate.h"

#include <openssl/bio.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <memory>

#include <boost/asio/ip/address.hpp>

namespace socketsvc {
namespace {

std::string NameText(const X509_NAME* name) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, length > 0 ? length : 0);
}

int64_t UnixTime(const ASN1_TIME* time) {
  std::tm tm{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) return 0;
  return static_cast<int64_t>(timegm(&tm));
}

std::string IpText(const ASN1_OCTET_STRING* ip) {
  const unsigned char* bytes = ASN1_STRING_get0_data(ip);
  const int length = ASN1_STRING_length(ip);
  if (length == 4) {
    boost::asio::ip::address_v4::bytes_type v4;
    std::copy(bytes, bytes + 4, v4.begin());
    return boost::asio::ip::address_v4(v4).to_string();
  }
  if (length == 16) {
    boost::asio::ip::address_v6::bytes_type v6;
    std::copy(bytes, bytes + 16, v6.begin());
    return boost::asio::ip::address_v6(v6).to_string();
  }
  return "?";
}

// An IA5String should be ASCII, but nothing makes a peer's certificate obey.
// Bytes outside printable ASCII, and backslashes, are written as \xNN: TlsInfo
// goes to the caller in proto3 strings, which must be UTF-8, or the whole
// answer (Connect's, StartTls's, GetInfo's) fails to decode there.
std::string Text(const ASN1_IA5STRING* text) {
  const unsigned char* data = ASN1_STRING_get0_data(text);
  const int length = ASN1_STRING_length(text);
  std::string out;
  for (int i = 0; i < length; ++i) {
    const unsigned char c = data[i];
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += {'\\', 'x', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

}  // namespace

std::string SubjectOf(X509& cert) { return NameText(X509_get_subject_name(&cert)); }

void DescribeCertificate(X509& cert, v1::TlsInfo& info) {
  info.set_peer_subject(SubjectOf(cert));
  info.set_peer_issuer(NameText(X509_get_issuer_name(&cert)));
  info.set_peer_not_before_unix(UnixTime(X509_get0_notBefore(&cert)));
  info.set_peer_not_after_unix(UnixTime(X509_get0_notAfter(&cert)));
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(&cert, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    switch (name->type) {
      case GEN_DNS:
        info.add_peer_sans("DNS:" + Text(name->d.dNSName));
        break;
      case GEN_IPADD:
        info.add_peer_sans("IP:" + IpText(name->d.iPAddress));
        break;
      case GEN_URI:
        info.add_peer_sans("URI:" + Text(name->d.uniformResourceIdentifier));
        break;
      case GEN_EMAIL:
        info.add_peer_sans("email:" + Text(name->d.rfc822Name));
        break;
      default:
        break;
    }
  }
  GENERAL_NAMES_free(names);
}

}  // namespace socketsvc
