// Error codes of the Omnis Web-command facade (omnis.h).
//
// Omnis Web commands return one Long Integer: a value >= 0, or an error code
// < 0. The codes below -500 .. -1021 are Omnis's own, from its "Web Command
// Error Codes Appendix" (text as documented). For socket errors that part of
// the appendix does not list, the facade follows the convention that
// -10035 (WinSock WSAEWOULDBLOCK, negated) implies on every platform: the
// negated WinSock number of the error (-10061 refused, -10054 reset, ...).
// docs/legacy.md ("Omnis") has the full table and which socketd outcome maps
// to which code. Thread-safe: pure functions and constants.
#ifndef SOCKETSVC_CLIENT_LEGACY_OMNIS_ERRORS_H_
#define SOCKETSVC_CLIENT_LEGACY_OMNIS_ERRORS_H_

#include <cstdint>

#include "absl/status/status.h"

namespace socketsvc::omnis {

// --- Documented Omnis codes (Web Command Error Codes Appendix) -------------
inline constexpr int32_t kErrBadSocket = -509;       // Bad socket passed to command
inline constexpr int32_t kErrNoAddress = -511;       // No address specified
inline constexpr int32_t kErrCancelled = -516;       // The end-user cancelled the request
inline constexpr int32_t kErrBadCloseOption = -517;  // Bad option passed to TCPClose
inline constexpr int32_t kErrTimeout = -522;        // Timeout while waiting for response or request
inline constexpr int32_t kErrBadResponse = -523;    // Badly formatted response from server
inline constexpr int32_t kErrShortResponse = -524;  // Response from server is too short
inline constexpr int32_t kErrResponseSyntax = -525;  // Response from server has incorrect syntax
inline constexpr int32_t kErrOutOfMemory = -1010;    // Out of memory
inline constexpr int32_t kErrPartialCloseSecure =
    -1018;  // Cannot request a partial closure of a secure connection
inline constexpr int32_t kErrSecure = -1021;       // SSL library error: see WebDevGetSecureError
inline constexpr int32_t kErrWouldBlock = -10035;  // WSAEWOULDBLOCK

// --- Negated WinSock numbers for the socket errors the appendix omits -------
inline constexpr int32_t kErrInterrupted = -10004;          // WSAEINTR
inline constexpr int32_t kErrAccessDenied = -10013;         // WSAEACCES
inline constexpr int32_t kErrInvalidArgument = -10022;      // WSAEINVAL
inline constexpr int32_t kErrTooManySockets = -10024;       // WSAEMFILE
inline constexpr int32_t kErrInProgress = -10036;           // WSAEINPROGRESS
inline constexpr int32_t kErrMessageSize = -10040;          // WSAEMSGSIZE
inline constexpr int32_t kErrAddressInUse = -10048;         // WSAEADDRINUSE
inline constexpr int32_t kErrAddressNotAvailable = -10049;  // WSAEADDRNOTAVAIL
inline constexpr int32_t kErrNetworkDown = -10050;          // WSAENETDOWN
inline constexpr int32_t kErrNetworkUnreachable = -10051;   // WSAENETUNREACH
inline constexpr int32_t kErrConnectionAborted = -10053;    // WSAECONNABORTED
inline constexpr int32_t kErrConnectionReset = -10054;      // WSAECONNRESET
inline constexpr int32_t kErrNoBuffers = -10055;            // WSAENOBUFS
inline constexpr int32_t kErrNotConnected = -10057;         // WSAENOTCONN
inline constexpr int32_t kErrShutdown = -10058;             // WSAESHUTDOWN
inline constexpr int32_t kErrTimedOut = -10060;             // WSAETIMEDOUT
inline constexpr int32_t kErrConnectionRefused = -10061;    // WSAECONNREFUSED
inline constexpr int32_t kErrHostUnreachable = -10065;      // WSAEHOSTUNREACH
inline constexpr int32_t kErrNotInitialised = -10093;       // WSANOTINITIALISED
inline constexpr int32_t kErrSystemCallFailure = -10107;    // WSASYSCALLFAILURE
inline constexpr int32_t kErrServiceNotFound = -10109;      // WSATYPE_NOT_FOUND
inline constexpr int32_t kErrHostNotFound = -11001;         // WSAHOST_NOT_FOUND
inline constexpr int32_t kErrNoData = -11004;               // WSANO_DATA

// The text of `code` (Omnis's wording for its own codes, WinSock's for the
// negated WinSock numbers); "Unknown error <code>" for anything else.
const char* ErrorText(int32_t code);

// What the failing command was doing: a few socketd outcomes map to
// different codes depending on it (see docs/legacy.md).
enum class Operation {
  kConnect,         // TCPConnect / HTTPOpen with a port number
  kConnectService,  // ... with a service name
  kListen,          // TCPBind (which opens the listener)
  kAccept,
  kSend,
  kSendAfterPartialClose,  // TCPSend / HTTPSend after TCPClose(…, 1)
  kReceive,
  kClose,
  kResolve,
  kInfo,
};

// The Omnis code for a failed socketsvc::Client call (`status` not OK).
int32_t ErrorCodeForStatus(const absl::Status& status, Operation operation);

// The negated WinSock number for a Linux errno (ECONNRESET -> -10054), or
// kErrSystemCallFailure when there is none.
int32_t ErrorCodeForErrno(int os_errno);

}  // namespace socketsvc::omnis

#endif  // SOCKETSVC_CLIENT_LEGACY_OMNIS_ERRORS_H_
