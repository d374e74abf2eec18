#include "client/client.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/support/channel_arguments.h>
#include <grpcpp/security/credentials.h>

#include <algorithm>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "client/client_call.h"
#include "client/retrying_stream.h"
#include "common/grpc_status.h"
#include "common/socket_error.h"

namespace socketsvc {

using client_internal::CancelledStatus;
using client_internal::EmptyHandleStatus;

// --- CancelToken -------------------------------------------------------------

void CancelToken::Cancel() {
  absl::MutexLock lock(&mu_);
  cancelled_ = true;
  // TryCancel is thread-safe and does not call back into this token; holding
  // mu_ keeps each context alive (its call unregisters under mu_ first).
  for (grpc::ClientContext* context : contexts_) context->TryCancel();
}

bool CancelToken::cancelled() const {
  absl::MutexLock lock(&mu_);
  return cancelled_;
}

bool CancelToken::Register(grpc::ClientContext* context) {
  absl::MutexLock lock(&mu_);
  if (cancelled_) return false;
  contexts_.push_back(context);
  return true;
}

void CancelToken::Unregister(grpc::ClientContext* context) {
  absl::MutexLock lock(&mu_);
  auto it = std::find(contexts_.begin(), contexts_.end(), context);
  if (it != contexts_.end()) contexts_.erase(it);
}

// --- Client ------------------------------------------------------------------

Client::Client(std::shared_ptr<v1::SocketService::StubInterface> stub)
    : stub_(std::move(stub)) {}

Client Client::Create(absl::string_view target) {
  // socketd bounds every Receive itself (--max_receive_bytes); gRPC's default
  // 4 MiB client limit must not drop an answer socketd already read.
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(-1);
  return FromChannel(grpc::CreateCustomChannel(
      std::string(target), grpc::InsecureChannelCredentials(), arguments));
}

Client Client::Create(absl::string_view target,
                      const ClientCredentialsOptions& credentials) {
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(-1);
  std::shared_ptr<grpc::ChannelCredentials> channel_credentials;
  if (credentials.use_tls || !credentials.root_ca_pem.empty() ||
      !credentials.client_cert_pem.empty()) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = credentials.root_ca_pem;
    ssl.pem_cert_chain = credentials.client_cert_pem;
    ssl.pem_private_key = credentials.client_key_pem;
    channel_credentials = grpc::SslCredentials(ssl);
    if (!credentials.server_name_override.empty()) {
      arguments.SetSslTargetNameOverride(credentials.server_name_override);
    }
  } else {
    channel_credentials = grpc::InsecureChannelCredentials();
  }
  // Per-call metadata rather than call credentials: gRPC sends call
  // credentials over TLS only, and a token is also meant for plaintext on
  // loopback.
  return FromChannel(grpc::CreateCustomChannel(std::string(target),
                                               channel_credentials, arguments))
      .WithBearerToken(credentials.bearer_token);
}

Client Client::FromChannel(std::shared_ptr<grpc::ChannelInterface> channel) {
  return Client(v1::SocketService::NewStub(std::move(channel)));
}

Client Client::WithBearerToken(absl::string_view token) const {
  Client copy = *this;
  copy.authorization_ = token.empty() ? "" : absl::StrCat("Bearer ", token);
  return copy;
}

Client Client::WithRetryPolicy(const RetryPolicy& policy) const {
  // Field by field, so that one bad value does not cost the others.
  const RetryPolicy defaults;
  RetryPolicy usable = policy;
  auto check = [&](auto RetryPolicy::*field) {
    RetryPolicy one = defaults;
    one.*field = policy.*field;
    if (!ValidateRetryPolicy(one).ok()) usable.*field = defaults.*field;
  };
  check(&RetryPolicy::max_attempts);
  check(&RetryPolicy::multiplier);
  check(&RetryPolicy::budget);
  check(&RetryPolicy::attempt_timeout);
  if (usable.initial_backoff < absl::ZeroDuration() ||
      usable.max_backoff < usable.initial_backoff) {
    usable.initial_backoff = defaults.initial_backoff;
    usable.max_backoff = defaults.max_backoff;
  }
  Client copy = *this;
  copy.retry_ = std::make_shared<RetryingStreams>(usable);
  return copy;
}

