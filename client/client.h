// C++ SDK for socketd: one method per SocketService RPC, returning
// absl::StatusOr.
//
//   socketsvc::Client client = socketsvc::Client::Create("127.0.0.1:50051");
//   absl::StatusOr<v1::ConnectResponse> conn = client.Connect("example.com",
//   80); if (!conn.ok()) {
//     // GetSocketError(conn.status()) == v1::SOCKET_ERROR_CONNECTION_REFUSED,
//     // socketsvc::GetErrorDetail(conn.status())->os_errno() == ECONNREFUSED
//   }
//   client.Send(conn->handle(), "GET / HTTP/1.0\r\n\r\n");
//   auto reply = client.Receive(conn->handle(), 65536, 1, /*timeout_ms=*/5000);
//
// Every failure comes back through socketsvc::FromGrpcStatus, so the socket
// error detail socketd attached (SocketError + errno) is readable with
// GetSocketError()/GetErrorDetail() from common/socket_error.h. A failure with
// no detail came from gRPC itself, e.g. UNAVAILABLE when socketd cannot be
// reached or DEADLINE_EXCEEDED when CallOptions::rpc_timeout passed.
//
// Timeouts: the socket-level `timeout_ms` arguments are sent as given
// (unset / 0 / -1 / > 0, see sockets.proto); CallOptions::rpc_timeout bounds
// the RPC as a whole (the gRPC deadline). socketd honours both.
#ifndef SOCKETSVC_CLIENT_CLIENT_H_
#define SOCKETSVC_CLIENT_CLIENT_H_

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/pipe_stream.h"
#include "client/retry_policy.h"
#include "socketsvc/v1/sockets.grpc.pb.h"

namespace socketsvc {

class RetryingStreams;

// Cancels RPCs from another thread. Pass it in CallOptions::cancel; Cancel()
// then calls grpc::ClientContext::TryCancel() on every call currently running
// with this token, and every later call with it fails at once without
// reaching socketd. A cancelled call returns absl::StatusCode::kCancelled with
// SocketError SOCKET_ERROR_CANCELLED. Cancellation is sticky: make a new token
// per operation you may want to cancel.
//
// Thread-safe. Create with std::make_shared<CancelToken>().
class CancelToken {
 public:
  CancelToken() = default;
  CancelToken(const CancelToken&) = delete;
  CancelToken& operator=(const CancelToken&) = delete;

  // Cancels the calls running with this token and all later ones. Returns at
  // once; the cancelled calls return on their own threads shortly after.
  void Cancel() ABSL_LOCKS_EXCLUDED(mu_);

  bool cancelled() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  friend class Client;

  // Tracks `context` until Unregister(); false (and not tracked) if the token
  // is already cancelled.
  bool Register(grpc::ClientContext* context) ABSL_LOCKS_EXCLUDED(mu_);
  void Unregister(grpc::ClientContext* context) ABSL_LOCKS_EXCLUDED(mu_);

  mutable absl::Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  // Contexts of the calls in flight; not owned. A context is unregistered
  // before its call returns, so Cancel() never touches a dead context.
  std::vector<grpc::ClientContext*> contexts_ ABSL_GUARDED_BY(mu_);
};

// Per-call options; every Client method takes one (default: no limit).
struct CallOptions {
  // gRPC deadline of the call, counted from when the method is called.
  // InfiniteDuration(): no deadline (socketd still applies its own caps).
  absl::Duration rpc_timeout = absl::InfiniteDuration();
  // If set, Cancel() on it cancels this call (see CancelToken).
  std::shared_ptr<CancelToken> cancel;
  // Wait for socketd to become reachable instead of failing fast with
  // UNAVAILABLE (bounded by rpc_timeout). Useful while socketd starts.
  bool wait_for_ready = false;
};

// How Client::Create reaches a socketd that secures its listener and
// authenticates callers (README "Authentication"). Default: plaintext, no
// token.
struct ClientCredentialsOptions {
  // TLS to socketd (its --tls_cert): PEM CA certificates that issued
  // socketd's certificate. Empty with use_tls: the system's CAs.
  std::string root_ca_pem;
  // Speak TLS even though root_ca_pem is empty (implied by root_ca_pem and
  // client_cert_pem).
  bool use_tls = false;
  // Mutual TLS (socketd's --client_ca): this client's PEM certificate chain
  // and private key.
  std::string client_cert_pem;
  std::string client_key_pem;
  // The name socketd's certificate must carry when it is not the target's
  // host (e.g. the target is an IP address).
  std::string server_name_override;
  // Sent as "authorization: Bearer TOKEN" with every call (socketd's
  // --tokens_file), over TLS and over plaintext alike.
  std::string bearer_token;
};

// A client of one socketd (or a load-balanced set of replicas) behind one
// stub. Cheap to copy: copies share the stub and channel.
//
// Thread-safe: any number of threads may call any methods concurrently, also
// on the same handle (socketd orders same-direction calls on one handle; one
// Send and one Receive may run at once).
class Client {
 public:
  using CallOptions = ::socketsvc::CallOptions;

