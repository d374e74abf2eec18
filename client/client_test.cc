// Unit tests of socketsvc::Client. Most use a fake StubInterface; the
// cancellation and deadline tests run a tiny in-process gRPC service, because
// TryCancel and deadlines only take effect on a real call.
#include "client/client.h"

#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include <cerrno>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/grpc_status.h"
#include "common/socket_error.h"
#include "gtest/gtest.h"

namespace socketsvc {
namespace {

using Stub = v1::SocketService::StubInterface;
using std::chrono::system_clock;

// Records each request and the context's deadline; answers with `status` and
// the canned responses.
class FakeStub : public Stub {
 public:
  grpc::Status status = grpc::Status::OK;
  int calls = 0;
  system_clock::time_point deadline;
  v1::ConnectRequest connect;
  v1::SendRequest send;
  v1::ReceiveRequest receive;
  v1::CloseRequest close;
  v1::GetInfoRequest get_info;
  v1::StartTlsRequest start_tls;
  v1::ResolveRequest resolve;
  v1::SetOptionsRequest set_options;
  v1::GetOptionsRequest get_options;
  v1::ConnectResponse connect_response;
  v1::ReceiveResponse receive_response;
  v1::SocketInfo info_response;

  grpc::Status Connect(grpc::ClientContext* c, const v1::ConnectRequest& r,
                       v1::ConnectResponse* out) override {
    connect = r;
    *out = connect_response;
    return Record(c);
  }
  grpc::Status Send(grpc::ClientContext* c, const v1::SendRequest& r,
                    v1::SendResponse* out) override {
    send = r;
    out->set_bytes_sent(r.data().size());
    return Record(c);
  }
  grpc::Status Receive(grpc::ClientContext* c, const v1::ReceiveRequest& r,
                       v1::ReceiveResponse* out) override {
    receive = r;
    *out = receive_response;
    return Record(c);
  }
  grpc::Status Close(grpc::ClientContext* c, const v1::CloseRequest& r,
                     v1::CloseResponse* out) override {
    close = r;
    out->set_released(r.mode() != v1::CLOSE_MODE_PARTIAL);
    return Record(c);
  }
  grpc::Status GetInfo(grpc::ClientContext* c, const v1::GetInfoRequest& r,
                       v1::SocketInfo* out) override {
    get_info = r;
    *out = info_response;
    return Record(c);
  }
  grpc::Status StartTls(grpc::ClientContext* c, const v1::StartTlsRequest& r,
                        v1::StartTlsResponse*) override {
    start_tls = r;
    return Record(c);
  }
  grpc::Status Resolve(grpc::ClientContext* c, const v1::ResolveRequest& r,
                       v1::ResolveResponse*) override {
    resolve = r;
    return Record(c);
  }
  grpc::Status SetOptions(grpc::ClientContext* c, const v1::SetOptionsRequest& r,
                          v1::SocketOptions* out) override {
    set_options = r;
    *out = r.options();
    return Record(c);
  }
  grpc::Status GetOptions(grpc::ClientContext* c, const v1::GetOptionsRequest& r,
                          v1::SocketOptions* out) override {
    get_options = r;
    out->set_tcp_nodelay(true);
    return Record(c);
  }
  // Server-side calls are pass-throughs; only that they reach the stub counts.
#define SOCKETSVC_FAKE_SYNC_(Method, Req, Resp)                               \
  grpc::Status Method(grpc::ClientContext* c, const Req&, Resp*) override {  \
    return Record(c);                                                        \
  }
  SOCKETSVC_FAKE_SYNC_(Listen, v1::ListenRequest, v1::ListenResponse)
  SOCKETSVC_FAKE_SYNC_(Accept, v1::AcceptRequest, v1::AcceptResponse)
  SOCKETSVC_FAKE_SYNC_(ServerCreate, v1::ServerCreateRequest, v1::ServerCreateResponse)
  SOCKETSVC_FAKE_SYNC_(ServerReceive, v1::ServerReceiveRequest, v1::ServerReceiveResponse)
  SOCKETSVC_FAKE_SYNC_(ServerSend, v1::ServerSendRequest, v1::ServerSendResponse)
  SOCKETSVC_FAKE_SYNC_(ServerDelete, v1::ServerDeleteRequest, v1::ServerDeleteResponse)
  SOCKETSVC_FAKE_SYNC_(GetServerInfo, v1::GetServerInfoRequest, v1::ServerInfo)
  SOCKETSVC_FAKE_SYNC_(Poll, v1::PollRequest, v1::PollResponse)
#undef SOCKETSVC_FAKE_SYNC_

