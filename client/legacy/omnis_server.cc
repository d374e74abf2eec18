// Omnis server-socket commands (TCPSocket, TCPBind, TCPListen, TCPAccept)
// and the address/name commands.
#include <arpa/inet.h>
#include <netdb.h>
#include <unistd.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "client/legacy/omnis.h"
#include "client/legacy/omnis_socket.h"

namespace socketsvc::omnis {
namespace {

bool IsIpv4Literal(absl::string_view text) {
  in_addr address;
  return inet_pton(AF_INET, std::string(text).c_str(), &address) == 1;
}

bool IsIpv6Literal(absl::string_view text) {
  in6_addr address;
  return inet_pton(AF_INET6, std::string(text).c_str(), &address) == 1;
}

// /etc/services lookup for TCPBind's service name; -1 if unknown.
int LocalServicePort(const std::string& name) {
  servent entry;
  servent* result = nullptr;
  char buffer[1024];
  if (getservbyname_r(name.c_str(), "tcp", &entry, buffer, sizeof(buffer), &result) != 0 ||
      result == nullptr) {
    return -1;
  }
  return ntohs(static_cast<uint16_t>(result->s_port));
}

}  // namespace

// TCPSocket: a table entry only; socketd sees nothing until TCPBind.
int32_t WebCommands::TCPSocket() {
  return AddSocket(std::make_shared<Socket>(Socket::Kind::kUnbound, "",
                                            /*blocking=*/true, /*secure=*/false));
}

// TCPBind → Listen{bind_address, port} (listening starts here, see docs).
int32_t WebCommands::TCPBind(int32_t number, ServiceOrPort service_or_port) {
  constexpr const char* kCommand = "TCPBind";
  std::shared_ptr<Socket> socket = FindSocket(number);
  if (socket == nullptr) return Result(kCommand, kErrBadSocket);
  int port = service_or_port.port().value_or(-1);
  if (service_or_port.service().has_value()) {
    port = LocalServicePort(*service_or_port.service());
    if (port < 0) return Result(kCommand, kErrServiceNotFound);
  }
  if (port < 0 || port > 65535) return Result(kCommand, kErrInvalidArgument);
  {
    absl::MutexLock lock(&socket->mu);
    if (socket->kind != Socket::Kind::kUnbound) return Result(kCommand, kErrInvalidArgument);
  }
  std::string bind_address;
  {
    absl::MutexLock lock(&mu_);
    bind_address = bind_address_;
  }
  absl::StatusOr<v1::ListenResponse> listening =
      client_.Listen(bind_address, static_cast<uint32_t>(port));
  if (!listening.ok()) return Fail(kCommand, listening.status(), Operation::kListen);
  bool bound = false;
  {
    absl::MutexLock lock(&socket->mu);
    if (socket->kind == Socket::Kind::kUnbound) {
      socket->kind = Socket::Kind::kBound;
      socket->handle = listening->listener();
      bound = true;
    }
  }
  if (!bound) {  // Another thread bound it meanwhile: keep theirs.
    client_.Close(listening->listener()).IgnoreError();
    return Result(kCommand, kErrInvalidArgument);
  }
  if (FindSocket(number) != socket) {  // Closed meanwhile: nobody's listener.
    client_.Close(listening->listener()).IgnoreError();
    return Result(kCommand, kErrBadSocket);
  }
  return 0;
}

int32_t WebCommands::TCPListen(int32_t number) {
  constexpr const char* kCommand = "TCPListen";
  std::shared_ptr<Socket> socket = FindSocket(number);
  if (socket == nullptr) return Result(kCommand, kErrBadSocket);
  absl::MutexLock lock(&socket->mu);
  switch (socket->kind) {
    case Socket::Kind::kUnbound:
      return Result(kCommand, kErrInvalidArgument);  // WinSock: not bound.
    case Socket::Kind::kConnection:
      return Result(kCommand, -10056);  // WSAEISCONN.
    case Socket::Kind::kBound:
    case Socket::Kind::kListening:
      socket->kind = Socket::Kind::kListening;
      return 0;
  }
  return Result(kCommand, kErrInvalidArgument);
}

// TCPAccept → Accept{timeout_ms: -1 blocking, 0 non-blocking}.
int32_t WebCommands::TCPAccept(int32_t number) {
  constexpr const char* kCommand = "TCPAccept";
  std::shared_ptr<Socket> socket = FindSocket(number);
  if (socket == nullptr) return Result(kCommand, kErrBadSocket);
  std::string listener;
  bool blocking = true;
  {
    absl::MutexLock lock(&socket->mu);
    if (socket->kind != Socket::Kind::kListening) {
      return Result(kCommand, kErrInvalidArgument);  // WinSock: listen not called.
    }
    listener = socket->handle;
    blocking = socket->blocking;
  }
  absl::StatusOr<v1::AcceptResponse> accepted = client_.Accept(listener, blocking ? -1 : 0);
  if (!accepted.ok()) return Fail(kCommand, accepted.status(), Operation::kAccept);
  if (accepted->timed_out()) return Result(kCommand, kErrWouldBlock);
  return AddSocket(std::make_shared<Socket>(Socket::Kind::kConnection, accepted->handle(), blocking,
                                            /*secure=*/false));
}

// TCPGetMyAddr → GetInfo.local_address; without a socket, Resolve(this
// host's name) and its first address of the family asked for.
std::string WebCommands::TCPGetMyAddr(int32_t number, bool ipv6) {
  constexpr const char* kCommand = "TCPGetMyAddr";
  if (number != 0) {
    std::shared_ptr<Socket> socket = FindSocket(number);
    if (socket == nullptr) return TextResult(kCommand, kErrBadSocket);
    std::string handle;
    {
      absl::MutexLock lock(&socket->mu);
      handle = socket->handle;
    }
    if (handle.empty()) return TextResult(kCommand, kErrInvalidArgument);
    absl::StatusOr<v1::SocketInfo> info = client_.GetInfo(handle);
    if (!info.ok()) return absl::StrCat(Fail(kCommand, info.status(), Operation::kInfo));
    return info->local_address();
  }
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) {
    return TextResult(kCommand, kErrSystemCallFailure);
  }
  return TCPName2Addr(name, ipv6);
}