Client Client::WithoutRetries() const {
  Client copy = *this;
  copy.retry_ = nullptr;
  return copy;
}

TrackedOffsets Client::Offsets(absl::string_view handle) const {
  return retry_ ? retry_->Offsets(handle) : TrackedOffsets{};
}

absl::StatusOr<std::unique_ptr<PipeStream>> Client::OpenPipe(
    absl::string_view handle, const PipeOptions& pipe_options,
    const CallOptions& options) const {
  if (handle.empty()) return EmptyHandleStatus();
  // A Pipe moves bytes past the tracked offsets: learn them again afterwards.
  if (retry_) retry_->Forget(handle);
  std::unique_ptr<PipeStream> pipe(new PipeStream(std::string(handle)));
  grpc::ClientContext& context = pipe->context_;
  if (!authorization_.empty()) context.AddMetadata("authorization", authorization_);
  if (options.rpc_timeout != absl::InfiniteDuration()) {
    context.set_deadline(absl::ToChronoTime(absl::Now() + options.rpc_timeout));
  }
  if (options.wait_for_ready) context.set_wait_for_ready(true);
  if (std::shared_ptr<CancelToken> token = options.cancel) {
    if (!token->Register(&context)) {
      return CancelledStatus("cancelled before the call started");
    }
    pipe->unregister_ = [token, &context] { token->Unregister(&context); };
  }
  // Lets a replica that does not own the socket route the stream before
  // its first message arrives (docs/scaling.md); only handle-shaped text
  // is valid metadata, anything else is refused by socketd anyway.
  if (std::all_of(handle.begin(), handle.end(), [](char c) {
        return absl::ascii_isdigit(c) || absl::ascii_islower(c) || c == '.';
      })) {
    context.AddMetadata("x-socketsvc-pipe-handle", std::string(handle));
  }
  pipe->stream_ = stub_->Pipe(&context);
  v1::PipeRequest first;
  first.set_handle(std::string(handle));
  first.set_half_close_on_end(pipe_options.half_close_on_end);
  first.set_max_chunk_bytes(pipe_options.max_chunk_bytes);
  if (!pipe->stream_->Write(first)) {
    absl::Status status = pipe->Finish();
    return status.ok() ? absl::UnavailableError("the Pipe stream ended at once")
                       : status;
  }
  return pipe;
}

absl::StatusOr<v1::ConnectResponse> Client::Connect(
    absl::string_view host, uint32_t port, std::optional<int64_t> timeout_ms,
    const CallOptions& options) const {
  if (port > 65535) {
    return SocketErrorStatus(absl::StatusCode::kInvalidArgument,
                             v1::SOCKET_ERROR_INVALID_REQUEST,
                             absl::StrCat("port ", port, " is out of range"));
  }
  v1::ConnectRequest request;
  request.set_host(std::string(host));
  request.set_port(port);
  if (timeout_ms.has_value()) request.set_timeout_ms(*timeout_ms);
  return Connect(request, options);
}

absl::StatusOr<v1::ConnectResponse> Client::ConnectService(
    absl::string_view host, absl::string_view service_name,
    std::optional<int64_t> timeout_ms, const CallOptions& options) const {
  v1::ConnectRequest request;
  request.set_host(std::string(host));
  request.set_service(std::string(service_name));
  if (timeout_ms.has_value()) request.set_timeout_ms(*timeout_ms);
  return Connect(request, options);
}

absl::StatusOr<v1::SendResponse> Client::Send(
    absl::string_view handle, absl::string_view data,
    std::optional<int64_t> timeout_ms, const CallOptions& options) const {
  if (handle.empty()) return EmptyHandleStatus();
  if (retry_) return retry_->Send(WithoutRetries(), handle, data, timeout_ms, options);
  v1::SendRequest request;
  request.set_handle(std::string(handle));
  request.set_data(std::string(data));
  if (timeout_ms.has_value()) request.set_timeout_ms(*timeout_ms);
  return Invoke<v1::SendResponse>(
      options, [&](grpc::ClientContext* context, v1::SendResponse* response) {
        return stub_->Send(context, request, response);
      });
}