 private:
  grpc::Status Record(grpc::ClientContext* c) {
    ++calls;
    deadline = c->deadline();
    return status;
  }

  // The asynchronous variants are not used by Client.
  template <typename T>
  using Reader = grpc::ClientAsyncResponseReaderInterface<T>;
#define SOCKETSVC_FAKE_ASYNC_(Method, Req, Resp)                             \
  Reader<Resp>* Async##Method##Raw(grpc::ClientContext*, const Req&,         \
                                   grpc::CompletionQueue*) override {        \
    return nullptr;                                                          \
  }                                                                          \
  Reader<Resp>* PrepareAsync##Method##Raw(grpc::ClientContext*, const Req&,  \
                                          grpc::CompletionQueue*) override { \
    return nullptr;                                                          \
  }
  SOCKETSVC_FAKE_ASYNC_(Connect, v1::ConnectRequest, v1::ConnectResponse)
  SOCKETSVC_FAKE_ASYNC_(Send, v1::SendRequest, v1::SendResponse)
  SOCKETSVC_FAKE_ASYNC_(Receive, v1::ReceiveRequest, v1::ReceiveResponse)
  SOCKETSVC_FAKE_ASYNC_(Close, v1::CloseRequest, v1::CloseResponse)
  SOCKETSVC_FAKE_ASYNC_(GetInfo, v1::GetInfoRequest, v1::SocketInfo)
  SOCKETSVC_FAKE_ASYNC_(StartTls, v1::StartTlsRequest, v1::StartTlsResponse)
  SOCKETSVC_FAKE_ASYNC_(Resolve, v1::ResolveRequest, v1::ResolveResponse)
  SOCKETSVC_FAKE_ASYNC_(SetOptions, v1::SetOptionsRequest, v1::SocketOptions)
  SOCKETSVC_FAKE_ASYNC_(GetOptions, v1::GetOptionsRequest, v1::SocketOptions)
  SOCKETSVC_FAKE_ASYNC_(Listen, v1::ListenRequest, v1::ListenResponse)
  SOCKETSVC_FAKE_ASYNC_(Accept, v1::AcceptRequest, v1::AcceptResponse)
  SOCKETSVC_FAKE_ASYNC_(ServerCreate, v1::ServerCreateRequest, v1::ServerCreateResponse)
  SOCKETSVC_FAKE_ASYNC_(ServerReceive, v1::ServerReceiveRequest, v1::ServerReceiveResponse)
  SOCKETSVC_FAKE_ASYNC_(ServerSend, v1::ServerSendRequest, v1::ServerSendResponse)
  SOCKETSVC_FAKE_ASYNC_(ServerDelete, v1::ServerDeleteRequest, v1::ServerDeleteResponse)
  SOCKETSVC_FAKE_ASYNC_(GetServerInfo, v1::GetServerInfoRequest, v1::ServerInfo)
  SOCKETSVC_FAKE_ASYNC_(Poll, v1::PollRequest, v1::PollResponse)
#undef SOCKETSVC_FAKE_ASYNC_
  // Pipe is a stream; its tests run against a real socketd (tests/e2e).
  using PipeStream = grpc::ClientReaderWriterInterface<v1::PipeRequest, v1::PipeResponse>;
  using AsyncPipeStream =
      grpc::ClientAsyncReaderWriterInterface<v1::PipeRequest, v1::PipeResponse>;
  PipeStream* PipeRaw(grpc::ClientContext*) override { return nullptr; }
  AsyncPipeStream* AsyncPipeRaw(grpc::ClientContext*, grpc::CompletionQueue*,
                                void*) override {
    return nullptr;
  }
  AsyncPipeStream* PrepareAsyncPipeRaw(grpc::ClientContext*,
                                       grpc::CompletionQueue*) override {
    return nullptr;
  }
};

