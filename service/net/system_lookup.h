// The blocking name lookups the Resolver's threads run, and the rules around
// them that need no lookup at all. Thread-safe: pure functions (getaddrinfo
// and getnameinfo are reentrant).
#ifndef SOCKETSVC_SERVICE_NET_SYSTEM_LOOKUP_H_
#define SOCKETSVC_SERVICE_NET_SYSTEM_LOOKUP_H_

#include <cstdint>
#include <string>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace socketsvc {

using Endpoints = std::vector<boost::asio::ip::tcp::endpoint>;

// getaddrinfo(host, service) without AI_ADDRCONFIG (on a host with only
// loopback it would hide every address): every TCP address, IPv6 and IPv4,
// deduplicated, in resolver order. `service` is a port number, a name from
// /etc/services, or "" (port 0). "localhost" is [::1, 127.0.0.1] (see
// IsLocalhostName). Errors: NXDOMAIN and no-data NOT_FOUND/HOST_NOT_FOUND,
// EAI_AGAIN UNAVAILABLE/HOST_NOT_FOUND, an unknown service INVALID_ARGUMENT/
// INVALID_REQUEST, EAI_SYSTEM by its errno; messages name the host
// ("resolve no-such.invalid: Name or service not known").
absl::StatusOr<Endpoints> SystemLookup(const std::string& host,
                                       const std::string& service);

// getnameinfo(address, NI_NAMEREQD): the address's name; errors as above.
absl::StatusOr<std::vector<std::string>> SystemReverseLookup(
    const boost::asio::ip::address& address);

// "localhost", "localhost." and names under ".localhost" mean the loopback
// host, [::1] and 127.0.0.1, whatever /etc/hosts says (RFC 6761 §6.3): many
// hosts list only one of them there, and a caller connecting to localhost
// should reach a listener on either.
bool IsLocalhostName(absl::string_view host);
Endpoints LoopbackEndpoints(uint16_t port);

// "[::1]" → "::1"; anything else unchanged.
std::string Unbracketed(const std::string& host);

// "" is port 0 and all digits are a number (kOutOfRange above 65535: getaddrinfo
// would wrap 99999 to another port); anything else is a service name (kNo).
enum class NumericPort { kYes, kNo, kOutOfRange };
NumericPort ParseNumericPort(const std::string& service, uint16_t* port);

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_NET_SYSTEM_LOOKUP_H_
