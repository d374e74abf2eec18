#include "service/api/request_validation.h"

#include <algorithm>
#include <cstdint>
#include <boost/asio/ip/address.hpp>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/socket_error.h"
#include "service/sessions/handle.h"

namespace socketsvc {
namespace {

namespace asio = boost::asio;

// Longest DNS name; IPv6 literals with a zone are shorter.
constexpr size_t kMaxHostLength = 255;

}  // namespace

absl::Status InvalidRequest(absl::string_view message) {
  return SocketErrorStatus(absl::StatusCode::kInvalidArgument,
                           v1::SOCKET_ERROR_INVALID_REQUEST, message);
}

absl::Status ValidateHostName(absl::string_view host, absl::string_view field) {
  if (host.empty()) return InvalidRequest(absl::StrCat(field, " is required"));
  if (host.size() > kMaxHostLength || host.find('\0') != absl::string_view::npos) {
    return InvalidRequest(absl::StrCat(field, " is not a valid name or address"));
  }
  return absl::OkStatus();
}

absl::Status CheckHandleShape(absl::string_view handle, absl::string_view field,
                              bool listener) {
  if (handle.empty()) return InvalidRequest(absl::StrCat(field, " is required"));
  if (!IsWellFormedHandle(handle) || (listener && !IsListenerHandle(handle))) {
    return SocketErrorStatus(absl::StatusCode::kNotFound,
                             v1::SOCKET_ERROR_INVALID_HANDLE, "no such handle");
  }
  return absl::OkStatus();
}

absl::Status ValidateConnect(const v1::ConnectRequest& request) {
  absl::Status host = ValidateHostName(request.host(), "host");
  if (!host.ok()) return host;
  switch (request.target_case()) {
    case v1::ConnectRequest::kPort:
      if (request.port() == 0 || request.port() > 65535) {
        return InvalidRequest("port must be 1..65535");
      }
      break;
    case v1::ConnectRequest::kService:
      if (request.service().empty() || request.service().size() > 64 ||
          request.service().find('\0') != std::string::npos) {
        return InvalidRequest("service must be a service name such as \"http\"");
      }
      // getaddrinfo would wrap "99999" to another port: numbers go in `port`.
      if (std::all_of(request.service().begin(), request.service().end(),
                      absl::ascii_isdigit)) {
        return InvalidRequest("service is a number: set port instead");
      }
      break;
    default:
      return InvalidRequest("port or service is required");
  }
  if (request.has_timeout_ms() && request.timeout_ms() == 0) {
    return InvalidRequest(
        "Connect cannot finish without waiting: timeout_ms must be > 0 or -1");
  }
  return absl::OkStatus();
}

absl::Status ValidateSendSize(size_t bytes, uint32_t max_send_bytes) {
  if (bytes <= max_send_bytes) return absl::OkStatus();
  return SocketErrorStatus(absl::StatusCode::kResourceExhausted,
                           v1::SOCKET_ERROR_LIMIT_EXCEEDED,
                           absl::StrCat("data is ", bytes,
                                        " bytes; one Send takes at most ",
                                        max_send_bytes, " (--max_send_bytes)"));
}

absl::StatusOr<ReceiveSizes> ReceiveSizesFor(const v1::ReceiveRequest& request,
                                             uint32_t default_receive_bytes,
                                             uint32_t max_receive_bytes) {
  if (request.max_bytes() != 0 && request.min_bytes() > request.max_bytes()) {
    return InvalidRequest(absl::StrCat("min_bytes ", request.min_bytes(),
                                       " exceeds max_bytes ", request.max_bytes()));
  }
  ReceiveSizes sizes;
  // At least 1 even if the server's limits say 0: std::clamp below needs
  // lo <= hi, and a Receive of 0 bytes would never finish.
  sizes.max_bytes = std::max<uint32_t>(
      1, std::min(request.max_bytes() != 0
                      ? request.max_bytes()
                      : std::max(default_receive_bytes, request.min_bytes()),
                  max_receive_bytes));
  sizes.min_bytes = std::clamp<uint32_t>(request.min_bytes(), 1, sizes.max_bytes);
  return sizes;
}

absl::Status ValidateSendOffset(const v1::SendRequest& request) {
  if (!request.has_offset() ||
      request.offset() <= UINT64_MAX - request.data().size()) {
    return absl::OkStatus();
  }
  return InvalidRequest(absl::StrCat("offset ", request.offset(), " plus ",
                                     request.data().size(),
                                     " bytes of data is beyond 2^64"));
}

absl::Status ValidateReceiveOffset(const v1::ReceiveRequest& request) {
  if (request.peek() && request.has_offset()) {
    return InvalidRequest(
        "peek cannot be combined with offset: a peek consumes nothing (leave "
        "offset unset; the answer's offset says where its bytes start)");
  }
  return absl::OkStatus();
}

absl::Status ValidateListenerClose(const v1::CloseRequest& request) {
  if (!request.has_send_offset()) return absl::OkStatus();
  return InvalidRequest("send_offset applies to sockets; a listener has no byte stream");
}

absl::Status ValidateCloseMode(int mode) {
  if (v1::CloseMode_IsValid(mode)) return absl::OkStatus();
  return InvalidRequest(absl::StrCat(
      "mode ", mode, " is not one of COMPLETE, PARTIAL, ABORT, DISCARD"));
}

absl::StatusOr<asio::ip::tcp::endpoint> ListenEndpoint(
    const v1::ListenRequest& request) {
  if (request.port() > 65535) return InvalidRequest("port must be 0..65535");
  const std::string address =
      request.bind_address().empty() ? "127.0.0.1" : request.bind_address();
  boost::system::error_code ec;
  const asio::ip::address ip = asio::ip::make_address(address, ec);
  if (ec) {
    return InvalidRequest(absl::StrCat("bind_address '", address,
                                       "' is not an IPv4 or IPv6 address"));
  }
  return asio::ip::tcp::endpoint(ip, static_cast<uint16_t>(request.port()));
}

absl::StatusOr<asio::ip::tcp::endpoint> ServerEndpoint(
    const v1::ServerCreateRequest& request) {
  if (request.port() > 65535) return InvalidRequest("port must be 0..65535");
  // Empty means loopback. Any other literal is valid, also 0.0.0.0 and
  // ::; whether the caller may bind it is the listen policy's to say
  // (service/policy/, checked by the handler).
  std::string address =
      request.bind_address().empty() ? "127.0.0.1" : request.bind_address();
  if (address.size() > 2 && address.front() == '[' && address.back() == ']') {
    address = address.substr(1, address.size() - 2);
  }
  boost::system::error_code ec;
  const asio::ip::address ip = asio::ip::make_address(address, ec);
  if (ec) {
    return InvalidRequest(absl::StrCat("bind_address '", request.bind_address(),
                                       "' is not an IPv4 or IPv6 address"));
  }
  return asio::ip::tcp::endpoint(ip, static_cast<uint16_t>(request.port()));
}

}  // namespace socketsvc
