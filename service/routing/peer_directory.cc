#include "service/routing/peer_directory.h"

#include <grpc/grpc.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/support/channel_arguments.h>

namespace socketsvc {
namespace {

// A peer whose machine vanished must not hold a forwarded Receive until its
// own timeout: keepalive pings notice a dead connection within ~30 s. The
// peer listener permits pings this often (routing.cc).
constexpr int kKeepaliveTimeMs = 20000;
constexpr int kKeepaliveTimeoutMs = 10000;
// gRPC's default backoff grows to 120 s: a peer back after a restart would
// be reported unavailable for up to two minutes more.
constexpr int kInitialReconnectBackoffMs = 200;
constexpr int kMaxReconnectBackoffMs = 5000;

}  // namespace

PeerDirectory::PeerDirectory(RoutingOptions options, std::string own_replica_id,
                             std::shared_ptr<grpc::ChannelCredentials> credentials,
                             int max_message_bytes)
    : options_(std::move(options)),
      own_replica_id_(std::move(own_replica_id)),
      credentials_(std::move(credentials)),
      max_message_bytes_(max_message_bytes) {}

std::optional<PeerRoute> PeerDirectory::RouteFor(absl::string_view handle) {
  const std::optional<absl::string_view> replica = HandleReplica(handle);
  if (!replica || *replica == own_replica_id_) return std::nullopt;
  std::string replica_id(*replica);
  absl::MutexLock lock(&mu_);
  auto it = stubs_.find(replica_id);
  if (it == stubs_.end()) {
    const std::optional<std::string> address = PeerAddress(options_, replica_id);
    if (!address) return std::nullopt;
    // Creating a channel does not connect (gRPC connects on the first call),
    // so holding the lock here blocks nobody for long.
    it = stubs_.emplace(replica_id, v1::SocketService::NewStub(NewChannel(*address)))
             .first;
  }
  return PeerRoute{std::move(replica_id), it->second};
}

bool PeerDirectory::IsOwn(absl::string_view handle) const {
  const std::optional<absl::string_view> replica = HandleReplica(handle);
  return replica && *replica == own_replica_id_;
}

std::shared_ptr<grpc::Channel> PeerDirectory::NewChannel(
    const std::string& address) const {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(max_message_bytes_);
  args.SetMaxSendMessageSize(max_message_bytes_);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, kKeepaliveTimeMs);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, kKeepaliveTimeoutMs);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 0);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, kInitialReconnectBackoffMs);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, kInitialReconnectBackoffMs);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, kMaxReconnectBackoffMs);
  if (!options_.peer_tls_name.empty()) {
    args.SetSslTargetNameOverride(options_.peer_tls_name);
  }
  return grpc::CreateCustomChannel(address, credentials_, args);
}

}  // namespace socketsvc
