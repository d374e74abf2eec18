#include "tests/tls/certificate_authority.h"

#include <sys/stat.h>

#include <cctype>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace socketsvc::tls {
namespace {

// Runs `openssl args...`; the error carries the command and its output,
// which is the only useful diagnosis when a certificate cannot be made.
absl::Status RunOpenSsl(std::vector<std::string> args) {
  args.insert(args.begin(), "openssl");
  const std::string command = absl::StrJoin(args, " ");
  CommandResult result = RunCommand(std::move(args));
  if (result.ok()) return absl::OkStatus();
  return absl::InternalError(
      absl::StrCat(command, " exited ", result.exit_code, ": ", result.output));
}

absl::StatusOr<std::string> ReadPem(const std::string& path) {
  std::optional<std::string> pem = ReadFile(path);
  if (!pem.has_value() || pem->empty()) {
    return absl::InternalError(absl::StrCat("cannot read ", path));
  }
  return *std::move(pem);
}

// `openssl ca` takes dates as GeneralizedTime strings.
std::string CertTime(absl::Time t) {
  return absl::FormatTime("%Y%m%d%H%M%SZ", t, absl::UTCTimeZone());
}

// A file-name-safe rendering of a subject name.
std::string Label(const std::string& name) {
  std::string label;
  for (char c : name) {
    label +=
        (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-')
            ? c
            : '_';
  }
  return label.substr(0, 40);
}

// A minimal `openssl req` configuration: prompt = no takes the subject from
// [dn], and our own file keeps the system's openssl.cnf (and whatever
// default extensions it adds) out of the certificates.
std::string ReqConfig(const std::string& common_name,
                      const std::string& x509_extensions) {
  std::string config = absl::StrCat(
      "[req]\n"
      "distinguished_name = dn\n"
      "prompt = no\n",
      x509_extensions.empty()
          ? ""
          : absl::StrCat("x509_extensions = ", x509_extensions, "\n"),
      "[dn]\n"
      "CN = ",
      common_name,
      "\n"
      "[ca_ext]\n"
      "basicConstraints = critical, CA:TRUE\n"
      "keyUsage = critical, keyCertSign, cRLSign\n"
      "subjectKeyIdentifier = hash\n");
  return config;
}

constexpr const char* kNewKey[] = {"-newkey", "ec", "-pkeyopt",
                                   "ec_paramgen_curve:prime256v1", "-noenc"};

}  // namespace

CertificateAuthority::CertificateAuthority(std::string common_name)
    : common_name_(std::move(common_name)), dir_("ca") {}

absl::StatusOr<std::unique_ptr<CertificateAuthority>>
CertificateAuthority::Create(const std::string& common_name) {
  std::unique_ptr<CertificateAuthority> ca(
      new CertificateAuthority(common_name));
  absl::Status status = ca->Init();
  if (!status.ok()) return status;
  return ca;
}

absl::Status CertificateAuthority::Init() {
  cert_path_ = dir_.File("ca.pem");
  key_path_ = dir_.File("ca.key");
  const std::string req_config = dir_.File("ca_req.cnf");
  if (!WriteFile(req_config, ReqConfig(common_name_, "ca_ext"))) {
    return absl::InternalError("cannot write " + req_config);
  }
  std::vector<std::string> args = {"req", "-x509", "-new", "-config",
                                   req_config};
  args.insert(args.end(), std::begin(kNewKey), std::end(kNewKey));
  args.insert(args.end(), {"-keyout", key_path_, "-out", cert_path_, "-days",
                           "3650", "-sha256"});
  absl::Status status = RunOpenSsl(std::move(args));
  if (!status.ok()) return status;
  absl::StatusOr<std::string> pem = ReadPem(cert_path_);
  if (!pem.ok()) return pem.status();
  cert_pem_ = *std::move(pem);

  // `openssl ca` keeps a database of what it issued; unique_subject = no lets
  // a test issue several certificates for the same name, and policy_any
  // copies only the CN from the request.
  const std::string database = dir_.File("index.txt");
  const std::string issued_dir = dir_.File("issued");
  config_path_ = dir_.File("ca.cnf");
  const std::string config = absl::StrCat(
      "[ca]\n"
      "default_ca = test_ca\n"
      "[test_ca]\n"
      "database = ",
      database, "\n", "new_certs_dir = ", issued_dir, "\n",
      "certificate = ", cert_path_, "\n", "private_key = ", key_path_, "\n",
      "serial = ", dir_.File("serial"), "\n",
      "default_md = sha256\n"
      "default_days = 30\n"
      "policy = policy_any\n"
      "unique_subject = no\n"
      "email_in_dn = no\n"
      "copy_extensions = none\n"
      "[policy_any]\n"
      "commonName = supplied\n");
  if (!WriteFile(config_path_, config) || !WriteFile(database, "") ||
      !WriteFile(dir_.File("serial"), "1000\n") ||
      !WriteFile(dir_.File("index.txt.attr"), "unique_subject = no\n")) {
    return absl::InternalError("cannot write the CA files in " + dir_.path());
  }
  if (mkdir(issued_dir.c_str(), 0700) != 0) {
    return absl::InternalError("cannot make " + issued_dir);
  }
  return absl::OkStatus();
}

absl::StatusOr<IssuedCertificate> CertificateAuthority::IssueServerCert(
    const std::vector<std::string>& dns_names,
    const std::vector<std::string>& ip_addresses, Validity validity) {
  Request request;
  for (const std::string& name : dns_names) {
    request.subject_alt_names.push_back("DNS:" + name);
  }
  for (const std::string& ip : ip_addresses) {
    request.subject_alt_names.push_back("IP:" + ip);
  }
  if (request.subject_alt_names.empty()) {
    return absl::InvalidArgumentError("a server certificate needs a name");
  }
  request.common_name =
      dns_names.empty() ? ip_addresses.front() : dns_names.front();
  request.extended_key_usage = "serverAuth";
  request.validity = validity;
  return Issue(request);
}

absl::StatusOr<IssuedCertificate>
CertificateAuthority::IssueLocalhostServerCert(Validity validity) {
  return IssueServerCert({"localhost"}, {"127.0.0.1", "::1"}, validity);
}

absl::StatusOr<IssuedCertificate> CertificateAuthority::IssuePeerCert(
    const std::vector<std::string>& dns_names,
    const std::vector<std::string>& ip_addresses) {
  if (dns_names.empty() && ip_addresses.empty()) {
    return absl::InvalidArgumentError("a peer certificate needs a name");
  }
  Request request;
  for (const std::string& name : dns_names) {
    request.subject_alt_names.push_back("DNS:" + name);
  }
  for (const std::string& ip : ip_addresses) {
    request.subject_alt_names.push_back("IP:" + ip);
  }
  request.common_name =
      dns_names.empty() ? ip_addresses.front() : dns_names.front();
  request.extended_key_usage = "serverAuth, clientAuth";
  return Issue(request);
}

absl::StatusOr<IssuedCertificate> CertificateAuthority::IssueClientCert(
    const std::string& common_name, const std::vector<std::string>& uris,
    const std::vector<std::string>& dns_names, Validity validity) {
  Request request;
  request.common_name = common_name;
  for (const std::string& uri : uris) {
    request.subject_alt_names.push_back("URI:" + uri);
  }
  for (const std::string& name : dns_names) {
    request.subject_alt_names.push_back("DNS:" + name);
  }
  request.extended_key_usage = "clientAuth";
  request.validity = validity;
  return Issue(request);
}

absl::StatusOr<IssuedCertificate> CertificateAuthority::Issue(
    const Request& request) {
  const std::string base =
      dir_.File(absl::StrCat(++issued_, "-", Label(request.common_name)));
  const std::string req_config = base + ".req.cnf";
  const std::string csr = base + ".csr";
  const std::string ext_config = base + ".ext.cnf";
  IssuedCertificate issued;
  issued.cert_path = base + ".pem";
  issued.key_path = base + ".key";
  issued.ca_path = cert_path_;

  // The extensions come from our file alone (copy_extensions = none), so the
  // certificate says exactly what the test asked for.
  std::string extensions = absl::StrCat(
      "[leaf]\n"
      "basicConstraints = critical, CA:FALSE\n"
      "keyUsage = critical, digitalSignature\n"
      "extendedKeyUsage = ",
      request.extended_key_usage, "\n",
      "subjectKeyIdentifier = hash\n"
      "authorityKeyIdentifier = keyid\n");
  if (!request.subject_alt_names.empty()) {
    absl::StrAppend(&extensions, "subjectAltName = ",
                    absl::StrJoin(request.subject_alt_names, ", "), "\n");
  }
  if (!WriteFile(req_config, ReqConfig(request.common_name, "")) ||
      !WriteFile(ext_config, extensions)) {
    return absl::InternalError("cannot write the request files at " + base);
  }

  std::vector<std::string> req = {"req", "-new", "-config", req_config};
  req.insert(req.end(), std::begin(kNewKey), std::end(kNewKey));
  req.insert(req.end(), {"-keyout", issued.key_path, "-out", csr});
  absl::Status status = RunOpenSsl(std::move(req));
  if (!status.ok()) return status;

  const absl::Time now = absl::Now();
  std::vector<std::string> sign = {
      "ca",         "-batch",   "-notext",     "-rand_serial", "-config",
      config_path_, "-in",      csr,           "-out",         issued.cert_path,
      "-extfile",   ext_config, "-extensions", "leaf"};
  switch (request.validity) {
    case Validity::kValid:
      break;  // default_days from now.
    case Validity::kExpired:
      sign.insert(sign.end(),
                  {"-startdate", CertTime(now - absl::Hours(24 * 30)),
                   "-enddate", CertTime(now - absl::Hours(24))});
      break;
    case Validity::kNotYetValid:
      sign.insert(sign.end(),
                  {"-startdate", CertTime(now + absl::Hours(24)), "-enddate",
                   CertTime(now + absl::Hours(24 * 30))});
      break;
  }
  status = RunOpenSsl(std::move(sign));
  if (!status.ok()) return status;

  absl::StatusOr<std::string> cert = ReadPem(issued.cert_path);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadPem(issued.key_path);
  if (!key.ok()) return key.status();
  issued.cert_pem = *std::move(cert);
  issued.key_pem = *std::move(key);
  issued.ca_pem = cert_pem_;
  return issued;
}

CommandResult CertificateAuthority::Verify(const std::string& cert_file,
                                           const std::string& purpose) const {
  std::vector<std::string> args = {"openssl", "verify", "-CAfile", cert_path_};
  if (!purpose.empty()) args.insert(args.end(), {"-purpose", purpose});
  args.push_back(cert_file);
  return RunCommand(std::move(args));
}

}  // namespace socketsvc::tls