class ClientTest : public ::testing::Test {
 protected:
  std::shared_ptr<FakeStub> fake_ = std::make_shared<FakeStub>();
  Client client_{fake_};
};

TEST_F(ClientTest, TlsCallsEnableTlsAndCarryTheOptions) {
  v1::TlsOptions tls;
  tls.set_server_name("example.test");
  tls.add_alpn("http/1.1");
  ASSERT_TRUE(client_.ConnectTls("127.0.0.1", 443, tls, 5000).ok());
  EXPECT_TRUE(fake_->connect.tls().enabled());
  EXPECT_EQ(fake_->connect.tls().server_name(), "example.test");
  EXPECT_EQ(fake_->connect.port(), 443u);
  EXPECT_EQ(fake_->connect.timeout_ms(), 5000);

  ASSERT_TRUE(client_.StartTls("s1.x", tls).ok());
  EXPECT_TRUE(fake_->start_tls.tls().enabled());
  EXPECT_EQ(fake_->start_tls.handle(), "s1.x");
  EXPECT_FALSE(fake_->start_tls.has_timeout_ms());

  ASSERT_TRUE(client_.Resolve("localhost", 100).ok());
  EXPECT_EQ(fake_->resolve.name(), "localhost");
  EXPECT_EQ(fake_->resolve.timeout_ms(), 100);
}

TEST_F(ClientTest, SetAndGetOptionsCarryTheHandleAndTheFieldsSet) {
  v1::SocketOptions options;
  options.set_idle_timeout_ms(30000);
  options.set_keepalive(true);
  absl::StatusOr<v1::SocketOptions> set = client_.SetOptions("s1.x", options);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(fake_->set_options.handle(), "s1.x");
  EXPECT_EQ(fake_->set_options.options().idle_timeout_ms(), 30000);
  EXPECT_TRUE(fake_->set_options.options().keepalive());
  // Fields not set stay unset: SetOptions changes only what is given.
  EXPECT_FALSE(fake_->set_options.options().has_tcp_nodelay());
  EXPECT_FALSE(fake_->set_options.options().has_linger_s());

  absl::StatusOr<v1::SocketOptions> got = client_.GetOptions("s1.y");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(fake_->get_options.handle(), "s1.y");
  EXPECT_TRUE(got->tcp_nodelay());

  const int calls = fake_->calls;
  EXPECT_EQ(client_.SetOptions("", options).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client_.GetOptions("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(fake_->calls, calls);
}

TEST_F(ClientTest, ConnectFillsPortAndLeavesTimeoutUnset) {
  fake_->connect_response.set_handle("s1.abc");
  absl::StatusOr<v1::ConnectResponse> response =
      client_.Connect("example.com", 80);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->handle(), "s1.abc");
  EXPECT_EQ(fake_->connect.host(), "example.com");
  EXPECT_EQ(fake_->connect.target_case(), v1::ConnectRequest::kPort);
  EXPECT_EQ(fake_->connect.port(), 80u);
  EXPECT_FALSE(fake_->connect.has_timeout_ms());
}

TEST_F(ClientTest, ZeroTimeoutIsSentAsPresent) {
  ASSERT_TRUE(client_.Connect("h", 1, 0).ok());
  ASSERT_TRUE(fake_->connect.has_timeout_ms());
  EXPECT_EQ(fake_->connect.timeout_ms(), 0);
}

TEST_F(ClientTest, ConnectServiceSetsTheServiceName) {
  ASSERT_TRUE(client_.ConnectService("h", "smtp", 2500).ok());
  EXPECT_EQ(fake_->connect.target_case(), v1::ConnectRequest::kService);
  EXPECT_EQ(fake_->connect.service(), "smtp");
  EXPECT_EQ(fake_->connect.timeout_ms(), 2500);
}

TEST_F(ClientTest, SendKeepsBinaryData) {
  const std::string data("a\0b\xff", 4);
  absl::StatusOr<v1::SendResponse> response = client_.Send("s1.x", data, -1);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->bytes_sent(), 4u);
  EXPECT_EQ(fake_->send.handle(), "s1.x");
  EXPECT_EQ(fake_->send.data(), data);
  EXPECT_EQ(fake_->send.timeout_ms(), -1);
}