absl::StatusOr<v1::ReceiveResponse> Client::Receive(
    absl::string_view handle, uint32_t max_bytes, uint32_t min_bytes,
    std::optional<int64_t> timeout_ms, const CallOptions& options) const {
  if (handle.empty()) return EmptyHandleStatus();
  if (retry_) {
    return retry_->Receive(WithoutRetries(), handle, max_bytes, min_bytes, timeout_ms,
                           options);
  }
  v1::ReceiveRequest request;
  request.set_handle(std::string(handle));
  request.set_max_bytes(max_bytes);
  request.set_min_bytes(min_bytes);
  if (timeout_ms.has_value()) request.set_timeout_ms(*timeout_ms);
  return Invoke<v1::ReceiveResponse>(
      options,
      [&](grpc::ClientContext* context, v1::ReceiveResponse* response) {
        return stub_->Receive(context, request, response);
      });
}

absl::StatusOr<v1::ReceiveResponse> Client::Peek(
    absl::string_view handle, uint32_t max_bytes, uint32_t min_bytes,
    std::optional<int64_t> timeout_ms, const CallOptions& options) const {
  if (handle.empty()) return EmptyHandleStatus();
  v1::ReceiveRequest request;
  request.set_handle(std::string(handle));
  request.set_max_bytes(max_bytes);
  request.set_min_bytes(min_bytes);
  request.set_peek(true);
  if (timeout_ms.has_value()) request.set_timeout_ms(*timeout_ms);
  // A peek consumes nothing: retried as it is.
  return Idempotent<v1::ReceiveResponse>(
      options, [&](const CallOptions& attempt) { return Receive(request, attempt); });
}

absl::StatusOr<v1::SendResponse> Client::Send(const v1::SendRequest& request,
                                              const CallOptions& options) const {
  if (request.handle().empty()) return EmptyHandleStatus();
  return Invoke<v1::SendResponse>(
      options, [&](grpc::ClientContext* context, v1::SendResponse* response) {
        return stub_->Send(context, request, response);
      });
}

absl::StatusOr<v1::ReceiveResponse> Client::Receive(const v1::ReceiveRequest& request,
                                                    const CallOptions& options) const {
  if (request.handle().empty()) return EmptyHandleStatus();
  return Invoke<v1::ReceiveResponse>(
      options,
      [&](grpc::ClientContext* context, v1::ReceiveResponse* response) {
        return stub_->Receive(context, request, response);
      });
}

absl::StatusOr<v1::CloseResponse> Client::Close(const v1::CloseRequest& request,
                                                const CallOptions& options) const {
  if (request.handle().empty()) return EmptyHandleStatus();
  return Invoke<v1::CloseResponse>(
      options, [&](grpc::ClientContext* context, v1::CloseResponse* response) {
        return stub_->Close(context, request, response);
      });
}

absl::StatusOr<v1::CloseResponse> Client::Close(
    absl::string_view handle, v1::CloseMode mode,
    std::optional<int64_t> timeout_ms, const CallOptions& options) const {
  if (handle.empty()) return EmptyHandleStatus();
  if (retry_) return retry_->Close(WithoutRetries(), handle, mode, timeout_ms, options);
  v1::CloseRequest request;
  request.set_handle(std::string(handle));
  request.set_mode(mode);
  if (timeout_ms.has_value()) request.set_timeout_ms(*timeout_ms);
  return Invoke<v1::CloseResponse>(
      options, [&](grpc::ClientContext* context, v1::CloseResponse* response) {
        return stub_->Close(context, request, response);
      });
}

absl::StatusOr<v1::SocketInfo> Client::GetInfo(
    absl::string_view handle, const CallOptions& options) const {
  if (handle.empty()) return EmptyHandleStatus();
  v1::GetInfoRequest request;
  request.set_handle(std::string(handle));
  return Idempotent<v1::SocketInfo>(options, [&](const CallOptions& attempt) {
    return Invoke<v1::SocketInfo>(
        attempt, [&](grpc::ClientContext* context, v1::SocketInfo* response) {
          return stub_->GetInfo(context, request, response);
        });
  });
}

