#include "tests/tls/nginx_server.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "tests/peers/peers.h"

namespace socketsvc::tls {
namespace {

// A port-conflict race costs nginx 2.5 s of bind retries each time, so a
// few attempts are plenty.
constexpr int kStartAttempts = 4;

}  // namespace

absl::StatusOr<std::unique_ptr<NginxServer>> NginxServer::Start(
    Options options) {
  if (options.cert_path.empty() || options.key_path.empty()) {
    return absl::InvalidArgumentError("nginx needs cert_path and key_path");
  }
  if (FindProgram("nginx").empty()) {
    return absl::NotFoundError("nginx not installed (tools/install_deps.sh)");
  }
  std::unique_ptr<NginxServer> server(new NginxServer());
  server->host_ = options.bind_address;
  server->docroot_ = options.docroot;
  if (server->docroot_.empty()) {
    server->docroot_ = server->dir_.File("docroot");
    if (mkdir(server->docroot_.c_str(), 0755) != 0) {
      return absl::InternalError("cannot make " + server->docroot_);
    }
  }
  absl::Status status;
  for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
    bool port_taken = false;
    status = server->TryStart(options, &port_taken);
    if (status.ok()) return server;
    if (!port_taken) break;
  }
  return status;
}

NginxServer::~NginxServer() {
  if (process_ != nullptr) process_->Stop();
}

absl::Status NginxServer::TryStart(const Options& options, bool* port_taken) {
  https_port_ = PickFreePort(host_);
  http_port_ = 0;
  while (options.plain_http && (http_port_ == 0 || http_port_ == https_port_)) {
    http_port_ = PickFreePort(host_);
  }
  const std::string pid_file = dir_.File("nginx.pid");
  const std::string error_log = dir_.File("error.log");
  const std::string temp = dir_.path();
  unlink(pid_file.c_str());

  // `user` matters only to a root nginx, which would otherwise chown its
  // temp directories to "nobody"; anyone else gets a warning for it.
  std::string config = absl::StrCat(
      "daemon off;\n"
      "master_process off;\n"
      "worker_processes 1;\n",
      geteuid() == 0 ? "user root;\n" : "", "pid ", pid_file, ";\n",
      "lock_file ", dir_.File("nginx.lock"), ";\n", "error_log ", error_log,
      " info;\n",
      "events { worker_connections 256; }\n"
      "http {\n"
      "  access_log off;\n"
      "  client_body_temp_path ",
      temp, "/client_body;\n", "  proxy_temp_path ", temp, "/proxy;\n",
      "  fastcgi_temp_path ", temp, "/fastcgi;\n", "  uwsgi_temp_path ", temp,
      "/uwsgi;\n", "  scgi_temp_path ", temp, "/scgi;\n",
      "  types { }\n"
      "  default_type application/octet-stream;\n"
      "  sendfile on;\n"
      "  server {\n"
      "    listen ",
      HostPort(host_, https_port_), " ssl", options.http2 ? " http2" : "",
      ";\n");
  if (http_port_ != 0) {
    absl::StrAppend(&config, "    listen ", HostPort(host_, http_port_), ";\n");
  }
  absl::StrAppend(&config,
                  "    server_name localhost;\n"
                  "    ssl_certificate ",
                  options.cert_path, ";\n", "    ssl_certificate_key ",
                  options.key_path, ";\n", "    root ", docroot_, ";\n",
                  "  }\n"
                  "}\n");
  const std::string config_file = dir_.File("nginx.conf");
  if (!WriteFile(config_file, config)) {
    return absl::InternalError("cannot write " + config_file);
  }

  // -e: the error log nginx uses before it has read the configuration (the
  // compiled-in default would be under /var/log).
  auto process = Subprocess::Start(
      {"nginx", "-p", temp + "/", "-c", config_file, "-e", error_log});
  if (!process.ok()) return process.status();
  process_ = *std::move(process);

  // nginx writes its pid file after it has bound every listening socket; the
  // connects then prove the sockets are ours and accepting.
  const std::string pid = absl::StrCat(process_->pid());
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline && process_->Running()) {
    std::optional<std::string> written = ReadFile(pid_file);
    if (written.has_value() && absl::StripAsciiWhitespace(*written) == pid &&
        CanConnect(host_, https_port_) &&
        (http_port_ == 0 || CanConnect(host_, http_port_))) {
      return absl::OkStatus();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  process_->Stop();
  const std::string log = ErrorLog();
  *port_taken = log.find("Address already in use") != std::string::npos;
  return absl::InternalError(
      absl::StrCat("nginx did not start: ", process_->Output(),
                   "\nerror.log:\n", log, "\nnginx.conf:\n", config));
}

std::string NginxServer::HttpsUrl(const std::string& path) const {
  return absl::StrCat("https://", HostPort(host_, https_port_), "/",
                      absl::StripPrefix(path, "/"));
}

std::string NginxServer::HttpUrl(const std::string& path) const {
  return absl::StrCat("http://", HostPort(host_, http_port_), "/",
                      absl::StripPrefix(path, "/"));
}

bool NginxServer::WritePatternFile(const std::string& name, size_t size) const {
  return WriteFile(absl::StrCat(docroot_, "/", name), Pattern(size));
}

std::string NginxServer::Pattern(size_t size) {
  return peers::BulkSenderPeer::Pattern(size);
}

std::string NginxServer::ErrorLog() const {
  return ReadFile(dir_.File("error.log")).value_or("");
}

}  // namespace socketsvc::tls
