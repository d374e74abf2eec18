// Pipe streams through a replica that does not hold the socket: relayed to
// the owner with flow control, half-close, the owner's EOF and errors, the
// caller's principal and cancellation. The C++ SDK names the handle in
// metadata (routed before the first message); a raw stream without it is
// routed by its first message, also to the entry replica itself.
#include <grpcpp/create_channel.h>

#include <memory>
#include <string>
#include <thread>

#include "absl/time/clock.h"
#include "client/pipe_stream.h"
#include "common/grpc_status.h"
#include "tests/peers/peers.h"
#include "tests/routing/routing_cluster.h"

namespace socketsvc::routing_test {
namespace {

using RawPipe = grpc::ClientReaderWriter<v1::PipeRequest, v1::PipeResponse>;

class RoutingPipeTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(cluster_.started()); }
  void TearDown() override {
    if (HasFailure()) ADD_FAILURE() << cluster_.StderrOfAll();
  }

  std::string ConnectOn(int owner, uint16_t port, const char* token = kAliceToken) {
    absl::StatusOr<v1::ConnectResponse> connected =
        cluster_.ClientOf(owner, token).Connect("127.0.0.1", port, 5000);
    EXPECT_TRUE(connected.ok()) << connected.status();
    return connected.ok() ? connected->handle() : "";
  }

  // Pumps `bytes` through `pipe` to an echo peer and reads them all back,
  // then half-closes and expects the peer's EOF and an OK end.
  static void EchoThrough(PipeStream& pipe, size_t bytes) {
    const std::string block(16 * 1024, 'p');
    std::thread writer([&] {
      for (size_t sent = 0; sent < bytes; sent += block.size()) {
        if (!pipe.Write(block.substr(0, std::min(block.size(), bytes - sent)))) return;
      }
      pipe.WritesDone();
    });
    size_t received = 0;
    bool eof = false;
    while (std::optional<PipeChunk> chunk = pipe.Read()) {
      received += chunk->data.size();
      if (chunk->eof) {
        eof = true;
        break;
      }
    }
    writer.join();
    EXPECT_EQ(received, bytes);
    EXPECT_TRUE(eof);
    const absl::Status status = pipe.Finish();
    EXPECT_TRUE(status.ok()) << status;
  }

  // A raw Pipe to replica 0 with alice's token and no routing hint.
  std::unique_ptr<RawPipe> RawPipeTo(int entry, grpc::ClientContext& context,
                                     const char* token = kAliceToken) {
    stub_ = v1::SocketService::NewStub(grpc::CreateChannel(
        cluster_.replica(entry).target(), grpc::InsecureChannelCredentials()));
    context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    return stub_->Pipe(&context);
  }

  RoutingCluster cluster_;
  peers::EchoPeer echo_;
  std::unique_ptr<v1::SocketService::Stub> stub_;
};

TEST_F(RoutingPipeTest, TheSdksPipeReachesPeerSocketsThroughReplicaZero) {
  Client alice = cluster_.ClientOf(0, kAliceToken);
  for (const int owner : {1, 2}) {
    SCOPED_TRACE(owner);
    const std::string handle = ConnectOn(owner, echo_.port());
    absl::StatusOr<std::unique_ptr<PipeStream>> pipe =
        alice.OpenPipe(handle, PipeOptions{/*half_close_on_end=*/true});
    ASSERT_TRUE(pipe.ok()) << pipe.status();
    EchoThrough(**pipe, 1 << 20);
    // The owner saw the stream: every byte went through its socket.
    absl::StatusOr<v1::SocketInfo> info =
        cluster_.ClientOf(owner, kAliceToken).GetInfo(handle);
    ASSERT_TRUE(info.ok()) << info.status();
    EXPECT_EQ(info->bytes_sent(), 1u << 20);
    EXPECT_EQ(info->bytes_received(), 1u << 20);
    EXPECT_TRUE(alice.Close(handle).ok());
  }
}

