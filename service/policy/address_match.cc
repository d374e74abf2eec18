// Address and host-name matching for policy rules (see address_match.h).
#include "service/policy/address_match.h"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace socketsvc {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

bool IsLoopbackOrUnspecified(const asio::ip::address& canonical) {
  return canonical.is_loopback() || canonical.is_unspecified();
}

std::array<unsigned char, 16> Bytes(const asio::ip::address& address) {
  std::array<unsigned char, 16> bytes{};
  if (address.is_v4()) {
    const asio::ip::address_v4::bytes_type v4 = address.to_v4().to_bytes();
    std::copy(v4.begin(), v4.end(), bytes.begin());
  } else {
    bytes = address.to_v6().to_bytes();
  }
  return bytes;
}

// Whether the first `bits` bits of `a` and `b` are equal.
bool PrefixEqual(const std::array<unsigned char, 16>& a,
                 const std::array<unsigned char, 16>& b, int bits) {
  int i = 0;
  for (; bits >= 8; bits -= 8, ++i) {
    if (a[i] != b[i]) return false;
  }
  if (bits == 0) return true;
  const unsigned char mask = static_cast<unsigned char>(0xff << (8 - bits));
  return (a[i] & mask) == (b[i] & mask);
}

// The host as a name to compare with suffixes: lowercase, without one
// trailing dot; empty if it is an address literal. A last label starting with
// a digit ("127.1", "0x7f.1") is no name either: getaddrinfo reads such hosts
// as IPv4 numbers, and no top-level domain starts with a digit.
std::string HostName(absl::string_view host) {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') return "";
  boost::system::error_code ec;
  asio::ip::make_address(std::string(host), ec);
  if (!ec) return "";
  std::string name = absl::AsciiStrToLower(host);
  if (!name.empty() && name.back() == '.') name.pop_back();
  const size_t dot = name.rfind('.');
  const absl::string_view last = dot == std::string::npos
                                     ? absl::string_view(name)
                                     : absl::string_view(name).substr(dot + 1);
  if (last.empty() || absl::ascii_isdigit(last.front())) return "";
  return name;
}


}  // namespace

asio::ip::address CanonicalAddress(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  return address;
}

absl::StatusOr<Cidr> Cidr::Parse(absl::string_view text) {
  const size_t slash = text.find('/');
  const absl::string_view address_text = text.substr(0, slash);
  boost::system::error_code ec;
  asio::ip::address address =
      asio::ip::make_address(std::string(address_text), ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" is not an address or address/prefix"));
  }
  const int max_prefix = address.is_v4() ? 32 : 128;
  int prefix = max_prefix;
  if (slash != absl::string_view::npos) {
    const absl::string_view prefix_text = text.substr(slash + 1);
    if (prefix_text.empty() || prefix_text.size() > 3 ||
        !std::all_of(prefix_text.begin(), prefix_text.end(),
                     absl::ascii_isdigit) ||
        !absl::SimpleAtoi(prefix_text, &prefix) || prefix > max_prefix) {
      return absl::InvalidArgumentError(absl::StrCat(
          "\"", text, "\": the prefix length must be 0..", max_prefix));
    }
  }
  if (address.is_v6() && address.to_v6().scope_id() != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\": no scope (%) in a policy address"));
  }
  Cidr cidr;
  cidr.bytes_ = Bytes(address);
  cidr.prefix_ = prefix;
  cidr.v4_ = address.is_v4();
  // Host bits set are most likely a typo ("10.1.0.0/8" for /16): refuse them
  // rather than guess.
  Cidr masked = cidr;
  for (int bit = prefix; bit < max_prefix; ++bit) {
    masked.bytes_[bit / 8] &= static_cast<unsigned char>(~(0x80 >> (bit % 8)));
  }
  if (masked.bytes_ != cidr.bytes_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", text, "\" has bits set below its prefix: did you mean ",
        masked.ToString(), "?"));
  }
  if (!cidr.v4_ && prefix >= 96 && address.to_v6().is_v4_mapped()) {
    Cidr v4;
    v4.v4_ = true;
    std::copy(cidr.bytes_.begin() + 12, cidr.bytes_.end(), v4.bytes_.begin());
    v4.prefix_ = prefix - 96;
    return v4;
  }
  return cidr;
}

bool Cidr::Contains(const asio::ip::address& address) const {
  const asio::ip::address canonical = CanonicalAddress(address);
  if (canonical.is_v4() != v4_) return false;
  return PrefixEqual(bytes_, Bytes(canonical), prefix_);
}

std::string Cidr::ToString() const {
  if (v4_) {
    asio::ip::address_v4::bytes_type v4;
    std::copy(bytes_.begin(), bytes_.begin() + 4, v4.begin());
    return absl::StrCat(asio::ip::address_v4(v4).to_string(), "/", prefix_);
  }
  return absl::StrCat(asio::ip::address_v6(bytes_).to_string(), "/", prefix_);
}

bool HostMatchesSuffix(absl::string_view host, absl::string_view suffix) {
  const std::string name = HostName(host);
  if (name.empty() || suffix.empty()) return false;
  if (suffix.front() == '.') {
    return name.size() > suffix.size() && absl::EndsWith(name, suffix);
  }
  return name == suffix ||
         (name.size() > suffix.size() && absl::EndsWith(name, suffix) &&
          name[name.size() - suffix.size() - 1] == '.');
}

bool SelfEndpoints::IsOwnPort(uint16_t port) const {
  return std::find(ports.begin(), ports.end(), port) != ports.end();
}

bool SelfEndpoints::IsSelf(const tcp::endpoint& endpoint) const {
  if (!IsOwnPort(endpoint.port())) return false;
  const asio::ip::address canonical = CanonicalAddress(endpoint.address());
  if (IsLoopbackOrUnspecified(canonical)) return true;
  // Compared without IPv6 scope: fe80::1%eth0 and fe80::1%2 are one address
  // as far as this host is concerned.
  const std::array<unsigned char, 16> bytes = Bytes(canonical);
  return std::any_of(local_addresses.begin(), local_addresses.end(),
                     [&](const asio::ip::address& local) {
                       return local.is_v4() == canonical.is_v4() &&
                              Bytes(local) == bytes;
                     });
}

std::vector<asio::ip::address> SelfEndpoints::InterfaceAddresses() {
  std::vector<asio::ip::address> addresses;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return addresses;
  for (const ifaddrs* entry = list; entry != nullptr; entry = entry->ifa_next) {
    if (entry->ifa_addr == nullptr) continue;
    if (entry->ifa_addr->sa_family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(entry->ifa_addr);
      asio::ip::address_v4::bytes_type bytes;
      std::memcpy(bytes.data(), &in->sin_addr, bytes.size());
      addresses.push_back(asio::ip::address_v4(bytes));
    } else if (entry->ifa_addr->sa_family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(entry->ifa_addr);
      asio::ip::address_v6::bytes_type bytes;
      std::memcpy(bytes.data(), &in6->sin6_addr, bytes.size());
      addresses.push_back(CanonicalAddress(asio::ip::address_v6(bytes)));
    }
  }
  freeifaddrs(list);
  return addresses;
}

}  // namespace socketsvc
