#include "service/net/system_lookup.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/socket_error.h"

namespace socketsvc {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

absl::Status AddrInfoStatus(int rc, int saved_errno, absl::string_view what,
                            absl::string_view service) {
  using Code = absl::StatusCode;
  const std::string message = absl::StrCat(what, ": ", gai_strerror(rc));
  switch (rc) {
    case EAI_NONAME:
    case EAI_NODATA:
    case EAI_ADDRFAMILY:
    case EAI_FAIL:  // Non-recoverable: asking again will not help.
      return SocketErrorStatus(Code::kNotFound, v1::SOCKET_ERROR_HOST_NOT_FOUND,
                               message);
    case EAI_AGAIN:  // No answer from the name server: may work later.
      return SocketErrorStatus(Code::kUnavailable,
                               v1::SOCKET_ERROR_HOST_NOT_FOUND, message);
    case EAI_SERVICE:
      return SocketErrorStatus(
          Code::kInvalidArgument, v1::SOCKET_ERROR_INVALID_REQUEST,
          absl::StrCat("resolve service '", service, "': ", gai_strerror(rc)));
    case EAI_SYSTEM:
      return ErrnoStatus(saved_errno, what);
    case EAI_MEMORY:
      return SocketErrorStatus(Code::kResourceExhausted,
                               v1::SOCKET_ERROR_LIMIT_EXCEEDED, message);
    default:
      return SocketErrorStatus(Code::kInternal, v1::SOCKET_ERROR_INTERNAL_ERROR,
                               message);
  }
}

}  // namespace

bool IsLocalhostName(absl::string_view host) {
  const std::string name = absl::AsciiStrToLower(absl::StripSuffix(host, "."));
  return name == "localhost" || absl::EndsWith(name, ".localhost");
}

std::string Unbracketed(const std::string& host) {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    boost::system::error_code ec;
    asio::ip::make_address_v6(host.substr(1, host.size() - 2), ec);
    if (!ec) return host.substr(1, host.size() - 2);
  }
  return host;
}

NumericPort ParseNumericPort(const std::string& service, uint16_t* port) {
  if (service.empty()) {
    *port = 0;
    return NumericPort::kYes;
  }
  if (!std::all_of(service.begin(), service.end(), absl::ascii_isdigit)) {
    return NumericPort::kNo;
  }
  uint32_t value = 0;
  if (!absl::SimpleAtoi(service, &value) || value > 65535) {
    return NumericPort::kOutOfRange;
  }
  *port = static_cast<uint16_t>(value);
  return NumericPort::kYes;
}

Endpoints LoopbackEndpoints(uint16_t port) {
  return {tcp::endpoint(asio::ip::address_v6::loopback(), port),
          tcp::endpoint(asio::ip::address_v4::loopback(), port)};
}

namespace {

// The port of a service name from /etc/services (blocking: reads files).
absl::StatusOr<uint16_t> ServicePort(const std::string& service) {
  uint16_t port = 0;
  if (ParseNumericPort(service, &port) == NumericPort::kYes) return port;
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST;
  addrinfo* result = nullptr;
  const int rc = getaddrinfo("127.0.0.1", service.c_str(), &hints, &result);
  const int saved_errno = errno;
  if (rc != 0) {
    return AddrInfoStatus(rc, saved_errno, "resolve localhost", service);
  }
  port = ntohs(reinterpret_cast<const sockaddr_in*>(result->ai_addr)->sin_port);
  freeaddrinfo(result);
  return port;
}

}  // namespace

absl::StatusOr<Endpoints> SystemLookup(const std::string& host,
                                       const std::string& service) {
  if (IsLocalhostName(host)) {
    absl::StatusOr<uint16_t> port = ServicePort(service);
    if (!port.ok()) return port.status();
    return LoopbackEndpoints(*port);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  // No AI_ADDRCONFIG: on a host with only loopback it hides every address.
  hints.ai_flags = 0;
  addrinfo* result = nullptr;
  const int rc =
      getaddrinfo(host.c_str(), service.empty() ? nullptr : service.c_str(),
                  &hints, &result);
  const int saved_errno = errno;
  if (rc != 0) {
    return AddrInfoStatus(rc, saved_errno, absl::StrCat("resolve ", host),
                          service);
  }
  Endpoints endpoints;
  for (const addrinfo* ai = result; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
    tcp::endpoint endpoint;
    endpoint.resize(ai->ai_addrlen);
    std::memcpy(endpoint.data(), ai->ai_addr, ai->ai_addrlen);
    if (std::find(endpoints.begin(), endpoints.end(), endpoint) ==
        endpoints.end()) {
      endpoints.push_back(endpoint);
    }
  }
  freeaddrinfo(result);
  if (endpoints.empty()) {
    return SocketErrorStatus(absl::StatusCode::kNotFound,
                             v1::SOCKET_ERROR_HOST_NOT_FOUND,
                             absl::StrCat("resolve ", host, ": no address"));
  }
  return endpoints;
}

absl::StatusOr<std::vector<std::string>> SystemReverseLookup(
    const asio::ip::address& address) {
  const tcp::endpoint endpoint(address, 0);
  char name[NI_MAXHOST];
  const int rc = getnameinfo(endpoint.data(),
                             static_cast<socklen_t>(endpoint.size()), name,
                             sizeof(name), nullptr, 0, NI_NAMEREQD);
  const int saved_errno = errno;
  if (rc != 0) {
    return AddrInfoStatus(rc, saved_errno,
                          absl::StrCat("reverse ", address.to_string()), "");
  }
  return std::vector<std::string>{name};
}

}  // namespace socketsvc
