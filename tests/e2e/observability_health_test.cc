// grpc.health.v1.Health and server reflection of the socketd binary, with
// generated clients of both protocols: SERVING while up, NOT_SERVING as soon
// as the SIGTERM drain begins (while socketd still runs), reflection listing
// and describing SocketService when --reflection is given.
//
// This binary must not link gRPC's reflection server library (see
// //third_party/grpc_protos); it only talks to socketd as a process.
#include <google/protobuf/descriptor.pb.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <signal.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/client.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/e2e/socketd_process.h"
#include "tests/peers/peers.h"
#include "tests/tls/subprocess.h"

namespace socketsvc::e2e {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;
namespace reflection = grpc::reflection::v1alpha;

std::shared_ptr<grpc::Channel> Channel(const SocketdProcess& socketd) {
  return grpc::CreateChannel(socketd.target(), grpc::InsecureChannelCredentials());
}

// No credentials: probes have none.
grpc::Status Check(const std::shared_ptr<grpc::Channel>& channel, const std::string& service,
                   HealthCheckResponse* response) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  HealthCheckRequest request;
  request.set_service(service);
  return Health::NewStub(channel)->Check(&context, request, response);
}

// The process state letter from /proc (R, S, Z for exited but not reaped).
char ProcessState(pid_t pid) {
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  std::getline(stat, line);
  const size_t paren = line.rfind(')');
  return paren == std::string::npos || paren + 2 >= line.size() ? '?' : line[paren + 2];
}

TEST(ObservabilityHealthTest, ServingUntilTheDrainBegins) {
  // The peer never reads nor closes: the drain of its socket lasts until
  // --drain_timeout_ms, which gives health checks time to see it.
  peers::ScriptedPeer peer([](peers::PeerConnection& conn) {
    conn.SleepFor(std::chrono::seconds(20));
  });
  const uint16_t metrics_port = tls::PickFreePort();
  SocketdProcess socketd(
      {"--drain_timeout_ms=3000", absl::StrCat("--metrics_port=", metrics_port)});
  ASSERT_TRUE(socketd.started());
  const std::shared_ptr<grpc::Channel> channel = Channel(socketd);
  HealthCheckResponse response;
  ASSERT_TRUE(Check(channel, "", &response).ok());
  EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);
  ASSERT_TRUE(Check(channel, "socketsvc.v1.SocketService", &response).ok());
  EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);
  EXPECT_EQ(Check(channel, "no.such.Service", &response).error_code(),
            grpc::StatusCode::NOT_FOUND);

  const Client client = Client::Create(socketd.target());
  ASSERT_TRUE(client.Connect("127.0.0.1", peer.port(), 5000).ok());

  // A Watch, as gRPC clients' own health checking uses.
  grpc::ClientContext watch_context;
  HealthCheckRequest watch_request;
  std::unique_ptr<grpc::ClientReader<HealthCheckResponse>> watch =
      Health::NewStub(channel)->Watch(&watch_context, watch_request);
  ASSERT_TRUE(watch->Read(&response));
  EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);

  const absl::Time signalled = absl::Now();
  ASSERT_EQ(kill(socketd.pid(), SIGTERM), 0);
  ASSERT_TRUE(watch->Read(&response));
  EXPECT_EQ(response.status(), HealthCheckResponse::NOT_SERVING);
  // Seen while socketd still drains (its socket stays open for 3 s).
  const char state = ProcessState(socketd.pid());
  EXPECT_TRUE(state == 'R' || state == 'S') << state;
  EXPECT_LT(absl::Now() - signalled, absl::Seconds(2));
  // A new probe during the drain is never told SERVING: socketd takes no
  // new calls (gRPC fails them UNAVAILABLE or CANCELLED), or answers
  // NOT_SERVING if the call got in.
  response.Clear();
  const grpc::Status during = Check(Channel(socketd), "", &response);
  EXPECT_FALSE(during.ok() && response.status() == HealthCheckResponse::SERVING)
      << during.error_code();
  EXPECT_TRUE(during.ok() || during.error_code() == grpc::StatusCode::UNAVAILABLE ||
              during.error_code() == grpc::StatusCode::CANCELLED)
      << during.error_code() << " " << during.error_message();
  // Metrics keep answering during the drain, and say so.
  const tls::CommandResult scrape = tls::RunCommand(
      {"curl", "-sS", "--max-time", "5", absl::StrCat("http://127.0.0.1:", metrics_port, "/metrics")});
  EXPECT_TRUE(absl::StrContains(scrape.output, "\nsocketd_serving 0\n")) << scrape.output;
  EXPECT_TRUE(absl::StrContains(scrape.output, "\nsocketd_sessions{state=\"closing\"} 1\n"))
      << scrape.output;

  const int status = socketd.SignalAndWait(SIGTERM, 15000);
  EXPECT_EQ(status, 0);
  // The drain waited for the socket.
  EXPECT_GE(absl::Now() - signalled, absl::Seconds(2));
  watch_context.TryCancel();
  watch->Finish();
}

