// Pipe, around the bytes: one pipe per socket, unary calls waiting their
// turn, ownership and authentication, Close / Close(PARTIAL) / the idle
// timeout / socketd's shutdown during a pipe, and request validation.
#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>

#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/grpc_status.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/e2e/pipe_test_util.h"
#include "tests/peers/peers.h"
#include "tests/tls/subprocess.h"

namespace socketsvc::e2e {
namespace {

using peers::EchoPeer;
using peers::Ending;
using peers::PeerConnection;
using peers::RecordingPeer;
using peers::ScriptedPeer;

// Reads the next chunk and expects it to be `want` (echo round trips).
void ExpectEcho(PipeStream& pipe, const std::string& want) {
  std::string got;
  while (got.size() < want.size()) {
    std::optional<PipeChunk> chunk = pipe.Read();
    ASSERT_TRUE(chunk.has_value()) << pipe.Finish();
    got += chunk->data;
  }
  EXPECT_EQ(got, want);
}

TEST_F(SocketdTest, SecondPipeIsRefusedAndTheFirstKeepsWorking) {
  EchoPeer peer;
  const std::string handle = ConnectTo(peer.port());
  absl::StatusOr<std::unique_ptr<PipeStream>> first = client_->OpenPipe(handle);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(WaitPiped(*client_, handle, true));
  // The refusal shows in OpenPipe (if it came before the first request
  // left) or in Finish.
  absl::StatusOr<std::unique_ptr<PipeStream>> second = client_->OpenPipe(handle);
  absl::Status refused = second.status();
  if (second.ok()) {
    PipeOutcome outcome = ReadToEnd(**second);
    EXPECT_EQ(outcome.data, "");
    refused = outcome.status;
  }
  EXPECT_TRUE(HasError(refused, absl::StatusCode::kFailedPrecondition,
                       v1::SOCKET_ERROR_HANDLE_BUSY));
  ASSERT_TRUE((*first)->Write("still mine"));
  ExpectEcho(**first, "still mine");
  EXPECT_TRUE(Info(handle).piped());
}

// Unary calls arriving while a pipe runs wait behind it in arrival order,
// and go as soon as it ends.
TEST_F(SocketdTest, UnaryCallsWaitTheirTurnBehindThePipe) {
  RecordingPeer peer;
  const std::string handle = ConnectTo(peer.port());
  absl::StatusOr<std::unique_ptr<PipeStream>> pipe = client_->OpenPipe(handle);
  ASSERT_TRUE(pipe.ok()) << pipe.status();
  ASSERT_TRUE(WaitPiped(*client_, handle, true));
  absl::StatusOr<v1::SendResponse> late = client_->Send(handle, "late", 300);
  ASSERT_TRUE(late.ok()) << late.status();
  EXPECT_TRUE(late->timed_out());
  EXPECT_EQ(late->bytes_sent(), 0u);
  absl::StatusOr<v1::ReceiveResponse> nothing = client_->Receive(handle, 0, 0, 300);
  ASSERT_TRUE(nothing.ok()) << nothing.status();
  EXPECT_TRUE(nothing->timed_out());

  std::future<absl::StatusOr<v1::SendResponse>> queued = std::async(
      std::launch::async, [&] { return client_->Send(handle, "queued", 20000); });
  const absl::Time end = absl::Now() + absl::Seconds(10);
  while (Info(handle).pending_sends() != 1 && absl::Now() < end) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  const v1::SocketInfo info = Info(handle);
  EXPECT_EQ(info.pending_sends(), 1u);
  EXPECT_EQ(info.pending_receives(), 0u);
  EXPECT_TRUE(info.piped());
  ASSERT_TRUE((*pipe)->Write("first;"));
  ASSERT_TRUE(peer.WaitForReceived(6));
  EXPECT_EQ(peer.received(), "first;");
  (*pipe)->Cancel();
  absl::StatusOr<v1::SendResponse> sent = queued.get();
  ASSERT_TRUE(sent.ok()) << sent.status();
  EXPECT_EQ(sent->bytes_sent(), 6u);
  ASSERT_TRUE(peer.WaitForReceived(12));
  EXPECT_EQ(peer.received(), "first;queued");
}

TEST_F(SocketdTest, CloseDuringAPipeEndsTheStream) {
  for (v1::CloseMode mode : {v1::CLOSE_MODE_COMPLETE, v1::CLOSE_MODE_ABORT}) {
    EchoPeer peer;
    const std::string handle = ConnectTo(peer.port());
    absl::StatusOr<std::unique_ptr<PipeStream>> pipe = client_->OpenPipe(handle);
    ASSERT_TRUE(pipe.ok()) << pipe.status();
    ASSERT_TRUE((*pipe)->Write("ping"));
    ExpectEcho(**pipe, "ping");
    std::future<PipeOutcome> outcome =
        std::async(std::launch::async, [&] { return ReadToEnd(**pipe); });
    absl::StatusOr<v1::CloseResponse> closed = client_->Close(handle, mode, 5000);
    ASSERT_TRUE(closed.ok()) << closed.status();
    EXPECT_TRUE(closed->released());
    ASSERT_EQ(outcome.wait_for(std::chrono::seconds(10)), std::future_status::ready)
        << v1::CloseMode_Name(mode);
    EXPECT_TRUE(HasError(outcome.get().status, absl::StatusCode::kAborted,
                         v1::SOCKET_ERROR_NOT_CONNECTED))
        << v1::CloseMode_Name(mode);
  }
}

// Close(PARTIAL) takes the pipe's writing (a later write fails like a
// unary Send would), not its reading.
TEST_F(SocketdTest, PartialCloseDuringAPipeEndsItsWriting) {
  ScriptedPeer peer([](PeerConnection& conn) {
    // Until our FIN (or the peer is stopped: Read then says `stopped`).
    for (PeerConnection::ReadResult r; !r.stopped && r.ending == Ending::kOpen;) {
      r = conn.Read();
    }
    conn.SleepFor(std::chrono::seconds(30));  // Until the test ends.
  });
  const std::string handle = ConnectTo(peer.port());
  absl::StatusOr<std::unique_ptr<PipeStream>> pipe = client_->OpenPipe(handle);
  ASSERT_TRUE(pipe.ok()) << pipe.status();
  ASSERT_TRUE(WaitPiped(*client_, handle, true));
  absl::StatusOr<v1::CloseResponse> closed =
      client_->Close(handle, v1::CLOSE_MODE_PARTIAL, 5000);
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_FALSE(closed->released());
  EXPECT_TRUE(Info(handle).piped());
  (*pipe)->Write("too late");
  PipeOutcome outcome = ReadToEnd(**pipe);
  EXPECT_TRUE(HasError(outcome.status, absl::StatusCode::kFailedPrecondition,
                       v1::SOCKET_ERROR_BROKEN_PIPE));
  EXPECT_EQ(Info(handle).state(), v1::SOCKET_STATE_HALF_CLOSED);
}

TEST_F(SocketdTest, ShutdownDuringAPipeEndsTheStream) {
  EchoPeer peer;
  const std::string handle = ConnectTo(peer.port());
  absl::StatusOr<std::unique_ptr<PipeStream>> pipe = client_->OpenPipe(handle);
  ASSERT_TRUE(pipe.ok()) << pipe.status();
  ASSERT_TRUE((*pipe)->Write("ping"));
  ExpectEcho(**pipe, "ping");
  const absl::Time start = absl::Now();
  std::thread stopper([&] { server_->Shutdown(absl::Seconds(5)); });
  PipeOutcome outcome = ReadToEnd(**pipe);
  stopper.join();
  EXPECT_TRUE(HasError(outcome.status, absl::StatusCode::kUnavailable,
                       v1::SOCKET_ERROR_SHUTTING_DOWN));
  // The echo peer answers the drain's FIN at once: no need for the deadline.
  EXPECT_LT(absl::Now() - start, absl::Seconds(4));
}

class PipeIdleTest : public SocketdTest {
 protected:
  ServerOptions Options() override {
    ServerOptions options;
    options.session.idle_timeout = absl::Milliseconds(1000);
    return options;
  }
};

// Bytes moving through a pipe keep the socket alive; once they stop, the
// idle timeout resets it and the stream ends like any pending call.
TEST_F(PipeIdleTest, PipeTrafficCountsAndTheIdleTimeoutEndsTheStream) {
  EchoPeer peer;
  const std::string handle = ConnectTo(peer.port());
  absl::StatusOr<std::unique_ptr<PipeStream>> pipe = client_->OpenPipe(handle);
  ASSERT_TRUE(pipe.ok()) << pipe.status();
  // Busy for well over one timeout period, a round trip every 100 ms.
  const absl::Time busy_until = absl::Now() + absl::Milliseconds(2500);
  while (absl::Now() < busy_until) {
    ASSERT_TRUE((*pipe)->Write("tick"));
    ExpectEcho(**pipe, "tick");
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_TRUE(client_->GetInfo(handle).ok());
  PipeOutcome outcome = ReadToEnd(**pipe);
  EXPECT_TRUE(HasError(outcome.status, absl::StatusCode::kAborted,
                       v1::SOCKET_ERROR_TIMED_OUT));
  EXPECT_EQ(client_->GetInfo(handle).status().code(), absl::StatusCode::kNotFound);
}

class PipeAuthTest : public SocketdTest {
 protected:
  ServerOptions Options() override {
    ServerOptions options;
    const std::string tokens = dir_.File("tokens");
    EXPECT_TRUE(tls::WriteFile(tokens, "alice-0123456789abcdef alice\n"
                                       "bob-0123456789abcdef bob\n"));
    options.auth.tokens_file = tokens;
    return options;
  }
  tls::TempDir dir_{"pipe_auth"};
};

TEST_F(PipeAuthTest, AnotherPrincipalGetsNotFoundAndNoTokenIsRefused) {
  const Client alice = client_->WithBearerToken("alice-0123456789abcdef");
  const Client bob = client_->WithBearerToken("bob-0123456789abcdef");
  EchoPeer peer;
  absl::StatusOr<v1::ConnectResponse> connected = alice.Connect("127.0.0.1", peer.port(), 5000);
  ASSERT_TRUE(connected.ok()) << connected.status();
  const std::string handle = connected->handle();
  std::string unknown = handle;
  unknown.back() = unknown.back() == '0' ? '1' : '0';
  // A refusal shows in OpenPipe (when it comes before the first request
  // left) or in Finish.
  auto refusal = [](const Client& client, const std::string& h) {
    absl::StatusOr<std::unique_ptr<PipeStream>> pipe = client.OpenPipe(h);
    return pipe.ok() ? ReadToEnd(**pipe).status : pipe.status();
  };
  absl::Status foreign = refusal(bob, handle);
  absl::Status missing = refusal(bob, unknown);
  EXPECT_TRUE(HasError(foreign, absl::StatusCode::kNotFound, v1::SOCKET_ERROR_INVALID_HANDLE));
  EXPECT_EQ(foreign.message(), missing.message());
  EXPECT_TRUE(HasError(refusal(*client_, handle), absl::StatusCode::kUnauthenticated,
                       v1::SOCKET_ERROR_UNAUTHENTICATED));
  absl::StatusOr<std::unique_ptr<PipeStream>> mine = alice.OpenPipe(handle);
  ASSERT_TRUE(mine.ok()) << mine.status();
  ASSERT_TRUE((*mine)->Write("alice's"));
  ExpectEcho(**mine, "alice's");
}

// Raw streams: what the SDK never sends.
absl::Status RawPipe(const Client& client, const std::vector<v1::PipeRequest>& requests) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto stream = client.stub()->Pipe(&context);
  for (const v1::PipeRequest& request : requests) {
    if (!stream->Write(request)) break;
  }
  stream->WritesDone();
  v1::PipeResponse ignored;
  while (stream->Read(&ignored)) {
  }
  return FromGrpcStatus(stream->Finish());
}

TEST_F(SocketdTest, PipeRequestsAreValidated) {
  EchoPeer peer;
  const std::string handle = ConnectTo(peer.port());
  v1::PipeRequest first;
  first.set_handle(handle);
  v1::PipeRequest empty;
  EXPECT_TRUE(HasError(RawPipe(*client_, {}), absl::StatusCode::kInvalidArgument,
                       v1::SOCKET_ERROR_INVALID_REQUEST));
  EXPECT_TRUE(HasError(RawPipe(*client_, {empty}), absl::StatusCode::kInvalidArgument,
                       v1::SOCKET_ERROR_INVALID_REQUEST));
  v1::PipeRequest malformed;
  malformed.set_handle("s1.not-a-handle");
  EXPECT_TRUE(HasError(RawPipe(*client_, {malformed}), absl::StatusCode::kNotFound,
                       v1::SOCKET_ERROR_INVALID_HANDLE));
  v1::PipeRequest too_big = first;
  too_big.set_data(std::string((4 << 20) + 1, 'x'));
  EXPECT_TRUE(HasError(RawPipe(*client_, {too_big}), absl::StatusCode::kResourceExhausted,
                       v1::SOCKET_ERROR_LIMIT_EXCEEDED));
  v1::PipeRequest other = empty;
  other.set_handle(handle + "0");
  EXPECT_TRUE(HasError(RawPipe(*client_, {first, other}),
                       absl::StatusCode::kInvalidArgument,
                       v1::SOCKET_ERROR_INVALID_REQUEST));
  v1::PipeRequest late_option = empty;
  late_option.set_max_chunk_bytes(10);
  EXPECT_TRUE(HasError(RawPipe(*client_, {first, late_option}),
                       absl::StatusCode::kInvalidArgument,
                       v1::SOCKET_ERROR_INVALID_REQUEST));
  // None of it touched the socket.
  ASSERT_TRUE(WaitPiped(*client_, handle, false));
  const v1::SocketInfo info = Info(handle);
  EXPECT_EQ(info.state(), v1::SOCKET_STATE_OPEN);
  EXPECT_EQ(info.bytes_sent(), 0u);
  // StartTls waits for no pipe: it is refused while one runs.
  absl::StatusOr<std::unique_ptr<PipeStream>> pipe = client_->OpenPipe(handle);
  ASSERT_TRUE(pipe.ok()) << pipe.status();
  ASSERT_TRUE(WaitPiped(*client_, handle, true));
  EXPECT_EQ(client_->StartTls(handle, v1::TlsOptions(), 1000).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

// Writes `messages` (raw bytes, parseable or not) on a Pipe stream, then
// half-closes and reads to the end. Not through the SDK: it only sends
// well-formed requests.
class RawBytesStream : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  RawBytesStream(grpc::GenericStub& stub, std::vector<std::string> messages,
                 std::chrono::milliseconds deadline)
      : messages_(std::move(messages)) {
    context_.set_deadline(std::chrono::system_clock::now() + deadline);
    stub.PrepareBidiStreamingCall(&context_, "/socketsvc.v1.SocketService/Pipe",
                                  grpc::StubOptions(), this);
    StartRead(&in_);
    WriteNext();
    StartCall();
  }
  grpc::Status Wait() { return done_.get_future().get(); }

  void OnWriteDone(bool ok) override {
    if (ok) WriteNext();
  }
  void OnReadDone(bool ok) override {
    if (ok) StartRead(&in_);
  }
  void OnDone(const grpc::Status& status) override { done_.set_value(status); }

 private:
  void WriteNext() {
    if (next_ == messages_.size()) return StartWritesDone();
    grpc::Slice slice(messages_[next_]);
    ++next_;
    out_ = grpc::ByteBuffer(&slice, 1);
    StartWrite(&out_);
  }

  grpc::ClientContext context_;
  std::vector<std::string> messages_;
  size_t next_ = 0;
  grpc::ByteBuffer out_;
  grpc::ByteBuffer in_;
  std::promise<grpc::Status> done_;
};

// Bytes that are no PipeRequest: gRPC reports them to socketd exactly as
// the end of the client's writes. First: the stream ends INVALID_ARGUMENT.
// Later: as WritesDone (the pipe reads on until EOF, here until the
// deadline). socketd and the socket carry on.
TEST_F(SocketdTest, PipeSurvivesUnparseableRequests) {
  EchoPeer peer;
  const std::string handle = ConnectTo(peer.port());
  v1::PipeRequest first;
  first.set_handle(handle);
  const std::string valid = first.SerializeAsString();
  const std::string garbage[] = {std::string("\xff\xff\xff\xff", 4),
                                 std::string("\x0a\x05s1.\xc3", 6),  // handle, not UTF-8
                                 std::string(100, '\x12')};
  grpc::GenericStub stub(grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                             grpc::InsecureChannelCredentials()));
  for (const std::string& bad : garbage) {
    RawBytesStream alone(stub, {bad}, std::chrono::seconds(10));
    const grpc::Status status = alone.Wait();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << status.error_message();
    RawBytesStream later(stub, {valid, bad}, std::chrono::milliseconds(500));
    EXPECT_EQ(later.Wait().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  }
  ASSERT_TRUE(WaitPiped(*client_, handle, false));
  EXPECT_EQ(Info(handle).state(), v1::SOCKET_STATE_OPEN);
  absl::StatusOr<std::unique_ptr<PipeStream>> pipe = client_->OpenPipe(handle);
  ASSERT_TRUE(pipe.ok()) << pipe.status();
  ASSERT_TRUE((*pipe)->Write("after the garbage"));
  ExpectEcho(**pipe, "after the garbage");
}

}  // namespace
}  // namespace socketsvc::e2e
