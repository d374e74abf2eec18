// A real nginx serving a directory over HTTPS (and optionally plain HTTP) on
// loopback, as the "real third-party web server" that TLS tests fetch from.
//
// nginx runs as the test's own child in the foreground, single-process
// (daemon off; master_process off), from a configuration written into a
// temporary directory that also holds its pid file, error log and every temp
// path, so it touches nothing under /etc, /var or /run and needs no service
// manager. The system's nginx service is never involved (install_deps.sh
// keeps it from starting). Access logging is off.
//
// nginx cannot be told to listen on port 0, so Start picks free ports and
// retries with new ones if one was taken in between.
//
// Thread-safety: const methods may be called from any thread; Start and the
// destructor belong to the test thread.
#ifndef SOCKETSVC_TESTS_TLS_NGINX_SERVER_H_
#define SOCKETSVC_TESTS_TLS_NGINX_SERVER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "tests/tls/subprocess.h"

namespace socketsvc::tls {

class NginxServer {
 public:
  struct Options {
    std::string cert_path;  // Required: ssl_certificate.
    std::string key_path;   // Required: ssl_certificate_key.
    // The directory served at "/". Empty: an empty directory inside the
    // server's temporary directory (see docroot()).
    std::string docroot;
    std::string bind_address = "127.0.0.1";  // Or "::1".
    bool plain_http = false;  // Also serve plain HTTP on http_port().
    bool http2 = false;       // Offer h2 over ALPN on the HTTPS port.
  };

  // Starts nginx and returns once its pid file names it and its ports
  // accept connections.
  static absl::StatusOr<std::unique_ptr<NginxServer>> Start(Options options);

  NginxServer(const NginxServer&) = delete;
  NginxServer& operator=(const NginxServer&) = delete;
  ~NginxServer();  // Stops nginx (SIGTERM: fast shutdown), then the files go.

  const std::string& host() const { return host_; }
  uint16_t https_port() const { return https_port_; }
  uint16_t http_port() const { return http_port_; }  // 0 without plain_http.
  const std::string& docroot() const { return docroot_; }

  // "https://127.0.0.1:PORT/<path>" (path without its leading '/').
  std::string HttpsUrl(const std::string& path) const;
  std::string HttpUrl(const std::string& path) const;

  // Writes docroot()/name holding Pattern(size). False on error.
  bool WritePatternFile(const std::string& name, size_t size) const;
  // The bytes WritePatternFile writes: peers::BulkSenderPeer::Pattern, the
  // same deterministic sequence the plain-TCP bulk peer sends.
  static std::string Pattern(size_t size);

  std::string ErrorLog() const;  // nginx's error log (level info).
  std::string Output() const { return process_->Output(); }

 private:
  NginxServer() = default;
  // One attempt with freshly picked ports; sets *port_taken when nginx
  // failed because a port was no longer free.
  absl::Status TryStart(const Options& options, bool* port_taken);

  TempDir dir_{"nginx"};
  std::unique_ptr<Subprocess> process_;
  std::string host_;
  std::string docroot_;
  uint16_t https_port_ = 0;
  uint16_t http_port_ = 0;
};

}  // namespace socketsvc::tls

#endif  // SOCKETSVC_TESTS_TLS_NGINX_SERVER_H_
