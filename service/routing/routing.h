// Multi-replica routing as one object for SocketServer: the peer
// directory, the RoutingGate in front of the local service, and the peer
// listener with its PeerGate. docs/scaling.md. Thread-safe.
#ifndef SOCKETSVC_SERVICE_ROUTING_ROUTING_H_
#define SOCKETSVC_SERVICE_ROUTING_ROUTING_H_

#include <grpcpp/server.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "service/routing/peer_credentials.h"
#include "service/routing/peer_directory.h"
#include "service/routing/peer_gate.h"
#include "service/routing/routing_gate.h"
#include "service/routing/routing_options.h"
#include "socketsvc/v1/sockets.grpc.pb.h"

namespace socketsvc {

class Routing {
 public:
  // Checks `options` and reads the peer TLS files (nothing to read when
  // routing is off).
  static absl::StatusOr<PeerTlsMaterial> Prepare(const RoutingOptions& options);
  // `local` (the service with its handlers) must outlive the object;
  // `material` is what Prepare read. `max_message_bytes` bounds forwarded
  // messages both ways, as on socketd's own listener. Opens the peer
  // listener (--peer_listen); UNAVAILABLE if it cannot.
  static absl::StatusOr<std::unique_ptr<Routing>> Create(
      const RoutingOptions& options, const std::string& own_replica_id,
      v1::SocketService::CallbackService& local, PeerTlsMaterial material,
      int max_message_bytes);
  ~Routing();

  // The service AuthGate hands authenticated calls to: the RoutingGate when
  // this replica forwards, else the local service.
  v1::SocketService::CallbackService& front() {
    return gate_ ? static_cast<v1::SocketService::CallbackService&>(*gate_) : local_;
  }

  // Its bound port (0 without one).
  int peer_port() const { return peer_port_; }

  // Shutdown in two steps around socketd's drain: Begin stops taking
  // forwarded calls and lets those in flight finish until `deadline`;
  // Finish cancels what is left and waits for the listener to stop. Each
  // does its work once; call them from one thread (SocketServer::Shutdown,
  // the destructor).
  void BeginShutdown(absl::Time deadline);
  void FinishShutdown();

 private:
  Routing(const RoutingOptions& options, v1::SocketService::CallbackService& local,
          PeerTlsMaterial material, int max_message_bytes);

  // Builds the peer server: the peer listener's port, if any, and the
  // in-process channel local Pipes are bridged through.
  absl::Status StartPeerServer();

  const RoutingOptions options_;
  v1::SocketService::CallbackService& local_;
  const PeerTlsMaterial material_;
  const int max_message_bytes_;
  std::unique_ptr<PeerDirectory> directory_;  // Null unless forwarding.
  std::unique_ptr<RoutingGate> gate_;         // Null unless forwarding.
  // Random; marks calls of this process's own in-process channel, the one
  // way besides a peer certificate to have a forwarded principal believed.
  const std::string internal_secret_;
  PeerGate peer_gate_;
  // Null when routing is off.
  std::unique_ptr<grpc::Server> peer_server_;
  int peer_port_ = 0;
  bool shutdown_begun_ = false;
  // Runs the peer server's Shutdown, which blocks until its calls are done.
  std::thread stopper_;
  std::atomic<bool> stopped_{false};
};

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_ROUTING_ROUTING_H_