TEST_F(ClientTest, ReceiveAndCloseFillTheirFields) {
  fake_->receive_response.set_data("hi");
  fake_->receive_response.set_eof(true);
  absl::StatusOr<v1::ReceiveResponse> received =
      client_.Receive("s1.x", 4096, 2, 100);
  ASSERT_TRUE(received.ok()) << received.status();
  EXPECT_EQ(received->data(), "hi");
  EXPECT_TRUE(received->eof());
  EXPECT_EQ(fake_->receive.max_bytes(), 4096u);
  EXPECT_EQ(fake_->receive.min_bytes(), 2u);
  EXPECT_EQ(fake_->receive.timeout_ms(), 100);

  absl::StatusOr<v1::CloseResponse> closed =
      client_.Close("s1.x", v1::CLOSE_MODE_PARTIAL);
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_FALSE(closed->released());
  EXPECT_EQ(fake_->close.mode(), v1::CLOSE_MODE_PARTIAL);
  EXPECT_FALSE(fake_->close.has_timeout_ms());

  fake_->info_response.set_state(v1::SOCKET_STATE_HALF_CLOSED);
  absl::StatusOr<v1::SocketInfo> info = client_.GetInfo("s1.x");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->state(), v1::SOCKET_STATE_HALF_CLOSED);
  EXPECT_EQ(fake_->get_info.handle(), "s1.x");
}

TEST_F(ClientTest, NoDeadlineByDefault) {
  ASSERT_TRUE(client_.GetInfo("s1.x").ok());
  EXPECT_EQ(fake_->deadline, system_clock::time_point::max());
}

TEST_F(ClientTest, RpcTimeoutSetsTheDeadline) {
  const system_clock::time_point before = system_clock::now();
  CallOptions options;
  options.rpc_timeout = absl::Seconds(30);
  ASSERT_TRUE(client_.Receive("s1.x", 0, 0, std::nullopt, options).ok());
  EXPECT_GE(fake_->deadline, before + std::chrono::seconds(30));
  EXPECT_LE(fake_->deadline, system_clock::now() + std::chrono::seconds(30));
}

TEST_F(ClientTest, ErrorDetailIsDecoded) {
  fake_->status = ToGrpcStatus(ErrnoStatus(ECONNRESET, "receive"));
  absl::StatusOr<v1::ReceiveResponse> response = client_.Receive("s1.x");
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(GetSocketError(response.status()),
            v1::SOCKET_ERROR_CONNECTION_RESET);
  ASSERT_TRUE(GetErrorDetail(response.status()).has_value());
  EXPECT_EQ(GetErrorDetail(response.status())->os_errno(), ECONNRESET);
}

TEST_F(ClientTest, PlainGrpcErrorHasNoDetail) {
  fake_->status = grpc::Status(grpc::StatusCode::UNAVAILABLE, "no route");
  absl::StatusOr<v1::SocketInfo> info = client_.GetInfo("s1.x");
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(info.status().message(), "no route");
  EXPECT_FALSE(GetErrorDetail(info.status()).has_value());
}

