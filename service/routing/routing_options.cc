#include "service/routing/routing_options.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "service/sessions/handle.h"

namespace socketsvc {
namespace {

constexpr absl::string_view kIdPlaceholder = "{id}";
constexpr uint32_t kMaxReplicasBound = 100000;

absl::Status Invalid(absl::string_view message) {
  return absl::InvalidArgumentError(message);
}

// True if `address` is "host:port" / "[v6]:port" with a port 1..65535 (or
// 0, any free port, when `allow_any` says so: listen addresses).
bool HasPort(absl::string_view address, bool allow_any = false) {
  const size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos || colon == 0 || colon + 1 == address.size()) {
    return false;
  }
  uint32_t port = 0;
  return absl::SimpleAtoi(address.substr(colon + 1), &port) &&
         port >= (allow_any ? 0 : 1) && port <= 65535 &&
         absl::ascii_isdigit(address[colon + 1]);
}

// Decimal replica ids the DNS pattern covers: "0", "1", ... without leading
// zeros (a StatefulSet's pod ordinals).
bool IsOrdinal(absl::string_view id, uint32_t max_replicas) {
  if (id.empty() || id.size() > 9 || (id.size() > 1 && id[0] == '0')) {
    return false;
  }
  uint32_t ordinal = 0;
  for (char c : id) {
    if (!absl::ascii_isdigit(c)) return false;
  }
  return absl::SimpleAtoi(id, &ordinal) && ordinal < max_replicas;
}

}  // namespace

absl::StatusOr<std::map<std::string, std::string>> ParsePeers(absl::string_view text) {
  std::map<std::string, std::string> peers;
  for (absl::string_view entry : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    entry = absl::StripAsciiWhitespace(entry);
    const size_t eq = entry.find('=');
    if (eq == absl::string_view::npos) {
      return Invalid(absl::StrCat("--peers entry '", entry, "' is not ID=HOST:PORT"));
    }
    const absl::string_view id = entry.substr(0, eq);
    const absl::string_view address = entry.substr(eq + 1);
    if (!IsValidReplicaId(id)) {
      return Invalid(absl::StrCat("--peers entry '", entry, "': replica id '", id,
                                  "' must be 1 to 16 lowercase letters or digits"));
    }
    if (!HasPort(address)) {
      return Invalid(absl::StrCat("--peers entry '", entry,
                                  "': the address needs a port (HOST:PORT)"));
    }
    if (!peers.emplace(std::string(id), std::string(address)).second) {
      return Invalid(absl::StrCat("--peers names replica '", id, "' twice"));
    }
  }
  return peers;
}

bool AbslParseFlag(absl::string_view text, PeerList* list, std::string* error) {
  absl::StatusOr<std::map<std::string, std::string>> peers = ParsePeers(text);
  if (!peers.ok()) {
    *error = std::string(peers.status().message());
    return false;
  }
  list->peers = *std::move(peers);
  return true;
}

std::string AbslUnparseFlag(const PeerList& list) {
  std::vector<std::string> entries;
  for (const auto& [id, address] : list.peers) {
    entries.push_back(absl::StrCat(id, "=", address));
  }
  return absl::StrJoin(entries, ",");
}

absl::Status ValidateRoutingOptions(const RoutingOptions& options) {
  if (!options.peer_dns_pattern.empty()) {
    const absl::string_view pattern = options.peer_dns_pattern;
    const size_t at = pattern.find(kIdPlaceholder);
    if (at == absl::string_view::npos ||
        pattern.find(kIdPlaceholder, at + 1) != absl::string_view::npos) {
      return Invalid(absl::StrCat("--peer_dns_pattern '", pattern,
                                  "' must contain {id} exactly once"));
    }
    if (!HasPort(absl::StrReplaceAll(pattern, {{kIdPlaceholder, "0"}}))) {
      return Invalid(
          absl::StrCat("--peer_dns_pattern '", pattern, "' needs a port (HOST:PORT)"));
    }
  }
  if (options.max_replicas < 1 || options.max_replicas > kMaxReplicasBound) {
    return Invalid(absl::StrCat("--max_replicas must be 1 to ", kMaxReplicasBound));
  }
  if (!options.peer_listen.empty() && !HasPort(options.peer_listen, /*allow_any=*/true)) {
    return Invalid(
        absl::StrCat("--peer_listen '", options.peer_listen, "' is not HOST:PORT"));
  }
  if (options.enabled() &&
      (options.peer_tls_cert_file.empty() || options.peer_tls_key_file.empty() ||
       options.peer_ca_file.empty())) {
    // Forwarded calls carry the caller's principal, which the owner
    // believes: only a replica proven by its certificate may say it.
    return Invalid(
        "--peers, --peer_dns_pattern and --peer_listen need mutual TLS "
        "between replicas: --peer_tls_cert, --peer_tls_key and --peer_ca");
  }
  return absl::OkStatus();
}

std::optional<absl::string_view> HandleReplica(absl::string_view handle) {
  if (!IsWellFormedHandle(handle)) return std::nullopt;
  return handle.substr(1, handle.find('.') - 1);
}

std::optional<std::string> PeerAddress(const RoutingOptions& options,
                                       absl::string_view replica_id) {
  if (const auto it = options.peers.find(std::string(replica_id));
      it != options.peers.end()) {
    return it->second;
  }
  if (!options.peer_dns_pattern.empty() && IsOrdinal(replica_id, options.max_replicas)) {
    return absl::StrReplaceAll(options.peer_dns_pattern, {{kIdPlaceholder, replica_id}});
  }
  return std::nullopt;
}

std::string OwnerUnavailableMessage(absl::string_view replica_id) {
  return absl::StrCat("owner replica ", replica_id, " unavailable: session lost");
}

}  // namespace socketsvc
