#include "service/routing/routing.h"

#include <grpc/grpc.h>
#include <grpcpp/server_builder.h>
#include <openssl/rand.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace socketsvc {
namespace {

// Peers send keepalive pings every 20 s during calls (peer_directory.cc);
// gRPC servers take one every 5 minutes at most by default and close the
// connection of a peer that pings more often.
constexpr int kMinPeerPingIntervalMs = 10000;

std::string RandomSecret() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) std::abort();
  return std::string(reinterpret_cast<const char*>(bytes), sizeof(bytes));
}

}  // namespace

absl::StatusOr<PeerTlsMaterial> Routing::Prepare(const RoutingOptions& options) {
  if (absl::Status valid = ValidateRoutingOptions(options); !valid.ok()) {
    return valid;
  }
  if (!options.enabled()) return PeerTlsMaterial{};
  return ReadPeerTlsMaterial(options);
}

absl::StatusOr<std::unique_ptr<Routing>> Routing::Create(
    const RoutingOptions& options, const std::string& own_replica_id,
    v1::SocketService::CallbackService& local, PeerTlsMaterial material,
    int max_message_bytes) {
  std::unique_ptr<Routing> routing(
      new Routing(options, local, std::move(material), max_message_bytes));
  if (!options.enabled()) return routing;
  if (absl::Status started = routing->StartPeerServer(); !started.ok()) {
    return started;
  }
  if (options.forwards()) {
    routing->directory_ = std::make_unique<PeerDirectory>(
        options, own_replica_id, PeerChannelCredentials(routing->material_),
        max_message_bytes);
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(max_message_bytes);
    args.SetMaxSendMessageSize(max_message_bytes);
    PeerRoute self{own_replica_id, v1::SocketService::NewStub(
                                       routing->peer_server_->InProcessChannel(args))};
    routing->gate_ = std::make_unique<RoutingGate>(
        local, *routing->directory_, std::move(self),
        std::make_pair(std::string(kInternalHeader), routing->internal_secret_));
  }
  return routing;
}

Routing::Routing(const RoutingOptions& options, v1::SocketService::CallbackService& local,
                 PeerTlsMaterial material, int max_message_bytes)
    : options_(options),
      local_(local),
      material_(std::move(material)),
      max_message_bytes_(max_message_bytes),
      internal_secret_(RandomSecret()),
      peer_gate_(local, internal_secret_) {}

Routing::~Routing() {
  BeginShutdown(absl::Now());
  FinishShutdown();
}

absl::Status Routing::StartPeerServer() {
  grpc::ServerBuilder builder;
  if (!options_.peer_listen.empty()) {
    builder.AddListeningPort(options_.peer_listen, PeerServerCredentials(material_),
                             &peer_port_);
  }
  builder.RegisterService(&peer_gate_);
  builder.SetMaxReceiveMessageSize(max_message_bytes_);
  builder.SetMaxSendMessageSize(max_message_bytes_);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                             kMinPeerPingIntervalMs);
  peer_server_ = builder.BuildAndStart();
  if (!peer_server_ || (!options_.peer_listen.empty() && peer_port_ == 0)) {
    peer_server_.reset();
    return absl::UnavailableError(absl::StrCat("cannot listen on --peer_listen ",
                                               options_.peer_listen,
                                               " (address in use, or not a host:port?)"));
  }
  return absl::OkStatus();
}

void Routing::BeginShutdown(absl::Time deadline) {
  if (!peer_server_ || shutdown_begun_) return;
  shutdown_begun_ = true;
  stopper_ = std::thread([this, deadline] {
    peer_server_->Shutdown(absl::ToChronoTime(deadline));
    stopped_ = true;
  });
}

void Routing::FinishShutdown() {
  if (!stopper_.joinable()) return;
  // As for the client listener (server.cc): connections of idle peers would
  // hold Shutdown until its deadline.
  while (!stopped_) {
    grpc_server_cancel_all_calls(peer_server_->c_server());
    absl::SleepFor(absl::Milliseconds(20));
  }
  stopper_.join();
  peer_server_->Wait();
}

}  // namespace socketsvc
