#include "client/legacy/omnis_errors.h"

#include <cerrno>
#include <optional>

#include "common/socket_error.h"

namespace socketsvc::omnis {
namespace {

struct CodeText {
  int32_t code;
  const char* text;
};

// Omnis's appendix wording for its codes, WinSock's for the others.
constexpr CodeText kTexts[] = {
    {-501, "Incorrect parameter type"},
    {-502, "Error getting information about a parameter"},
    {-503, "Incorrect number of parameters"},
    {-506, "Unrecognised command"},
    {kErrBadSocket, "Bad socket passed to command"},
    {kErrNoAddress, "No address specified"},
    {kErrCancelled, "The end-user cancelled the request"},
    {kErrBadCloseOption, "Bad option passed to TCPClose"},
    {kErrTimeout, "Timeout while waiting for response or request"},
    {kErrBadResponse, "Badly formatted response from server"},
    {kErrShortResponse, "Response from server is too short"},
    {kErrResponseSyntax, "Response from server has incorrect syntax"},
    {kErrOutOfMemory, "Out of memory"},
    {-1014, "Attempt to perform secure operation on non-secure connection"},
    {-1015, "Attempt to make an already secure connection secure"},
    {kErrPartialCloseSecure, "Cannot request a partial closure of a secure connection"},
    {kErrSecure, "Secure connection error (see WebDevGetSecureError)"},
    {kErrInterrupted, "Interrupted function call (WSAEINTR)"},
    {kErrAccessDenied, "Permission denied (WSAEACCES)"},
    {kErrInvalidArgument, "Invalid argument (WSAEINVAL)"},
    {kErrTooManySockets, "Too many open sockets (WSAEMFILE)"},
    {kErrWouldBlock, "Resource temporarily unavailable (WSAEWOULDBLOCK)"},
    {kErrInProgress, "Operation now in progress (WSAEINPROGRESS)"},
    {-10037, "Operation already in progress (WSAEALREADY)"},
    {kErrMessageSize, "Message too long (WSAEMSGSIZE)"},
    {-10047, "Address family not supported by protocol family (WSAEAFNOSUPPORT)"},
    {kErrAddressInUse, "Address already in use (WSAEADDRINUSE)"},
    {kErrAddressNotAvailable, "Cannot assign requested address (WSAEADDRNOTAVAIL)"},
    {kErrNetworkDown, "Network is down (WSAENETDOWN)"},
    {kErrNetworkUnreachable, "Network is unreachable (WSAENETUNREACH)"},
    {-10052, "Network dropped connection on reset (WSAENETRESET)"},
    {kErrConnectionAborted, "Software caused connection abort (WSAECONNABORTED)"},
    {kErrConnectionReset, "Connection reset by peer (WSAECONNRESET)"},
    {kErrNoBuffers, "No buffer space available (WSAENOBUFS)"},
    {-10056, "Socket is already connected (WSAEISCONN)"},
    {kErrNotConnected, "Socket is not connected (WSAENOTCONN)"},
    {kErrShutdown, "Cannot send after socket shutdown (WSAESHUTDOWN)"},
    {kErrTimedOut, "Connection timed out (WSAETIMEDOUT)"},
    {kErrConnectionRefused, "Connection refused (WSAECONNREFUSED)"},
    {-10064, "Host is down (WSAEHOSTDOWN)"},
    {kErrHostUnreachable, "No route to host (WSAEHOSTUNREACH)"},
    {kErrNotInitialised, "Successful WSAStartup not yet performed (WSANOTINITIALISED)"},
    {kErrSystemCallFailure, "System call failure (WSASYSCALLFAILURE)"},
    {kErrServiceNotFound, "Class type not found (WSATYPE_NOT_FOUND)"},
    {kErrHostNotFound, "Host not found (WSAHOST_NOT_FOUND)"},
    {kErrNoData, "Valid name, no data record of requested type (WSANO_DATA)"},
};

// Errors gRPC itself reported (no socketd detail): socketd unreachable, the
// call's own deadline, cancellation, authentication.
int32_t ErrorCodeForGrpcCode(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kUnavailable:
      return kErrNetworkDown;
    case absl::StatusCode::kDeadlineExceeded:
      return kErrTimedOut;
    case absl::StatusCode::kCancelled:
      return kErrCancelled;
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
      return kErrAccessDenied;
    case absl::StatusCode::kResourceExhausted:
      return kErrNoBuffers;
    case absl::StatusCode::kInvalidArgument:
      return kErrInvalidArgument;
    case absl::StatusCode::kNotFound:
      return kErrBadSocket;
    default:
      return kErrSystemCallFailure;
  }
}

bool CreatesSocket(Operation operation) {
  return operation == Operation::kConnect || operation == Operation::kConnectService ||
         operation == Operation::kListen || operation == Operation::kAccept;
}

}  // namespace

const char* ErrorText(int32_t code) {
  for (const CodeText& entry : kTexts) {
    if (entry.code == code) return entry.text;
  }
  return "Unknown error";
}