TEST_F(ClientTest, CheapArgumentChecksDoNotCallTheServer) {
  EXPECT_EQ(client_.Send("", "x").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client_.Receive("").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client_.Close("").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GetSocketError(client_.GetInfo("").status()),
            v1::SOCKET_ERROR_INVALID_REQUEST);
  EXPECT_EQ(client_.Connect("h", 70000).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(fake_->calls, 0);
}

TEST_F(ClientTest, CancelBeforeStartFailsWithoutACall) {
  CallOptions options;
  options.cancel = std::make_shared<CancelToken>();
  options.cancel->Cancel();
  absl::StatusOr<v1::ReceiveResponse> response =
      client_.Receive("s1.x", 0, 0, -1, options);
  EXPECT_EQ(response.status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(GetSocketError(response.status()), v1::SOCKET_ERROR_CANCELLED);
  EXPECT_EQ(fake_->calls, 0);
}

// Receive blocks until the call is cancelled or its deadline passes; GetInfo
// answers NOT_FOUND with socketd's detail.
class BlockingService final : public v1::SocketService::Service {
 public:
  // Blocks until `n` Receive calls have reached the service.
  void WaitForReceives(int n) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    auto reached = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return receives_ >= n;
    };
    mu_.Await(absl::Condition(&reached));
  }

  grpc::Status Receive(grpc::ServerContext* context, const v1::ReceiveRequest*,
                       v1::ReceiveResponse*) override {
    {
      absl::MutexLock lock(&mu_);
      ++receives_;
    }
    const absl::Time give_up = absl::Now() + absl::Seconds(20);
    while (!context->IsCancelled() && absl::Now() < give_up) {
      absl::SleepFor(absl::Milliseconds(1));
    }
    return grpc::Status(grpc::StatusCode::INTERNAL, "not cancelled");
  }

  grpc::Status GetInfo(grpc::ServerContext*, const v1::GetInfoRequest*,
                       v1::SocketInfo*) override {
    return ToGrpcStatus(SocketErrorStatus(absl::StatusCode::kNotFound,
                                          v1::SOCKET_ERROR_INVALID_HANDLE,
                                          "no such handle"));
  }

 private:
  absl::Mutex mu_;
  int receives_ ABSL_GUARDED_BY(mu_) = 0;
};

class InProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    client_ = std::make_unique<Client>(Client::FromChannel(
        server_->InProcessChannel(grpc::ChannelArguments())));
  }
  void TearDown() override {
    server_->Shutdown(system_clock::now() + std::chrono::seconds(1));
  }

  BlockingService service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<Client> client_;
};

TEST_F(InProcessTest, CancelTokenCancelsAReceiveInFlight) {
  CallOptions options;
  options.cancel = std::make_shared<CancelToken>();
  absl::Status status;
  std::thread receiver(
      [&] { status = client_->Receive("s1.x", 0, 0, -1, options).status(); });
  service_.WaitForReceives(1);
  const absl::Time start = absl::Now();
  options.cancel->Cancel();
  receiver.join();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_EQ(status.code(), absl::StatusCode::kCancelled) << status;
  EXPECT_EQ(GetSocketError(status), v1::SOCKET_ERROR_CANCELLED);
  EXPECT_TRUE(options.cancel->cancelled());
}

TEST_F(InProcessTest, OneTokenCancelsEveryCallUsingIt) {
  CallOptions options;
  options.cancel = std::make_shared<CancelToken>();
  absl::Status first, second;
  std::thread a(
      [&] { first = client_->Receive("s1.a", 0, 0, -1, options).status(); });
  std::thread b(
      [&] { second = client_->Receive("s1.b", 0, 0, -1, options).status(); });
  service_.WaitForReceives(2);
  options.cancel->Cancel();
  a.join();
  b.join();
  EXPECT_EQ(first.code(), absl::StatusCode::kCancelled) << first;
  EXPECT_EQ(second.code(), absl::StatusCode::kCancelled) << second;
}

TEST_F(InProcessTest, RpcTimeoutEndsTheCall) {
  CallOptions options;
  options.rpc_timeout = absl::Milliseconds(100);
  absl::Status status = client_->Receive("s1.x", 0, 0, -1, options).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  EXPECT_FALSE(GetErrorDetail(status).has_value());
}

TEST_F(InProcessTest, ErrorDetailCrossesTheWire) {
  absl::Status status = client_->GetInfo("s1.gone").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(GetSocketError(status), v1::SOCKET_ERROR_INVALID_HANDLE);
}

TEST(ClientCreateTest, UnreachableSocketdIsUnavailableWithoutDetail) {
  Client client = Client::Create("127.0.0.1:1");
  CallOptions options;
  options.rpc_timeout = absl::Seconds(10);
  absl::Status status = client.GetInfo("s1.x", options).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_FALSE(GetErrorDetail(status).has_value());
}

}  // namespace
}  // namespace socketsvc
