// A throwaway certificate authority for TLS tests, driven through the
// `openssl` command-line tool so that the certificates are made the way an
// operator would make them, by code that shares nothing with socketd.
//
// Every CA lives in its own temporary directory (under $TEST_TMPDIR) and has
// its own EC P-256 key, so two instances are two unrelated trust roots: a
// certificate from one is "signed by an unknown CA" for a client that trusts
// only the other. Every certificate is issued with `openssl ca`, which, unlike
// `openssl x509 -req`, takes explicit -startdate/-enddate: that is how expired
// and not-yet-valid certificates are made, with real signatures.
//
// Issued files stay valid as long as the CertificateAuthority object lives.
// Not thread-safe: one test thread issues certificates.
#ifndef SOCKETSVC_TESTS_TLS_CERTIFICATE_AUTHORITY_H_
#define SOCKETSVC_TESTS_TLS_CERTIFICATE_AUTHORITY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/tls/subprocess.h"

namespace socketsvc::tls {

// One issued certificate: the PEM text and the file holding it.
struct IssuedCertificate {
  std::string cert_path;  // The leaf certificate alone, PEM.
  std::string key_path;   // Its private key, PEM (PKCS#8, not encrypted).
  std::string ca_path;    // The issuing CA's certificate, PEM.
  std::string cert_pem;
  std::string key_pem;
  std::string ca_pem;
};

// Where "now" lies in the certificate's validity period.
enum class Validity {
  kValid,        // notBefore = now, notAfter = now + 30 days.
  kExpired,      // notBefore = now - 30 days, notAfter = now - 1 day.
  kNotYetValid,  // notBefore = now + 1 day, notAfter = now + 30 days.
};

class CertificateAuthority {
 public:
  // Makes a CA key and a self-signed CA certificate (CA:TRUE, keyCertSign)
  // valid for ten years.
  static absl::StatusOr<std::unique_ptr<CertificateAuthority>> Create(
      const std::string& common_name = "socketsvc test CA");

  CertificateAuthority(const CertificateAuthority&) = delete;
  CertificateAuthority& operator=(const CertificateAuthority&) = delete;

  const std::string& common_name() const { return common_name_; }
  const std::string& cert_path() const { return cert_path_; }  // Trust anchor.
  const std::string& key_path() const { return key_path_; }
  const std::string& cert_pem() const { return cert_pem_; }
  const std::string& dir() const { return dir_.path(); }

  // A serverAuth certificate whose subjectAltName lists `dns_names` (DNS:)
  // and `ip_addresses` (IP:, v4 or v6); the subject CN is the first of them.
  absl::StatusOr<IssuedCertificate> IssueServerCert(
      const std::vector<std::string>& dns_names,
      const std::vector<std::string>& ip_addresses = {},
      Validity validity = Validity::kValid);
  // DNS:localhost, IP:127.0.0.1, IP:::1: what loopback tests connect to.
  absl::StatusOr<IssuedCertificate> IssueLocalhostServerCert(
      Validity validity = Validity::kValid);
  // A clientAuth certificate for mutual TLS: subject CN `common_name`,
  // subjectAltName `uris` (URI:, e.g. "spiffe://test/caller") and
  // `dns_names` (DNS:); both may be empty.
  absl::StatusOr<IssuedCertificate> IssueClientCert(
      const std::string& common_name, const std::vector<std::string>& uris = {},
      const std::vector<std::string>& dns_names = {},
      Validity validity = Validity::kValid);

  // A certificate for both ends of mutual TLS (serverAuth and clientAuth),
  // as socketd replicas present to each other: subjectAltName `dns_names`
  // and `ip_addresses`, subject CN the first of them.
  absl::StatusOr<IssuedCertificate> IssuePeerCert(
      const std::vector<std::string>& dns_names,
      const std::vector<std::string>& ip_addresses = {});

  // `openssl verify -CAfile cert_path() [-purpose purpose] cert_file`: exit
  // code 0 and "OK" when the chain holds; otherwise the output names the
  // reason ("certificate has expired", "unable to get local issuer
  // certificate", ...). `purpose` is e.g. "sslserver" or "sslclient".
  CommandResult Verify(const std::string& cert_file,
                       const std::string& purpose = "") const;

 private:
  struct Request {
    std::string common_name;
    std::vector<std::string> subject_alt_names;  // "DNS:x", "IP:y", "URI:z".
    std::string extended_key_usage;              // serverAuth / clientAuth.
    Validity validity = Validity::kValid;
  };

  explicit CertificateAuthority(std::string common_name);
  absl::Status Init();
  absl::StatusOr<IssuedCertificate> Issue(const Request& request);

  std::string common_name_;
  TempDir dir_;
  std::string cert_path_;
  std::string key_path_;
  std::string cert_pem_;
  std::string config_path_;  // The `openssl ca` configuration.
  int issued_ = 0;           // Numbers file names, which must not collide.
};

}  // namespace socketsvc::tls

#endif  // SOCKETSVC_TESTS_TLS_CERTIFICATE_AUTHORITY_H_