  // Wraps `stub`, e.g. a fake in tests. `stub` must not be null.
  explicit Client(std::shared_ptr<v1::SocketService::StubInterface> stub);

  // A client over a new insecure channel to `target` ("host:port",
  // "unix:/path", "dns:///name:port"). Connects lazily: an unreachable socketd
  // shows up as UNAVAILABLE on the first call.
  static Client Create(absl::string_view target);

  // The same over TLS or mutual TLS, and/or with a bearer token, as
  // `credentials` say. A wrong CA or certificate shows up as UNAVAILABLE on
  // the first call; a refused token as UNAUTHENTICATED with
  // SOCKET_ERROR_UNAUTHENTICATED.
  static Client Create(absl::string_view target,
                       const ClientCredentialsOptions& credentials);

  // A client over an existing channel (secure, in-process, custom args...).
  static Client FromChannel(std::shared_ptr<grpc::ChannelInterface> channel);

  // A copy that sends "authorization: Bearer `token`" with every call (an
  // empty token: none). Shares the stub.
  Client WithBearerToken(absl::string_view token) const;

  // A copy that retries calls whose RPC failed in transit (UNAVAILABLE, or
  // DEADLINE_EXCEEDED of an attempt cut by policy.attempt_timeout; never a
  // status socketd answered) and tracks each socket's stream offsets so that
  // retried Sends and Receives move every byte exactly once:
  //   * Send, Receive: carry the handle's offsets; a retry never writes a
  //     byte twice and never loses one. On one handle, Sends run one at a
  //     time, and so do Receives. A Send that still fails may have written
  //     a prefix: repeat it with the same bytes (only the rest is written),
  //     or send other bytes (they go after whatever was written).
  //   * Close: carries the send offset; a retry that finds the handle gone
  //     answers released=true; a retried PARTIAL stays PARTIAL.
  //   * GetInfo, GetOptions, SetOptions, Peek, Resolve, GetServerInfo:
  //     retried as they are (idempotent).
  //   * Connect: never sent twice (not idempotent); it waits for socketd to
  //     be reachable (wait_for_ready) when rpc_timeout bounds it. A Connect
  //     whose answer is lost fails; socketd closes the socket it made.
  //   * Accept, Listen, StartTls, Pipe, Poll, Server*: not retried.
  //     OpenPipe makes the client learn the socket's offsets again on its
  //     next Send / Receive (the Pipe moves bytes past them); do not run
  //     Send or Receive on the socket while the Pipe opens.
  // Copies share the tracked offsets; copies made before this one and
  // other clients do not (mixing them on one socket breaks the offsets).
  // Fields of `policy` that ValidateRetryPolicy refuses take their defaults.
  Client WithRetryPolicy(const RetryPolicy& policy) const;

  // The offsets a retrying client holds for `handle` (both unset otherwise).
  TrackedOffsets Offsets(absl::string_view handle) const;

  // Connects to `host`:`port` (port 1..65535).
  absl::StatusOr<v1::ConnectResponse> Connect(
      absl::string_view host, uint32_t port,
      std::optional<int64_t> timeout_ms = std::nullopt,
      const CallOptions& options = {}) const;

  // Connects to `host` at the port of `service_name` ("http", "smtp"),
  // resolved by socketd.
  absl::StatusOr<v1::ConnectResponse> ConnectService(
      absl::string_view host, absl::string_view service_name,
      std::optional<int64_t> timeout_ms = std::nullopt,
      const CallOptions& options = {}) const;

