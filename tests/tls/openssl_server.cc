#include "tests/tls/openssl_server.h"

#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace socketsvc::tls {
namespace {

// No client sends it, so s_server logs every SNI and keeps its main context.
constexpr char kUnmatchedServerName[] = "sni-observer.invalid";

int CountOf(const std::string& text, std::string_view needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

// The rest of each line that starts with `prefix`, in order.
std::vector<std::string> LinesAfter(const std::string& text,
                                    std::string_view prefix) {
  std::vector<std::string> values;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) break;  // A line still being written.
    std::string_view line(text.data() + start, end - start);
    if (line.substr(0, prefix.size()) == prefix) {
      values.emplace_back(line.substr(prefix.size()));
    }
    start = end + 1;
  }
  return values;
}

// -msg logs an alert as
//   <<< TLS 1.3, Alert [length 0002], warning close_notify
// ("<<<" received, ">>>" sent); returns "warning close_notify".
std::vector<std::string> Alerts(const std::string& output,
                                std::string_view direction) {
  constexpr std::string_view kAlert = "Alert [length 0002], ";
  std::vector<std::string> alerts;
  for (const std::string& line : LinesAfter(output, direction)) {
    const size_t at = line.find(kAlert);
    if (at != std::string::npos)
      alerts.push_back(line.substr(at + kAlert.size()));
  }
  return alerts;
}

}  // namespace

absl::StatusOr<std::unique_ptr<OpenSslServer>> OpenSslServer::Start(
    Options options) {
  if (options.cert_path.empty() || options.key_path.empty()) {
    return absl::InvalidArgumentError("s_server needs cert_path and key_path");
  }
  const std::string openssl = FindProgram("openssl");
  if (openssl.empty()) return absl::NotFoundError("openssl not installed");
  std::vector<std::string> argv = {
      "stdbuf",      "-oL",
      openssl,       "s_server",
      "-accept",     HostPort(options.bind_address, 0),
      "-cert",       options.cert_path,
      "-key",        options.key_path,
      "-cert2",      options.cert_path,
      "-key2",       options.key_path,
      "-servername", kUnmatchedServerName,
      "-rev",        "-msg"};
  if (!options.ca_path.empty()) {
    argv.insert(argv.end(),
                {options.require_client_cert ? "-Verify" : "-verify", "1",
                 "-verify_return_error", "-CAfile", options.ca_path});
  }
  if (!options.alpn.empty()) {
    argv.insert(argv.end(), {"-alpn", absl::StrJoin(options.alpn, ",")});
  }
  argv.insert(argv.end(), options.extra_args.begin(), options.extra_args.end());

  auto process = Subprocess::Start(std::move(argv));
  if (!process.ok()) return process.status();
  std::unique_ptr<OpenSslServer> server(new OpenSslServer());
  server->process_ = *std::move(process);
  server->host_ = options.bind_address;

  // "ACCEPT 127.0.0.1:40123" or "ACCEPT [::1]:40123", printed once s_server
  // listens; a bad option or key makes it exit instead.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    std::vector<std::string> accept =
        LinesAfter(server->process_->Output(), "ACCEPT ");
    if (!accept.empty()) {
      const std::string& address = accept.front();
      int port = 0;
      if (!absl::SimpleAtoi(address.substr(address.rfind(':') + 1), &port) ||
          port <= 0 || port > 65535) {
        return absl::InternalError("s_server printed ACCEPT " + address);
      }
      server->port_ = static_cast<uint16_t>(port);
      return server;
    }
    if (!server->process_->Running()) break;
    server->process_->WaitForOutput("\n", std::chrono::milliseconds(20));
  }
  server->process_->Stop();
  return absl::InternalError(
      absl::StrCat("s_server did not start: ", server->process_->Output()));
}

std::vector<std::string> OpenSslServer::ObservedSnis() const {
  std::vector<std::string> names;
  // Logged as: Hostname in TLS extension: "localhost"
  for (std::string& quoted :
       LinesAfter(process_->Output(), "Hostname in TLS extension: ")) {
    if (quoted.size() >= 2 && quoted.front() == '"' && quoted.back() == '"') {
      names.push_back(quoted.substr(1, quoted.size() - 2));
    }
  }
  return names;
}

std::string OpenSslServer::ObservedSni(
    std::chrono::milliseconds timeout) const {
  process_->WaitForOutputMatching(
      [](const std::string& output) {
        return !LinesAfter(output, "Hostname in TLS extension: ").empty();
      },
      timeout);
  std::vector<std::string> names = ObservedSnis();
  return names.empty() ? "" : names.front();
}

bool OpenSslServer::SawSni(const std::string& name,
                           std::chrono::milliseconds timeout) const {
  // Written out exactly as it is logged (printable names are not escaped).
  return process_->WaitForOutput(
      absl::StrCat("Hostname in TLS extension: \"", name, "\"\n"), timeout);
}

std::vector<std::string> OpenSslServer::SelectedAlpn() const {
  return LinesAfter(process_->Output(), "ALPN protocols selected: ");
}

int OpenSslServer::handshakes() const {
  return CountOf(process_->Output(), "CONNECTION ESTABLISHED\n");
}

int OpenSslServer::handshake_failures() const {
  return CountOf(process_->Output(), "CONNECTION FAILURE\n");
}

int OpenSslServer::closes() const {
  return CountOf(process_->Output(), "CONNECTION CLOSED\n");
}

bool OpenSslServer::WaitForCount(const std::string& needle, int n,
                                 std::chrono::milliseconds timeout) const {
  return process_->WaitForOutputMatching(
      [&](const std::string& output) { return CountOf(output, needle) >= n; },
      timeout);
}

bool OpenSslServer::WaitForHandshakes(int n,
                                      std::chrono::milliseconds timeout) const {
  return WaitForCount("CONNECTION ESTABLISHED\n", n, timeout);
}

bool OpenSslServer::WaitForHandshakeFailures(
    int n, std::chrono::milliseconds timeout) const {
  return WaitForCount("CONNECTION FAILURE\n", n, timeout);
}

bool OpenSslServer::WaitForCloses(int n,
                                  std::chrono::milliseconds timeout) const {
  return WaitForCount("CONNECTION CLOSED\n", n, timeout);
}

std::vector<std::string> OpenSslServer::AlertsReceived() const {
  return Alerts(process_->Output(), "<<< ");
}

std::vector<std::string> OpenSslServer::AlertsSent() const {
  return Alerts(process_->Output(), ">>> ");
}

bool OpenSslServer::WaitForAlertReceived(
    const std::string& alert, int n, std::chrono::milliseconds timeout) const {
  return process_->WaitForOutputMatching(
      [&](const std::string& output) {
        int seen = 0;
        for (const std::string& a : Alerts(output, "<<< ")) seen += a == alert;
        return seen >= n;
      },
      timeout);
}

}  // namespace socketsvc::tls