TEST_F(RoutingPipeTest, ARawPipeIsRoutedByItsFirstMessage) {
  // A peer's socket and one of replica 0's own: both reached by a stream
  // that names its handle only in the first message.
  for (const int owner : {2, 0}) {
    SCOPED_TRACE(owner);
    const std::string handle = ConnectOn(owner, echo_.port());
    grpc::ClientContext context;
    std::unique_ptr<RawPipe> pipe = RawPipeTo(0, context);
    v1::PipeRequest first;
    first.set_handle(handle);
    first.set_data("first bytes|");
    ASSERT_TRUE(pipe->Write(first));
    v1::PipeRequest second;
    second.set_data("second bytes");
    ASSERT_TRUE(pipe->Write(second));
    std::string echoed;
    v1::PipeResponse response;
    while (echoed.size() < 24 && pipe->Read(&response)) echoed += response.data();
    EXPECT_EQ(echoed, "first bytes|second bytes");
    // Without half_close_on_end a half-close ends only the writes; the
    // stream reads on until the peer's EOF or a cancel, after which the
    // socket is usable by unary calls again.
    ASSERT_TRUE(pipe->WritesDone());
    context.TryCancel();
    while (pipe->Read(&response)) {
    }
    const grpc::Status status = pipe->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED) << status.error_message();
    Client alice = cluster_.ClientOf(0, kAliceToken);
    // The cancel reaches the owner's pipe a moment later; a byte the pipe
    // still read would go into a response nobody takes.
    const absl::Time limit = absl::Now() + absl::Seconds(10);
    while (alice.GetInfo(handle)->piped() && absl::Now() < limit) {
      absl::SleepFor(absl::Milliseconds(5));
    }
    ASSERT_FALSE(alice.GetInfo(handle)->piped());
    ASSERT_TRUE(alice.Send(handle, "unary again", 5000).ok());
    EXPECT_EQ(alice.Receive(handle, 100, 11, 5000)->data(), "unary again");
    EXPECT_TRUE(alice.Close(handle).ok());
  }
}

TEST_F(RoutingPipeTest, ThePrincipalGoesAlongAndErrorsComeBack) {
  const std::string alices = ConnectOn(1, echo_.port());
  // bob may not pipe alice's socket, hinted or not.
  absl::StatusOr<std::unique_ptr<PipeStream>> hinted =
      cluster_.ClientOf(0, kBobToken).OpenPipe(alices);
  absl::Status refused =
      hinted.ok() ? ((*hinted)->Read(), (*hinted)->Finish()) : hinted.status();
  EXPECT_TRUE(
      HasError(refused, absl::StatusCode::kNotFound, v1::SOCKET_ERROR_INVALID_HANDLE));
  grpc::ClientContext context;
  std::unique_ptr<RawPipe> raw = RawPipeTo(0, context, kBobToken);
  v1::PipeRequest first;
  first.set_handle(alices);
  raw->Write(first);
  v1::PipeResponse response;
  EXPECT_FALSE(raw->Read(&response));
  EXPECT_TRUE(HasError(FromGrpcStatus(raw->Finish()), absl::StatusCode::kNotFound,
                       v1::SOCKET_ERROR_INVALID_HANDLE));
  // A second Pipe on a socket already piped: the owner's refusal.
  Client alice = cluster_.ClientOf(0, kAliceToken);
  absl::StatusOr<std::unique_ptr<PipeStream>> one = alice.OpenPipe(alices);
  ASSERT_TRUE(one.ok()) << one.status();
  ASSERT_TRUE((*one)->Write("x"));
  ASSERT_TRUE((*one)->Read().has_value());  // Attached on the owner.
  absl::StatusOr<std::unique_ptr<PipeStream>> two = alice.OpenPipe(alices);
  const absl::Status second =
      two.ok() ? ((*two)->Read(), (*two)->Finish()) : two.status();
  EXPECT_EQ(second.code(), absl::StatusCode::kFailedPrecondition) << second;
  (*one)->Cancel();
  (*one)->Finish();
}

TEST_F(RoutingPipeTest, CancellingThePipeLeavesTheOwnersSocketUsable) {
  const std::string handle = ConnectOn(2, echo_.port());
  Client alice = cluster_.ClientOf(0, kAliceToken);
  Client owner = cluster_.ClientOf(2, kAliceToken);
  absl::StatusOr<std::unique_ptr<PipeStream>> pipe = alice.OpenPipe(handle);
  ASSERT_TRUE(pipe.ok()) << pipe.status();
  ASSERT_TRUE((*pipe)->Write("through the pipe"));
  std::optional<PipeChunk> chunk = (*pipe)->Read();
  ASSERT_TRUE(chunk.has_value());
  EXPECT_TRUE(owner.GetInfo(handle)->piped());
  (*pipe)->Cancel();
  EXPECT_EQ((*pipe)->Finish().code(), absl::StatusCode::kCancelled);
  // The cancellation reached the owner: the pipe detaches there.
  const absl::Time limit = absl::Now() + absl::Seconds(10);
  while (owner.GetInfo(handle)->piped() && absl::Now() < limit) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_FALSE(owner.GetInfo(handle)->piped());
  ASSERT_TRUE(alice.Send(handle, "after", 5000).ok());
  std::string rest;
  while (rest.find("after") == std::string::npos) {
    absl::StatusOr<v1::ReceiveResponse> r = alice.Receive(handle, 100, 1, 5000);
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_FALSE(r->timed_out());
    rest += r->data();
  }
  // Whatever the pipe had not delivered yet comes first, nothing is lost.
  EXPECT_EQ(chunk->data + rest, "through the pipeafter");
}

}  // namespace
}  // namespace socketsvc::routing_test