  // Connects over TLS (`tls.enabled` is implied): verification against
  // socketd's trust store plus `tls.ca_pem`, unless `tls.skip_verify`.
  absl::StatusOr<v1::ConnectResponse> ConnectTls(
      absl::string_view host, uint32_t port, v1::TlsOptions tls,
      std::optional<int64_t> timeout_ms = std::nullopt,
      const CallOptions& options = {}) const;

  // Connect with every field of the request under the caller's control.
  absl::StatusOr<v1::ConnectResponse> Connect(
      const v1::ConnectRequest& request, const CallOptions& options = {}) const;

  // Upgrades an open plain connection to TLS in place (STARTTLS).
  absl::StatusOr<v1::StartTlsResponse> StartTls(
      absl::string_view handle, v1::TlsOptions tls,
      std::optional<int64_t> timeout_ms = std::nullopt,
      const CallOptions& options = {}) const;

  // Name → addresses, or an address literal → names.
  absl::StatusOr<v1::ResolveResponse> Resolve(
      absl::string_view name, std::optional<int64_t> timeout_ms = std::nullopt,
      const CallOptions& options = {}) const;

  // Writes all of `data`, or as much as `timeout_ms` allows (then
  // SendResponse::timed_out is set and bytes_sent < data.size()).
  absl::StatusOr<v1::SendResponse> Send(
      absl::string_view handle, absl::string_view data,
      std::optional<int64_t> timeout_ms = std::nullopt,
      const CallOptions& options = {}) const;

  // Reads between `min_bytes` (0 means 1) and `max_bytes` (0 means socketd's
  // default) bytes; ReceiveResponse::eof / timed_out tell why it answered
  // with fewer. Cancel it with CallOptions::cancel.
  absl::StatusOr<v1::ReceiveResponse> Receive(
      absl::string_view handle, uint32_t max_bytes = 0, uint32_t min_bytes = 0,
      std::optional<int64_t> timeout_ms = std::nullopt,
      const CallOptions& options = {}) const;

  // Returns bytes without consuming them (MSG_PEEK; TLS: from the decrypted
  // buffer): the next Receive returns them again. Same sizes and timeout as
  // Receive; ReceiveResponse::offset is the stream position of the bytes.
  absl::StatusOr<v1::ReceiveResponse> Peek(
      absl::string_view handle, uint32_t max_bytes = 0, uint32_t min_bytes = 0,
      std::optional<int64_t> timeout_ms = std::nullopt,
      const CallOptions& options = {}) const;

  // Send, Receive and Close with every field of the request under the
  // caller's control (offsets, peek, send_offset): one attempt, never
  // retried, no offsets tracked.
  absl::StatusOr<v1::SendResponse> Send(const v1::SendRequest& request,
                                        const CallOptions& options = {}) const;
  absl::StatusOr<v1::ReceiveResponse> Receive(const v1::ReceiveRequest& request,
                                              const CallOptions& options = {}) const;
  absl::StatusOr<v1::CloseResponse> Close(const v1::CloseRequest& request,
                                          const CallOptions& options = {}) const;

  // Closes the socket (see v1::CloseMode); `timeout_ms` bounds the drain of
  // CLOSE_MODE_COMPLETE.
  absl::StatusOr<v1::CloseResponse> Close(
      absl::string_view handle, v1::CloseMode mode = v1::CLOSE_MODE_COMPLETE,
      std::optional<int64_t> timeout_ms = std::nullopt,
      const CallOptions& options = {}) const;

  // State, addresses and counters of the socket.
  absl::StatusOr<v1::SocketInfo> GetInfo(absl::string_view handle,
                                         const CallOptions& options = {}) const;

  // Applies the fields set in `socket_options` to a connected socket and
  // answers every option as read back from the socket (see
  // v1::SocketOptions; idle_timeout_ms is socketd's idle timeout).
  absl::StatusOr<v1::SocketOptions> SetOptions(
      absl::string_view handle, const v1::SocketOptions& socket_options,
      const CallOptions& options = {}) const;