int32_t ErrorCodeForErrno(int os_errno) {
  switch (os_errno) {
    case EINTR:
      return kErrInterrupted;
    case EACCES:
    case EPERM:
      return kErrAccessDenied;
    case EINVAL:
      return kErrInvalidArgument;
    case EMFILE:
    case ENFILE:
      return kErrTooManySockets;
    case EWOULDBLOCK:
      return kErrWouldBlock;
    case EINPROGRESS:
      return kErrInProgress;
    case EALREADY:
      return -10037;
    case EMSGSIZE:
      return kErrMessageSize;
    case EAFNOSUPPORT:
      return -10047;
    case EADDRINUSE:
      return kErrAddressInUse;
    case EADDRNOTAVAIL:
      return kErrAddressNotAvailable;
    case ENETDOWN:
      return kErrNetworkDown;
    case ENETUNREACH:
      return kErrNetworkUnreachable;
    case ENETRESET:
      return -10052;
    case ECONNABORTED:
      return kErrConnectionAborted;
    case ECONNRESET:
      return kErrConnectionReset;
    case ENOBUFS:
    case ENOMEM:
      return kErrNoBuffers;
    case EISCONN:
      return -10056;
    case ENOTCONN:
      return kErrNotConnected;
    case EPIPE:
    case ESHUTDOWN:
      return kErrShutdown;
    case ETIMEDOUT:
      return kErrTimedOut;
    case ECONNREFUSED:
      return kErrConnectionRefused;
    case EHOSTDOWN:
      return -10064;
    case EHOSTUNREACH:
      return kErrHostUnreachable;
    default:
      return kErrSystemCallFailure;
  }
}

int32_t ErrorCodeForStatus(const absl::Status& status, Operation operation) {
  if (status.ok()) return 0;
  const std::optional<v1::ErrorDetail> detail = GetErrorDetail(status);
  const int os_errno = detail.has_value() ? detail->os_errno() : 0;
  switch (GetSocketError(status)) {
    case v1::SOCKET_ERROR_INVALID_HANDLE:
      return kErrBadSocket;
    case v1::SOCKET_ERROR_CONNECTION_REFUSED:
      return kErrConnectionRefused;
    case v1::SOCKET_ERROR_HOST_NOT_FOUND:
      return kErrHostNotFound;
    case v1::SOCKET_ERROR_TIMED_OUT:
      return kErrTimedOut;
    case v1::SOCKET_ERROR_CONNECTION_RESET:
      return kErrConnectionReset;
    case v1::SOCKET_ERROR_BROKEN_PIPE:
      // Our own half-close is WinSock's "send after shutdown"; otherwise the
      // peer is gone, which WinSock's send() reports as a reset.
      return operation == Operation::kSendAfterPartialClose ? kErrShutdown : kErrConnectionReset;
    case v1::SOCKET_ERROR_NOT_CONNECTED:
      // A blocking call ended because another thread closed the socket.
      return kErrInterrupted;
    case v1::SOCKET_ERROR_HANDLE_BUSY:
      return kErrInProgress;
    case v1::SOCKET_ERROR_NETWORK_UNREACHABLE:
      return kErrNetworkUnreachable;
    case v1::SOCKET_ERROR_HOST_UNREACHABLE:
      return kErrHostUnreachable;
    case v1::SOCKET_ERROR_TLS_HANDSHAKE_FAILED:
    case v1::SOCKET_ERROR_CERT_VERIFY_FAILED:
    case v1::SOCKET_ERROR_TLS_PROTOCOL_ERROR:
      return kErrSecure;
    case v1::SOCKET_ERROR_POLICY_DENIED:
      return kErrAccessDenied;
    case v1::SOCKET_ERROR_LIMIT_EXCEEDED:
      if (CreatesSocket(operation)) return kErrTooManySockets;
      return operation == Operation::kSend ? kErrMessageSize : kErrNoBuffers;
    case v1::SOCKET_ERROR_INVALID_REQUEST:
      return operation == Operation::kConnectService ? kErrServiceNotFound : kErrInvalidArgument;
    case v1::SOCKET_ERROR_ADDRESS_IN_USE:
      return kErrAddressInUse;
    case v1::SOCKET_ERROR_CANCELLED:
      return kErrCancelled;
    case v1::SOCKET_ERROR_SHUTTING_DOWN:
      return kErrNetworkDown;
    case v1::SOCKET_ERROR_INTERNAL_ERROR:
      return os_errno != 0 ? ErrorCodeForErrno(os_errno) : kErrSystemCallFailure;
    case v1::SOCKET_ERROR_UNSPECIFIED:
      return ErrorCodeForGrpcCode(status.code());
    default:  // Values added after this facade was written.
      return os_errno != 0 ? ErrorCodeForErrno(os_errno) : ErrorCodeForGrpcCode(status.code());
  }
}

}  // namespace socketsvc::omnis
