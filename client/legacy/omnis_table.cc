// WebCommands' socket table, result reporting and configuration, and the
// global (installed-instance) form of every command.
#include <algorithm>
#include <cstdlib>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/legacy/omnis.h"
#include "client/legacy/omnis_socket.h"

namespace socketsvc::omnis {
namespace {

// WebDevGetSecureError's text: Omnis keeps it per thread.
thread_local std::string secure_error_text;

bool AllDigits(absl::string_view text) {
  if (text.empty() || text.size() > 9) return false;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

ServiceOrPort::ServiceOrPort(absl::string_view service) {
  int port = 0;
  if (AllDigits(service) && absl::SimpleAtoi(service, &port)) {
    port_ = port;
  } else {
    service_ = std::string(service);
  }
}
ServiceOrPort::ServiceOrPort(const char* service)
    : ServiceOrPort(absl::string_view(service == nullptr ? "" : service)) {}
ServiceOrPort::ServiceOrPort(const std::string& service)
    : ServiceOrPort(absl::string_view(service)) {}

WebCommands::WebCommands(Client client) : client_(std::move(client)) {}

WebCommands::~WebCommands() {
  std::map<int32_t, std::shared_ptr<Socket>> sockets;
  {
    absl::MutexLock lock(&mu_);
    sockets.swap(sockets_);
  }
  CallOptions options;
  options.rpc_timeout = absl::Seconds(5);
  for (auto& [number, socket] : sockets) {
    std::string handle;
    {
      absl::MutexLock lock(&socket->mu);
      handle = socket->handle;
    }
    if (!handle.empty()) {
      client_.Close(handle, v1::CLOSE_MODE_ABORT, std::nullopt, options).IgnoreError();
    }
  }
}

int32_t WebCommands::AddSocket(std::shared_ptr<Socket> socket) {
  absl::MutexLock lock(&mu_);
  // Never 0 ("no socket", TCPGetMyAddr's default), and not reused until the
  // counter wraps: a stale number must not reach another thread's socket.
  int32_t number;
  do {
    number = next_number_;
    next_number_ = next_number_ == INT32_MAX ? 1 : next_number_ + 1;
  } while (sockets_.count(number) != 0);
  sockets_.emplace(number, std::move(socket));
  return number;
}

std::shared_ptr<WebCommands::Socket> WebCommands::FindSocket(int32_t number) const {
  absl::MutexLock lock(&mu_);
  auto it = sockets_.find(number);
  return it == sockets_.end() ? nullptr : it->second;
}

void WebCommands::RemoveSocket(int32_t number) {
  absl::MutexLock lock(&mu_);
  sockets_.erase(number);
}

int32_t WebCommands::Result(const char* command, int32_t code) {
  if (code >= 0) return code;
  ErrorProc errorproc;
  {
    absl::MutexLock lock(&mu_);
    errorproc = errorproc_;
  }
  if (errorproc) errorproc(command, code, ErrorText(code));
  return code;
}

std::string WebCommands::TextResult(const char* command, int32_t code) {
  return absl::StrCat(Result(command, code));
}

int32_t WebCommands::Fail(const char* command, const absl::Status& status, Operation operation) {
  const int32_t code = ErrorCodeForStatus(status, operation);
  if (code == kErrSecure) secure_error_text = std::string(status.message());
  return Result(command, code);
}

int64_t WebCommands::CommsTimeoutMs() const {
  absl::MutexLock lock(&mu_);
  return int64_t{commstimeout_s_} * 1000;
}

int32_t WebCommands::commstimeout() const {
  absl::MutexLock lock(&mu_);
  return commstimeout_s_;
}

std::string WebCommands::handle(int32_t number) const {
  std::shared_ptr<Socket> socket = FindSocket(number);
  if (socket == nullptr) return "";
  absl::MutexLock lock(&socket->mu);
  return socket->handle;
}

void WebCommands::set_bind_address(std::string address) {
  absl::MutexLock lock(&mu_);
  bind_address_ = std::move(address);
}

int32_t WebCommands::WebDevSetConfig(ErrorProc errorproc, std::optional<int32_t> commstimeout) {
  absl::MutexLock lock(&mu_);
  errorproc_ = std::move(errorproc);
  if (commstimeout.has_value()) {
    // Omnis: 0 → the default 60 s; negative → its magnitude.
    const int64_t seconds = std::llabs(int64_t{*commstimeout});
    commstimeout_s_ =
        seconds == 0 ? 60 : static_cast<int32_t>(std::min<int64_t>(seconds, INT32_MAX));
  }
  return 0;
}

std::string WebCommands::WebDevGetSecureError() { return secure_error_text; }

int32_t ResultCode(absl::string_view result) {
  int32_t code = 0;
  if (absl::StartsWith(result, "-") && absl::SimpleAtoi(result, &code) && code < 0) {
    return code;
  }
  return 0;
}

// --- Global commands ----------------------------------------------------------

namespace {

absl::Mutex installed_mu(absl::kConstInit);
std::shared_ptr<WebCommands>& InstalledLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(installed_mu) {
  static auto* installed = new std::shared_ptr<WebCommands>();
  return *installed;
}

std::shared_ptr<WebCommands> Installed() {
  absl::MutexLock lock(&installed_mu);
  return InstalledLocked();
}

const std::string& NotInitialisedText() {
  static const auto* text = new std::string(absl::StrCat(kErrNotInitialised));
  return *text;
}

}  // namespace

void Use(const Client& client) {
  auto commands = std::make_shared<WebCommands>(client);
  std::shared_ptr<WebCommands> previous;
  {
    absl::MutexLock lock(&installed_mu);
    previous = std::exchange(InstalledLocked(), std::move(commands));
  }
}

void StopUsing() {
  std::shared_ptr<WebCommands> previous;
  absl::MutexLock lock(&installed_mu);
  previous = std::exchange(InstalledLocked(), nullptr);
}

std::shared_ptr<WebCommands> UsedWebCommands() { return Installed(); }

// Each global command: the installed instance's method, or -10093.
#define SOCKETSVC_OMNIS_GLOBAL(call)                   \
  std::shared_ptr<WebCommands> commands = Installed(); \
  if (commands == nullptr) return kErrNotInitialised;  \
  return commands->call
#define SOCKETSVC_OMNIS_GLOBAL_TEXT(call)               \
  std::shared_ptr<WebCommands> commands = Installed();  \
  if (commands == nullptr) return NotInitialisedText(); \
  return commands->call

int32_t TCPConnect(absl::string_view hostname, ServiceOrPort service_or_port, bool secure,
                   bool verify) {
  SOCKETSVC_OMNIS_GLOBAL(TCPConnect(hostname, std::move(service_or_port), secure, verify));
}
int32_t TCPSocket() { SOCKETSVC_OMNIS_GLOBAL(TCPSocket()); }
int32_t TCPBind(int32_t socket, ServiceOrPort service_or_port) {
  SOCKETSVC_OMNIS_GLOBAL(TCPBind(socket, std::move(service_or_port)));
}
int32_t TCPListen(int32_t socket) { SOCKETSVC_OMNIS_GLOBAL(TCPListen(socket)); }
int32_t TCPAccept(int32_t socket) { SOCKETSVC_OMNIS_GLOBAL(TCPAccept(socket)); }
int32_t TCPSend(int32_t socket, absl::string_view buffer) {
  SOCKETSVC_OMNIS_GLOBAL(TCPSend(socket, buffer));
}
int32_t TCPReceive(int32_t socket, std::string& buffer, std::optional<int32_t> maxbytes) {
  SOCKETSVC_OMNIS_GLOBAL(TCPReceive(socket, buffer, maxbytes));
}
int32_t TCPBlock(int32_t socket, int32_t option) {
  SOCKETSVC_OMNIS_GLOBAL(TCPBlock(socket, option));
}
int32_t TCPClose(int32_t socket, int32_t option) {
  SOCKETSVC_OMNIS_GLOBAL(TCPClose(socket, option));
}
std::string TCPGetMyAddr(int32_t socket, bool ipv6) {
  SOCKETSVC_OMNIS_GLOBAL_TEXT(TCPGetMyAddr(socket, ipv6));
}
int32_t TCPGetMyPort(int32_t socket) { SOCKETSVC_OMNIS_GLOBAL(TCPGetMyPort(socket)); }
std::string TCPGetRemoteAddr(int32_t socket) {
  SOCKETSVC_OMNIS_GLOBAL_TEXT(TCPGetRemoteAddr(socket));
}
std::string TCPAddr2Name(absl::string_view address) {
  SOCKETSVC_OMNIS_GLOBAL_TEXT(TCPAddr2Name(address));
}
std::string TCPName2Addr(absl::string_view hostname, bool ipv6) {
  SOCKETSVC_OMNIS_GLOBAL_TEXT(TCPName2Addr(hostname, ipv6));
}
int32_t HTTPOpen(absl::string_view hostname, ServiceOrPort service_or_port, bool secure,
                 bool verify, bool useproxy) {
  SOCKETSVC_OMNIS_GLOBAL(HTTPOpen(hostname, std::move(service_or_port), secure, verify, useproxy));
}
int32_t HTTPSend(int32_t socket, absl::string_view buffer) {
  SOCKETSVC_OMNIS_GLOBAL(HTTPSend(socket, buffer));
}
int32_t HTTPRead(int32_t socket, std::string& buffer, int32_t type) {
  SOCKETSVC_OMNIS_GLOBAL(HTTPRead(socket, buffer, type));
}
int32_t HTTPClose(int32_t socket, int32_t option) {
  SOCKETSVC_OMNIS_GLOBAL(HTTPClose(socket, option));
}
int32_t WebDevSetConfig(ErrorProc errorproc, std::optional<int32_t> commstimeout) {
  SOCKETSVC_OMNIS_GLOBAL(WebDevSetConfig(std::move(errorproc), commstimeout));
}
std::string WebDevGetSecureError() {
  // Per thread, not per instance: answers even without an installed one.
  return secure_error_text;
}

#undef SOCKETSVC_OMNIS_GLOBAL
#undef SOCKETSVC_OMNIS_GLOBAL_TEXT

}  // namespace socketsvc::omnis