// Sends one request on a reflection stream and returns the answer.
reflection::ServerReflectionResponse Ask(
    grpc::ClientReaderWriter<reflection::ServerReflectionRequest,
                             reflection::ServerReflectionResponse>& stream,
    const reflection::ServerReflectionRequest& request) {
  reflection::ServerReflectionResponse response;
  EXPECT_TRUE(stream.Write(request));
  EXPECT_TRUE(stream.Read(&response));
  return response;
}

TEST(ObservabilityHealthTest, ReflectionDescribesTheApiWhenEnabled) {
  SocketdProcess socketd({"--reflection"});
  ASSERT_TRUE(socketd.started());
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto stream =
      reflection::ServerReflection::NewStub(Channel(socketd))->ServerReflectionInfo(&context);

  reflection::ServerReflectionRequest list;
  list.set_list_services("");
  const reflection::ServerReflectionResponse services = Ask(*stream, list);
  std::vector<std::string> names;
  for (const reflection::ServiceResponse& service :
       services.list_services_response().service()) {
    names.push_back(service.name());
  }
  EXPECT_NE(std::find(names.begin(), names.end(), "socketsvc.v1.SocketService"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "grpc.health.v1.Health"), names.end());

  // The file that defines SocketService, as grpcurl would fetch it.
  reflection::ServerReflectionRequest symbol;
  symbol.set_file_containing_symbol("socketsvc.v1.SocketService");
  const reflection::ServerReflectionResponse files = Ask(*stream, symbol);
  ASSERT_GT(files.file_descriptor_response().file_descriptor_proto_size(), 0)
      << files.DebugString();
  bool found = false;
  for (const std::string& bytes : files.file_descriptor_response().file_descriptor_proto()) {
    google::protobuf::FileDescriptorProto file;
    ASSERT_TRUE(file.ParseFromString(bytes));
    for (const google::protobuf::ServiceDescriptorProto& service : file.service()) {
      if (service.name() != "SocketService") continue;
      found = true;
      std::vector<std::string> methods;
      for (const auto& method : service.method()) methods.push_back(method.name());
      EXPECT_NE(std::find(methods.begin(), methods.end(), "Connect"), methods.end());
      EXPECT_NE(std::find(methods.begin(), methods.end(), "Pipe"), methods.end());
    }
  }
  EXPECT_TRUE(found);
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_EQ(socketd.SignalAndWait(SIGTERM, 10000), 0);
}

TEST(ObservabilityHealthTest, NoReflectionByDefault) {
  SocketdProcess socketd;
  ASSERT_TRUE(socketd.started());
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto stream =
      reflection::ServerReflection::NewStub(Channel(socketd))->ServerReflectionInfo(&context);
  reflection::ServerReflectionRequest list;
  list.set_list_services("");
  stream->Write(list);
  reflection::ServerReflectionResponse response;
  EXPECT_FALSE(stream->Read(&response));
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::UNIMPLEMENTED);
  // Health needs no flag.
  HealthCheckResponse health;
  ASSERT_TRUE(Check(Channel(socketd), "", &health).ok());
  EXPECT_EQ(health.status(), HealthCheckResponse::SERVING);
}

}  // namespace
}  // namespace socketsvc::e2e