absl::StatusOr<v1::ConnectResponse> Client::ConnectTls(
    absl::string_view host, uint32_t port, v1::TlsOptions tls,
    std::optional<int64_t> timeout_ms, const CallOptions& options) const {
  v1::ConnectRequest request;
  request.set_host(std::string(host));
  request.set_port(port);
  if (timeout_ms.has_value()) request.set_timeout_ms(*timeout_ms);
  tls.set_enabled(true);
  *request.mutable_tls() = std::move(tls);
  return Connect(request, options);
}

absl::StatusOr<v1::ConnectResponse> Client::Connect(
    const v1::ConnectRequest& request, const CallOptions& options) const {
  CallOptions once = options;
  // Never retried (a second Connect would make a second socket); a retrying
  // client waits for socketd to be reachable instead, when a deadline
  // bounds the wait.
  if (retry_ && options.rpc_timeout != absl::InfiniteDuration()) {
    once.wait_for_ready = true;
  }
  absl::StatusOr<v1::ConnectResponse> connected = Invoke<v1::ConnectResponse>(
      once, [&](grpc::ClientContext* context, v1::ConnectResponse* response) {
        return stub_->Connect(context, request, response);
      });
  if (retry_ && connected.ok()) retry_->Register(connected->handle());
  return connected;
}

absl::StatusOr<v1::StartTlsResponse> Client::StartTls(
    absl::string_view handle, v1::TlsOptions tls,
    std::optional<int64_t> timeout_ms, const CallOptions& options) const {
  if (handle.empty()) return EmptyHandleStatus();
  v1::StartTlsRequest request;
  request.set_handle(std::string(handle));
  tls.set_enabled(true);
  *request.mutable_tls() = std::move(tls);
  if (timeout_ms.has_value()) request.set_timeout_ms(*timeout_ms);
  return Invoke<v1::StartTlsResponse>(
      options, [&](grpc::ClientContext* context, v1::StartTlsResponse* response) {
        return stub_->StartTls(context, request, response);
      });
}

absl::StatusOr<v1::ResolveResponse> Client::Resolve(
    absl::string_view name, std::optional<int64_t> timeout_ms,
    const CallOptions& options) const {
  v1::ResolveRequest request;
  request.set_name(std::string(name));
  if (timeout_ms.has_value()) request.set_timeout_ms(*timeout_ms);
  return Idempotent<v1::ResolveResponse>(options, [&](const CallOptions& attempt) {
    return Invoke<v1::ResolveResponse>(
        attempt, [&](grpc::ClientContext* context, v1::ResolveResponse* response) {
          return stub_->Resolve(context, request, response);
        });
  });
}

absl::StatusOr<v1::SocketOptions> Client::SetOptions(
    absl::string_view handle, const v1::SocketOptions& socket_options,
    const CallOptions& options) const {
  if (handle.empty()) return EmptyHandleStatus();
  v1::SetOptionsRequest request;
  request.set_handle(std::string(handle));
  *request.mutable_options() = socket_options;
  // Absolute values: setting them twice is setting them once.
  return Idempotent<v1::SocketOptions>(options, [&](const CallOptions& attempt) {
    return Invoke<v1::SocketOptions>(
        attempt, [&](grpc::ClientContext* context, v1::SocketOptions* response) {
          return stub_->SetOptions(context, request, response);
        });
  });
}

absl::StatusOr<v1::SocketOptions> Client::GetOptions(absl::string_view handle,
                                                     const CallOptions& options) const {
  if (handle.empty()) return EmptyHandleStatus();
  v1::GetOptionsRequest request;
  request.set_handle(std::string(handle));
  return Idempotent<v1::SocketOptions>(options, [&](const CallOptions& attempt) {
    return Invoke<v1::SocketOptions>(
        attempt, [&](grpc::ClientContext* context, v1::SocketOptions* response) {
          return stub_->GetOptions(context, request, response);
        });
  });
}

}  // namespace socketsvc