int32_t WebCommands::TCPGetMyPort(int32_t number) {
  constexpr const char* kCommand = "TCPGetMyPort";
  std::shared_ptr<Socket> socket = FindSocket(number);
  if (socket == nullptr) return Result(kCommand, kErrBadSocket);
  std::string handle;
  {
    absl::MutexLock lock(&socket->mu);
    handle = socket->handle;
  }
  if (handle.empty()) return Result(kCommand, kErrInvalidArgument);  // Not bound.
  absl::StatusOr<v1::SocketInfo> info = client_.GetInfo(handle);
  if (!info.ok()) return Fail(kCommand, info.status(), Operation::kInfo);
  return static_cast<int32_t>(info->local_port());
}

std::string WebCommands::TCPGetRemoteAddr(int32_t number) {
  constexpr const char* kCommand = "TCPGetRemoteAddr";
  std::shared_ptr<Socket> socket = FindSocket(number);
  if (socket == nullptr) return TextResult(kCommand, kErrBadSocket);
  std::string handle;
  {
    absl::MutexLock lock(&socket->mu);
    if (socket->kind != Socket::Kind::kConnection) {
      return TextResult(kCommand, kErrNotConnected);
    }
    handle = socket->handle;
  }
  absl::StatusOr<v1::SocketInfo> info = client_.GetInfo(handle);
  if (!info.ok()) return absl::StrCat(Fail(kCommand, info.status(), Operation::kInfo));
  return info->remote_address();
}

// TCPAddr2Name → Resolve(address literal) → names[0].
std::string WebCommands::TCPAddr2Name(absl::string_view address) {
  constexpr const char* kCommand = "TCPAddr2Name";
  if (address.empty()) return TextResult(kCommand, kErrNoAddress);
  if (!IsIpv4Literal(address) && !IsIpv6Literal(address)) {
    return TextResult(kCommand, kErrInvalidArgument);
  }
  absl::StatusOr<v1::ResolveResponse> resolved = client_.Resolve(address, CommsTimeoutMs());
  if (!resolved.ok()) {
    return absl::StrCat(Fail(kCommand, resolved.status(), Operation::kResolve));
  }
  if (resolved->names().empty()) return TextResult(kCommand, kErrHostNotFound);
  return resolved->names(0);
}

// TCPName2Addr → Resolve(name) → first address of the family; a literal of
// that family answers itself.
std::string WebCommands::TCPName2Addr(absl::string_view hostname, bool ipv6) {
  constexpr const char* kCommand = "TCPName2Addr";
  if (hostname.empty()) return TextResult(kCommand, kErrNoAddress);
  if (ipv6 ? IsIpv6Literal(hostname) : IsIpv4Literal(hostname)) {
    return std::string(hostname);
  }
  if (ipv6 ? IsIpv4Literal(hostname) : IsIpv6Literal(hostname)) {
    return TextResult(kCommand, kErrNoData);
  }
  absl::StatusOr<v1::ResolveResponse> resolved = client_.Resolve(hostname, CommsTimeoutMs());
  if (!resolved.ok()) {
    return absl::StrCat(Fail(kCommand, resolved.status(), Operation::kResolve));
  }
  for (const std::string& address : resolved->addresses()) {
    if ((address.find(':') != std::string::npos) == ipv6) return address;
  }
  return TextResult(kCommand, kErrNoData);
}

}  // namespace socketsvc::omnis
