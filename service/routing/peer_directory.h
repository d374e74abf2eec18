// Which replica owns a handle, and a cached channel to every peer that
// does. Thread-safe.
#ifndef SOCKETSVC_SERVICE_ROUTING_PEER_DIRECTORY_H_
#define SOCKETSVC_SERVICE_ROUTING_PEER_DIRECTORY_H_

#include <grpcpp/channel.h>
#include <grpcpp/security/credentials.h>

#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "service/routing/routing_options.h"
#include "socketsvc/v1/sockets.grpc.pb.h"

namespace socketsvc {

// A peer that owns a handle: its replica id and a stub on the shared
// channel to it.
struct PeerRoute {
  std::string replica_id;
  std::shared_ptr<v1::SocketService::Stub> stub;
};

class PeerDirectory {
 public:
  // `max_message_bytes`: the largest message a forwarded call carries
  // either way (the same bound as socketd's own listener).
  PeerDirectory(RoutingOptions options, std::string own_replica_id,
                std::shared_ptr<grpc::ChannelCredentials> credentials,
                int max_message_bytes);

  // The peer that owns `handle`, or nullopt when the call stays here: the
  // handle is this replica's, is not well-formed, or names a replica that is
  // no peer (then it exists nowhere, and the local answer NOT_FOUND is the
  // right one). The channel is made on first use and kept: gRPC reconnects
  // it when the peer comes back.
  std::optional<PeerRoute> RouteFor(absl::string_view handle) ABSL_LOCKS_EXCLUDED(mu_);

  // True if `handle` is well-formed and names this replica.
  bool IsOwn(absl::string_view handle) const;

  const std::string& own_replica_id() const { return own_replica_id_; }

 private:
  std::shared_ptr<grpc::Channel> NewChannel(const std::string& address) const;

  const RoutingOptions options_;
  const std::string own_replica_id_;
  const std::shared_ptr<grpc::ChannelCredentials> credentials_;
  const int max_message_bytes_;
  absl::Mutex mu_;
  // Replica id → stub; at most one entry per peer (bounded by --peers or
  // --max_replicas).
  absl::flat_hash_map<std::string, std::shared_ptr<v1::SocketService::Stub>> stubs_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_ROUTING_PEER_DIRECTORY_H_
