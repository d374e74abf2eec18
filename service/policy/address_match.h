// Matching of the parts a policy rule names: address prefixes (Cidr), host
// name suffixes, and socketd's own endpoints. Pure functions and value
// types; thread-compatible.
#ifndef SOCKETSVC_SERVICE_POLICY_ADDRESS_MATCH_H_
#define SOCKETSVC_SERVICE_POLICY_ADDRESS_MATCH_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace socketsvc {

// `address`, or the IPv4 address an IPv4-mapped IPv6 address (::ffff:a.b.c.d)
// carries: packets to the mapped form go out as IPv4, so policy judges them
// as IPv4.
boost::asio::ip::address CanonicalAddress(
    const boost::asio::ip::address& address);

// An IPv4 or IPv6 prefix.
class Cidr {
 public:
  // "10.0.0.0/8", "fe80::/10", or a bare address (/32 or /128). Bits below
  // the prefix must be 0. An IPv4-mapped prefix of /96 or longer
  // ("::ffff:169.254.0.0/112") becomes the IPv4 prefix it covers.
  static absl::StatusOr<Cidr> Parse(absl::string_view text);

  // Whether the canonical form of `address` lies in the prefix.
  bool Contains(const boost::asio::ip::address& address) const;

  // "10.0.0.0/8".
  std::string ToString() const;

 private:
  Cidr() = default;

  bool v4_ = false;
  std::array<unsigned char, 16> bytes_{};  // First 4 used for IPv4.
  int prefix_ = 0;
};

// Whether Connect's `host`, as the caller gave it, is `suffix` or a name
// under it, case-insensitively and at a dot boundary ("api.example.com" is
// under "example.com", "evil-example.com" is not). A `suffix` starting with
// "." matches names under it only. A host that is an address literal
// ("10.0.0.1", "[::1]") is under no suffix. `suffix` is lowercase (as
// Policy::Parse stores it); `host` may have any case and a trailing dot.
bool HostMatchesSuffix(absl::string_view host, absl::string_view suffix);

// socketd's own listening endpoints. Thread-compatible; held const inside a
// Policy.
struct SelfEndpoints {
  // socketd's gRPC port(s).
  std::vector<uint16_t> ports;
  // This host's interface addresses (canonical), besides loopback and the
  // unspecified addresses, which always count as local.
  std::vector<boost::asio::ip::address> local_addresses;

  // A connect to `endpoint` would reach socketd itself.
  bool IsSelf(const boost::asio::ip::tcp::endpoint& endpoint) const;
  bool IsOwnPort(uint16_t port) const;

  // The addresses of this host's interfaces (getifaddrs), canonical; empty
  // if they cannot be read.
  static std::vector<boost::asio::ip::address> InterfaceAddresses();
};

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_POLICY_ADDRESS_MATCH_H_
