// Who may connect where, and listen where: socketd's egress and listen
// policy (proto/socketsvc/v1/policy.proto), compiled for matching.
//
// A Policy is immutable once built and safe to share between threads; a
// reload builds a new one (PolicyStore swaps it in). Besides its rules every
// Policy carries socketd's own endpoints (SelfEndpoints): nothing may connect
// to socketd's gRPC port on a local address or listen on that port, whatever
// the rules say, so that no caller can make socketd call itself.
//
// Refusals are PERMISSION_DENIED with SOCKET_ERROR_POLICY_DENIED and a
// message naming the rule: `policy rule "no-metadata" denies
// 169.254.169.254:80`.
#ifndef SOCKETSVC_SERVICE_POLICY_POLICY_H_
#define SOCKETSVC_SERVICE_POLICY_POLICY_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/policy/address_match.h"

namespace socketsvc {

class Policy {
 public:
  // Names of the built-in rules, as errors cite them.
  static constexpr char kSelfRule[] = "builtin-self";
  static constexpr char kLinkLocalRule[] = "builtin-no-link-local";

  // Parses and checks a policy in text format. `source` (the file name)
  // prefixes errors, which give the line and column (1-based) of the fault:
  // `policy /etc/socketd/policy.txtpb: line 3, column 9: ...`. Errors are
  // INVALID_ARGUMENT.
  static absl::StatusOr<std::shared_ptr<const Policy>> Parse(
      absl::string_view text, absl::string_view source);

  // Parse on the contents of `path`; an unreadable file is an error too.
  static absl::StatusOr<std::shared_ptr<const Policy>> LoadFile(
      const std::string& path);

  // The policy without a file: every egress is allowed except link-local
  // and cloud metadata addresses (169.254.0.0/16, fe80::/10, fd00:ec2::254,
  // and their IPv4-mapped forms); every listen is allowed.
  static std::shared_ptr<const Policy> BuiltIn();

  // A copy of this policy that also protects `self`.
  std::shared_ptr<const Policy> WithSelf(
      std::shared_ptr<const SelfEndpoints> self) const;

  // OK if `principal` may connect to `endpoint`, one address that Connect's
  // `host` (as the caller gave it) resolved to; else PERMISSION_DENIED/
  // POLICY_DENIED naming the rule.
  absl::Status CheckEgress(
      absl::string_view principal, absl::string_view host,
      const boost::asio::ip::tcp::endpoint& endpoint) const;

  // OK if `principal` may listen on `bind` (Listen, ServerCreate); port 0
  // means any free port.
  absl::Status CheckListen(absl::string_view principal,
                           const boost::asio::ip::tcp::endpoint& bind) const;

  // The file it came from; empty for the built-in policy.
  const std::string& source() const { return source_; }
  size_t egress_rule_count() const { return egress_.size(); }
  size_t listen_rule_count() const { return listen_.size(); }

  // Use Parse, LoadFile or BuiltIn.
  Policy() = default;

 private:
  struct Rule {
    std::string name;
    bool allow = false;
    std::vector<std::string> principals;     // Empty: everyone.
    std::vector<Cidr> cidrs;                 // Empty: every address.
    std::vector<std::string> host_suffixes;  // Lowercase; empty: every host.
    std::vector<std::pair<uint16_t, uint16_t>> ports;  // Empty: every port.
  };

  // The first rule of `rules` that matches, or null. `host` is Connect's
  // host as the caller gave it (empty for listen rules).
  static const Rule* FirstMatch(const std::vector<Rule>& rules,
                                absl::string_view principal,
                                absl::string_view host,
                                const boost::asio::ip::tcp::endpoint& endpoint);

  std::vector<Rule> egress_;
  std::vector<Rule> listen_;
  std::string source_;
  std::shared_ptr<const SelfEndpoints> self_;
};

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_POLICY_POLICY_H_