  // Every option of a connected socket, as SetOptions answers them.
  absl::StatusOr<v1::SocketOptions> GetOptions(absl::string_view handle,
                                               const CallOptions& options = {}) const;

  // Streams the socket both ways over one call (Pipe RPC; see
  // pipe_stream.h). The first request, naming the socket, is sent here;
  // socketd's refusals (unknown handle, a Pipe already attached) show up as
  // Read() returning nullopt and Finish() returning the status.
  // CallOptions::rpc_timeout bounds the whole stream.
  absl::StatusOr<std::unique_ptr<PipeStream>> OpenPipe(
      absl::string_view handle, const PipeOptions& pipe_options = {},
      const CallOptions& options = {}) const;

  // --- Server side ---------------------------------------------------------

  // Listens on `bind_address` (empty: 127.0.0.1) and `port` (0: any free).
  absl::StatusOr<v1::ListenResponse> Listen(absl::string_view bind_address,
                                            uint32_t port, uint32_t backlog = 0,
                                            const CallOptions& options = {}) const;

  // Waits for the next connection on `listener`; its handle works with every
  // socket call. AcceptResponse::timed_out when none came in time.
  absl::StatusOr<v1::AcceptResponse> Accept(
      absl::string_view listener, std::optional<int64_t> timeout_ms = std::nullopt,
      const CallOptions& options = {}) const;

  // Starts an HTTP(S) server instance.
  absl::StatusOr<v1::ServerCreateResponse> ServerCreate(
      const v1::ServerCreateRequest& request, const CallOptions& options = {}) const;

  // The next request for the server; ServerReceiveResponse::timed_out when
  // none came in time. Each request goes to exactly one caller.
  absl::StatusOr<v1::ServerReceiveResponse> ServerReceive(
      absl::string_view server_id, std::optional<int64_t> timeout_ms = std::nullopt,
      const CallOptions& options = {}) const;

  // Answers a request from ServerReceive.
  absl::StatusOr<v1::ServerSendResponse> ServerSend(
      const v1::ServerSendRequest& request, const CallOptions& options = {}) const;

  // Stops the server; queued requests are answered 503.
  absl::StatusOr<v1::ServerDeleteResponse> ServerDelete(
      absl::string_view server_id, const CallOptions& options = {}) const;

  absl::StatusOr<v1::ServerInfo> GetServerInfo(absl::string_view server_id,
                                               const CallOptions& options = {}) const;

  // --- Many handles at once ----------------------------------------------

  // Waits until at least one of `items` (sockets, listeners, HTTP servers;
  // events are OR-ed v1::PollEvent bits) is ready, or `timeout_ms` passes;
  // answers every ready item in request order (PollResponse::timed_out when
  // none was). Level-triggered, like poll(2); handles that name nothing of
  // the caller's come back POLL_EVENT_INVALID. Cancel it with
  // CallOptions::cancel.
  absl::StatusOr<v1::PollResponse> Poll(const std::vector<v1::PollItem>& items,
                                        std::optional<int64_t> timeout_ms = std::nullopt,
                                        const CallOptions& options = {}) const;

  // The stub every call goes through.
  const std::shared_ptr<v1::SocketService::StubInterface>& stub() const {
    return stub_;
  }

 private:
  // Runs `rpc(context, response)` with a context set up from `options`, and
  // converts its status.
  template <typename Response, typename Rpc>
  absl::StatusOr<Response> Invoke(const CallOptions& options, Rpc rpc) const;

  // Shared with copies; never null.
  std::shared_ptr<v1::SocketService::StubInterface> stub_;
  // Set by WithRetryPolicy (shared with copies); null: one attempt per call.
  std::shared_ptr<RetryingStreams> retry_;
  // A copy that makes one attempt per call (what retry_ drives).
  Client WithoutRetries() const;
  // Runs `attempt(const CallOptions&)` once, or through the retry loop for
  // a retrying client (idempotent calls only).
  template <typename Response, typename Attempt>
  absl::StatusOr<Response> Idempotent(const CallOptions& options,
                                      Attempt attempt) const;
  // "Bearer TOKEN" sent as `authorization` with every call; empty: none.
  std::string authorization_;
};

}  // namespace socketsvc

#endif  // SOCKETSVC_CLIENT_CLIENT_H_
