// Every RPC's request checks (service/api/request_validation.h, the
// timeout_ms convention, the HTTP server limits, TLS options) with arbitrary
// bytes parsed as that RPC's request message.
//
// Input: one byte picking the RPC (kRpcs below, modulo their number), then
// the serialized request. Bytes that do not parse are skipped: gRPC refuses
// them before any handler runs (also a proto3 string that is not UTF-8).
#include <google/protobuf/stubs/logging.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "common/socket_error.h"
#include "service/api/request_validation.h"
#include "service/api/timeouts.h"
#include "service/http/http_limits.h"
#include "service/http/http_response.h"
#include "service/http/http_tls.h"
#include "service/net/socket_options.h"
#include "service/sessions/handle.h"
#include "service/tls/tls_client_context.h"
#include "socketsvc/v1/sockets.pb.h"
#include "tests/fuzz/fuzz_check.h"

namespace socketsvc {
namespace {

enum Rpc : uint8_t {
  kConnect,
  kSend,
  kReceive,
  kClose,
  kGetInfo,
  kStartTls,
  kResolve,
  kListen,
  kAccept,
  kServerCreate,
  kServerReceive,
  kServerSend,
  kServerDelete,
  kGetServerInfo,
  kSetOptions,
  kGetOptions,
  kRpcs,
};

// socketd's defaults (main.cc's flags).
constexpr uint32_t kMaxSendBytes = 4 * 1024 * 1024;
constexpr uint32_t kDefaultReceiveBytes = 64 * 1024;
constexpr uint32_t kMaxReceiveBytes = 4 * 1024 * 1024 - 64 * 1024;

// A refusal carries the socket error the SDK maps to errno.
void CheckRefusal(const absl::Status& status) {
  if (status.ok()) return;
  FUZZ_CHECK(GetSocketError(status) != v1::SOCKET_ERROR_UNSPECIFIED);
  FUZZ_CHECK(status.code() == absl::StatusCode::kInvalidArgument ||
             status.code() == absl::StatusCode::kNotFound ||
             status.code() == absl::StatusCode::kResourceExhausted);
}

// The handler's deadline arithmetic: Connect's and every other blocking
// call's timeout_ms against a gRPC deadline.
template <typename Request>
void CheckDeadline(const Request& request) {
  const absl::Time now = absl::Now();
  std::optional<int64_t> timeout_ms;
  if (request.has_timeout_ms()) timeout_ms = request.timeout_ms();
  for (absl::Duration unset : {absl::Minutes(5), absl::InfiniteDuration()}) {
    absl::StatusOr<absl::Time> deadline = DeadlineFromTimeout(timeout_ms, unset, now);
    if (!deadline.ok()) {
      CheckRefusal(deadline.status());
      FUZZ_CHECK(timeout_ms.has_value() && *timeout_ms < -1);
      continue;
    }
    for (absl::Time rpc : {absl::InfiniteFuture(), now + absl::Seconds(1), now}) {
      const absl::Time clamped = ClampToRpcDeadline(*deadline, rpc, now);
      FUZZ_CHECK(clamped <= *deadline);
    }
  }
}

void CheckHandle(const std::string& handle, absl::string_view field,
                 bool listener = false) {
  const absl::Status status = CheckHandleShape(handle, field, listener);
  CheckRefusal(status);
  if (status.ok()) FUZZ_CHECK(IsWellFormedHandle(handle));
}

const TlsClientContext& ClientContext() {
  // An empty CA directory: loading trust is lazy and cheap, unlike the
  // system's CA file, which every ca_pem would otherwise parse again.
  static const TlsClientContext* context = [] {
    const std::filesystem::path dir =
        std::filesystem::temp_directory_path() / "socketsvc-fuzz-empty-ca-dir";
    std::filesystem::create_directories(dir);
    absl::StatusOr<TlsClientContext> created =
        TlsClientContext::Create(TlsTrustOptions{"", dir.string()});
    FUZZ_CHECK(created.ok());
    return new TlsClientContext(std::move(*created));
  }();
  return *context;
}

void CheckTls(const v1::TlsOptions& options, absl::string_view host) {
  absl::StatusOr<TlsClientSetup> setup = ClientContext().NewSsl(options, host);
  CheckRefusal(setup.status());
  if (setup.ok()) {
    FUZZ_CHECK(setup->ssl != nullptr);
    FUZZ_CHECK(!setup->server_name.empty() && setup->server_name.size() <= 255);
  }
}

template <typename Message>
bool Parse(absl::string_view bytes, Message& message) {
  return message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

void FuzzOne(Rpc rpc, absl::string_view bytes) {
  switch (rpc) {
    case kConnect: {
      v1::ConnectRequest request;
      if (!Parse(bytes, request)) return;
      const absl::Status status = ValidateConnect(request);
      CheckRefusal(status);
      if (status.ok()) {
        FUZZ_CHECK(!request.host().empty() && request.host().size() <= 255);
        FUZZ_CHECK(request.target_case() == v1::ConnectRequest::kService ||
                   (request.port() >= 1 && request.port() <= 65535));
        if (request.tls().enabled()) CheckTls(request.tls(), request.host());
      }
      CheckDeadline(request);
      return;
    }
    case kSend: {
      v1::SendRequest request;
      if (!Parse(bytes, request)) return;
      CheckHandle(request.handle(), "handle");
      CheckRefusal(ValidateSendSize(request.data().size(), kMaxSendBytes));
      CheckRefusal(ValidateSendSize(request.data().size(), 0));
      const absl::Status offset = ValidateSendOffset(request);
      CheckRefusal(offset);
      // An accepted offset leaves room for every byte of data.
      if (offset.ok() && request.has_offset()) {
        FUZZ_CHECK(request.offset() <= UINT64_MAX - request.data().size());
      }
      CheckDeadline(request);
      return;
    }
    case kReceive: {
      v1::ReceiveRequest request;
      if (!Parse(bytes, request)) return;
      CheckHandle(request.handle(), "handle");
      for (auto [default_bytes, max_bytes] :
           {std::pair<uint32_t, uint32_t>{kDefaultReceiveBytes, kMaxReceiveBytes},
            {0, 0},
            {UINT32_MAX, 1}}) {
        absl::StatusOr<ReceiveSizes> sizes =
            ReceiveSizesFor(request, default_bytes, max_bytes);
        CheckRefusal(sizes.status());
        if (!sizes.ok()) continue;
        FUZZ_CHECK(sizes->min_bytes >= 1);
        FUZZ_CHECK(sizes->min_bytes <= sizes->max_bytes);
        FUZZ_CHECK(sizes->max_bytes <= std::max<uint32_t>(max_bytes, 1));
      }
      const absl::Status offset = ValidateReceiveOffset(request);
      CheckRefusal(offset);
      FUZZ_CHECK(offset.ok() == !(request.peek() && request.has_offset()));
      CheckDeadline(request);
      return;
    }
    case kClose: {
      v1::CloseRequest request;
      if (!Parse(bytes, request)) return;
      CheckHandle(request.handle(), "handle");
      CheckRefusal(ValidateCloseMode(request.mode()));
      CheckRefusal(ValidateListenerClose(request));
      CheckDeadline(request);
      return;
    }
    case kGetInfo: {
      v1::GetInfoRequest request;
      if (!Parse(bytes, request)) return;
      CheckHandle(request.handle(), "handle");
      CheckHandle(request.handle(), "listener", /*listener=*/true);
      return;
    }
    case kStartTls: {
      v1::StartTlsRequest request;
      if (!Parse(bytes, request)) return;
      CheckHandle(request.handle(), "handle");
      CheckTls(request.tls(), "peer.test");
      CheckDeadline(request);
      return;
    }
    case kResolve: {
      v1::ResolveRequest request;
      if (!Parse(bytes, request)) return;
      CheckRefusal(ValidateHostName(request.name(), "name"));
      CheckDeadline(request);
      return;
    }
    case kListen: {
      v1::ListenRequest request;
      if (!Parse(bytes, request)) return;
      absl::StatusOr<boost::asio::ip::tcp::endpoint> endpoint = ListenEndpoint(request);
      CheckRefusal(endpoint.status());
      if (endpoint.ok()) FUZZ_CHECK(endpoint->port() == request.port());
      return;
    }
    case kAccept: {
      v1::AcceptRequest request;
      if (!Parse(bytes, request)) return;
      CheckHandle(request.listener(), "listener", /*listener=*/true);
      CheckDeadline(request);
      return;
    }
    case kServerCreate: {
      v1::ServerCreateRequest request;
      if (!Parse(bytes, request)) return;
      absl::StatusOr<boost::asio::ip::tcp::endpoint> endpoint = ServerEndpoint(request);
      CheckRefusal(endpoint.status());
      if (endpoint.ok()) FUZZ_CHECK(endpoint->port() == request.port());
      const HttpServerDefaults defaults;
      absl::StatusOr<HttpLimits> limits = ResolveHttpLimits(request.limits(), defaults);
      CheckRefusal(limits.status());
      if (limits.ok()) {
        FUZZ_CHECK(limits->max_header_bytes >= 1 &&
                   limits->max_header_bytes <= defaults.max_header_bytes_bound);
        FUZZ_CHECK(limits->max_body_bytes <= defaults.max_body_bytes_bound);
        FUZZ_CHECK(limits->idle_timeout > absl::ZeroDuration() &&
                   limits->idle_timeout <= defaults.timeout_bound);
        FUZZ_CHECK(limits->response_timeout > absl::ZeroDuration() &&
                   limits->response_timeout <= defaults.timeout_bound);
        FUZZ_CHECK(limits->max_pending_requests >= 1 &&
                   limits->max_connections >= 1);
      }
      const v1::ServerTls& tls = request.tls();
      if (!tls.cert_pem().empty() || !tls.key_pem().empty() ||
          !tls.client_ca_pem().empty()) {
        CheckRefusal(MakeServerTlsContext(tls).status());
      }
      return;
    }
    case kServerReceive: {
      v1::ServerReceiveRequest request;
      if (!Parse(bytes, request)) return;
      CheckDeadline(request);
      return;
    }
    case kServerSend: {
      v1::ServerSendRequest request;
      if (!Parse(bytes, request)) return;
      CheckDeadline(request);
      absl::StatusOr<HttpResponse> response =
          BuildResponse(request, RequestFacts(), /*server_keep_alive=*/true,
                        HttpServerDefaults().max_body_bytes, absl::Now());
      CheckRefusal(response.status());
      return;
    }
    case kServerDelete: {
      v1::ServerDeleteRequest request;
      Parse(bytes, request);
      return;
    }
    case kGetServerInfo: {
      v1::GetServerInfoRequest request;
      Parse(bytes, request);
      return;
    }
    case kSetOptions: {
      v1::SetOptionsRequest request;
      if (!Parse(bytes, request)) return;
      CheckHandle(request.handle(), "handle");
      const absl::Status valid = ValidateSocketOptions(request.options());
      CheckRefusal(valid);
      if (valid.ok()) {
        // What passes validation must be settable on a real TCP socket.
        static const int fd = socket(AF_INET, SOCK_STREAM, 0);
        const absl::Status applied = ApplySocketOptions(fd, request.options());
        if (!applied.ok()) {
          std::fprintf(stderr, "ApplySocketOptions: %s\n", applied.ToString().c_str());
        }
        FUZZ_CHECK(applied.ok());
        FUZZ_CHECK(ReadSocketOptions(fd).ok());
      }
      return;
    }
    case kGetOptions: {
      v1::GetOptionsRequest request;
      if (!Parse(bytes, request)) return;
      CheckHandle(request.handle(), "handle");
      return;
    }
    case kRpcs:
      return;
  }
}

}  // namespace
}  // namespace socketsvc

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A proto3 string that is not UTF-8 fails to parse with a log line per
  // input; the failure is what counts, the log only slows fuzzing down.
  static const bool quiet = [] {
    google::protobuf::SetLogHandler(nullptr);
    return true;
  }();
  (void)quiet;
  if (size < 1) return 0;
  const auto rpc = static_cast<socketsvc::Rpc>(data[0] % socketsvc::kRpcs);
  socketsvc::FuzzOne(rpc, absl::string_view(reinterpret_cast<const char*>(data + 1),
                                            size - 1));
  return 0;
}
