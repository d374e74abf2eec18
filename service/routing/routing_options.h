// Multi-replica routing: where this replica's peers are and how replicas
// trust each other. docs/scaling.md.
//
// Sockets cannot move between machines, so a call follows its handle: a
// replica that gets a call for a handle another replica created ("s2.…")
// forwards it to that replica over mutual TLS. Pure data and parsing; no
// gRPC here. Thread-safe (immutable after parsing).
#ifndef SOCKETSVC_SERVICE_ROUTING_ROUTING_OPTIONS_H_
#define SOCKETSVC_SERVICE_ROUTING_ROUTING_OPTIONS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace socketsvc {

// socketd's --peers, --peer_dns_pattern, --peer_listen and --peer_tls_* flags.
struct RoutingOptions {
  // Replica id → "host:port" of its peer listener (--peers=1=h:p,2=h:p).
  std::map<std::string, std::string> peers;
  // Peer address with "{id}" for the replica id, e.g.
  // "socketd-{id}.socketd-peers.ns.svc.cluster.local:50052" (a StatefulSet
  // behind a headless Service). Ids it covers: decimal 0..max_replicas-1.
  std::string peer_dns_pattern;
  uint32_t max_replicas = 1000;
  // Where this replica takes forwarded calls from its peers ("host:port").
  // Empty: it takes none.
  std::string peer_listen;
  // PEM files: this replica's certificate and key, presented both by the
  // peer listener and when forwarding (so it needs serverAuth and
  // clientAuth), and the CA that issued every replica's certificate. Only
  // certificates of that CA may call the peer listener; it must be a CA of
  // its own, never the one of --client_ca.
  std::string peer_tls_cert_file;
  std::string peer_tls_key_file;
  std::string peer_ca_file;
  // The name peer certificates are verified against; empty: the host of the
  // peer address.
  std::string peer_tls_name;

  // True when this replica forwards calls for other replicas' handles.
  bool forwards() const { return !peers.empty() || !peer_dns_pattern.empty(); }
  // True when anything about routing is configured.
  bool enabled() const { return forwards() || !peer_listen.empty(); }
};

// Parses --peers: "ID=HOST:PORT" entries separated by commas (blanks
// around entries are ignored; empty text is no peers). INVALID_ARGUMENT
// naming the entry when an id is not a valid replica id, appears twice, or
// an address has no port.
absl::StatusOr<std::map<std::string, std::string>> ParsePeers(absl::string_view text);

// The value of socketd's --peers flag (absl flag marshalling: a malformed
// list stops socketd at start with ParsePeers' message).
struct PeerList {
  std::map<std::string, std::string> peers;
};
bool AbslParseFlag(absl::string_view text, PeerList* list, std::string* error);
std::string AbslUnparseFlag(const PeerList& list);

// Checks the options as a whole: the pattern has exactly one "{id}" and a
// port, max_replicas is 1..100000, and the mutual TLS files are given
// whenever anything is routed. The own replica may appear in --peers (every
// replica can take the same list): its handles are never forwarded.
absl::Status ValidateRoutingOptions(const RoutingOptions& options);

// The replica id inside a well-formed handle of any kind ("s2.<hex>" → "2"),
// or nullopt for anything that is not a well-formed handle.
std::optional<absl::string_view> HandleReplica(absl::string_view handle);

// The peer address of `replica_id` under `options` (a --peers entry, else
// the DNS pattern for an id it covers), or nullopt when it names no peer.
std::optional<std::string> PeerAddress(const RoutingOptions& options,
                                       absl::string_view replica_id);

// The message of a call whose owner cannot be reached.
std::string OwnerUnavailableMessage(absl::string_view replica_id);

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_ROUTING_ROUTING_OPTIONS_H_
