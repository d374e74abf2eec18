#include "client/socketctl/health.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/byte_buffer.h>

#include <cstdio>
#include <future>

#include "absl/strings/str_cat.h"
#include "client/socketctl/errors.h"
#include "client/socketctl/output.h"
#include "common/grpc_status.h"

namespace socketsvc::socketctl {
namespace {

constexpr char kCheckMethod[] = "/grpc.health.v1.Health/Check";

// HealthCheckRequest{service = 1}, encoded by hand: the message is one
// string field, and socketctl need not link the health proto for it.
std::string EncodeRequest(const std::string& service) {
  std::string out;
  if (service.empty()) return out;
  out.push_back(0x0a);  // Field 1, length-delimited.
  for (size_t n = service.size();; n >>= 7) {
    if (n < 0x80) {
      out.push_back(static_cast<char>(n));
      break;
    }
    out.push_back(static_cast<char>((n & 0x7f) | 0x80));
  }
  return out + service;
}

// HealthCheckResponse{status = 1} (an enum, small varint); 0 (UNKNOWN)
// when absent, -1 when the bytes are not that message.
int DecodeStatus(const std::string& bytes) {
  if (bytes.empty()) return 0;
  if (bytes.size() != 2 || bytes[0] != 0x08 || (bytes[1] & 0x80) != 0) return -1;
  return bytes[1];
}

const char* StatusName(int status) {
  switch (status) {
    case 0:
      return "UNKNOWN";
    case 1:
      return "SERVING";
    case 2:
      return "NOT_SERVING";
    case 3:
      return "SERVICE_UNKNOWN";
    default:
      return "MALFORMED";
  }
}

std::shared_ptr<grpc::Channel> HealthChannel(
    const std::string& server, const ClientCredentialsOptions& credentials) {
  grpc::ChannelArguments arguments;
  if (!credentials.use_tls && credentials.root_ca_pem.empty() &&
      credentials.client_cert_pem.empty()) {
    return grpc::CreateCustomChannel(server, grpc::InsecureChannelCredentials(),
                                     arguments);
  }
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = credentials.root_ca_pem;
  ssl.pem_cert_chain = credentials.client_cert_pem;
  ssl.pem_private_key = credentials.client_key_pem;
  if (!credentials.server_name_override.empty()) {
    arguments.SetSslTargetNameOverride(credentials.server_name_override);
  }
  return grpc::CreateCustomChannel(server, grpc::SslCredentials(ssl), arguments);
}

}  // namespace

int CmdHealth(const std::string& server, const ClientCredentialsOptions& credentials,
              absl::Duration rpc_timeout, const std::vector<std::string>& args) {
  if (args.size() > 1) return UsageError("usage: health [SERVICE]");
  const std::string service = args.empty() ? "" : args[0];
  grpc::GenericStub stub(HealthChannel(server, credentials));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(
      absl::Now() +
      (rpc_timeout == absl::InfiniteDuration() ? absl::Seconds(5) : rpc_timeout)));
  grpc::Slice request_slice(EncodeRequest(service));
  grpc::ByteBuffer request(&request_slice, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, kCheckMethod, grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status status) { done.set_value(std::move(status)); });
  const grpc::Status status = done.get_future().get();
  if (!status.ok()) return Report("health", FromGrpcStatus(status));
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (response.Dump(&slices).ok()) {
    for (const grpc::Slice& slice : slices) {
      bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
    }
  }
  const int serving = DecodeStatus(bytes);
  std::printf("%s\n", StatusName(serving));
  if (serving == 1) return kOk;
  return serving == 3 ? kNotFound : kUnreachable;
}

}  // namespace socketsvc::socketctl
