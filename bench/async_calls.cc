#include "bench/async_calls.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"

namespace socketsvc::bench {
namespace {

// Long enough for 10,000 calls queued on a loaded 2-core machine; every call
// has a deadline, so every callback comes and waiting for them all is safe.
constexpr auto kCallDeadline = std::chrono::seconds(60);

template <typename Request, typename Response>
struct AsyncCall {
  AsyncCall() {
    context.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
  }
  grpc::ClientContext context;
  Request request;
  Response response;
};

// Runs start(i, completions) for i in [0, n) with at most `window` calls in
// flight; each started call must report to `completions` exactly once.
absl::Status RunWindowed(int n, int window,
                         const std::function<void(int, Completions&)>& start) {
  Completions completions;
  for (int i = 0; i < n; ++i) {
    completions.WaitInFlightBelow(i, window, absl::InfiniteDuration());
    start(i, completions);
  }
  completions.WaitFor(n, absl::InfiniteDuration());
  return completions.first_error();
}

}  // namespace

void Completions::Done(absl::Status status) {
  absl::MutexLock lock(&mu_);
  ++done_;
  if (!status.ok() && first_error_.ok()) first_error_ = std::move(status);
}

bool Completions::WaitFor(int64_t n, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto reached = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return done_ >= n; };
  return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
}

bool Completions::WaitInFlightBelow(int64_t started, int64_t n,
                                    absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto below = [this, started, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return started - done_ < n;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&below), timeout);
}

int64_t Completions::done() const {
  absl::MutexLock lock(&mu_);
  return done_;
}

absl::Status Completions::first_error() const {
  absl::MutexLock lock(&mu_);
  return first_error_;
}

absl::StatusOr<std::vector<std::string>> ConnectMany(
    v1::SocketService::Stub& stub, uint16_t peer_port, int n, int window) {
  std::vector<std::string> handles(n);
  const absl::Status status = RunWindowed(n, window, [&](int i, Completions& done) {
    auto* call = new AsyncCall<v1::ConnectRequest, v1::ConnectResponse>;
    call->request.set_host("127.0.0.1");
    call->request.set_port(peer_port);
    call->request.set_timeout_ms(30000);
    // The callback may delete the context: gRPC holds its own reference to
    // the call until the callback has returned.
    stub.async()->Connect(&call->context, &call->request, &call->response,
                          [call, i, &handles, &done](grpc::Status s) {
                            if (s.ok()) handles[i] = call->response.handle();
                            delete call;
                            done.Done(FromGrpcStatus(s));
                          });
  });
  if (!status.ok()) {
    std::vector<std::string> opened;
    for (std::string& handle : handles) {
      if (!handle.empty()) opened.push_back(std::move(handle));
    }
    (void)DiscardMany(stub, opened, window);
    return absl::Status(status.code(),
                        absl::StrCat("Connect of ", n, " sessions: ", status.message()));
  }
  return handles;
}

absl::Status DiscardMany(v1::SocketService::Stub& stub,
                         const std::vector<std::string>& handles, int window) {
  return RunWindowed(static_cast<int>(handles.size()), window,
                     [&](int i, Completions& done) {
                       auto* call = new AsyncCall<v1::CloseRequest, v1::CloseResponse>;
                       call->request.set_handle(handles[i]);
                       call->request.set_mode(v1::CLOSE_MODE_DISCARD);
                       stub.async()->Close(&call->context, &call->request,
                                           &call->response,
                                           [call, &done](grpc::Status s) {
                                             delete call;
                                             done.Done(FromGrpcStatus(s));
                                           });
                     });
}

absl::Status SendMany(v1::SocketService::Stub& stub,
                      const std::vector<std::string>& handles,
                      const std::string& data, int window) {
  return RunWindowed(static_cast<int>(handles.size()), window,
                     [&](int i, Completions& done) {
                       auto* call = new AsyncCall<v1::SendRequest, v1::SendResponse>;
                       call->request.set_handle(handles[i]);
                       call->request.set_data(data);
                       stub.async()->Send(&call->context, &call->request,
                                          &call->response,
                                          [call, &done](grpc::Status s) {
                                            delete call;
                                            done.Done(FromGrpcStatus(s));
                                          });
                     });
}

PendingReceives::PendingReceives(v1::SocketService::Stub& stub,
                                 const std::vector<std::string>& handles,
                                 uint32_t max_bytes)
    : calls_(handles.size()) {
  for (size_t i = 0; i < handles.size(); ++i) {
    Call& call = calls_[i];
    call.request.set_handle(handles[i]);
    call.request.set_max_bytes(max_bytes);
    call.request.set_timeout_ms(-1);  // Only the gRPC deadline ends it.
    call.context.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
    stub.async()->Receive(&call.context, &call.request, &call.response,
                          [this, &call](grpc::Status s) {
                            bytes_ += static_cast<int64_t>(call.response.data().size());
                            completions_.Done(FromGrpcStatus(s));
                          });
  }
}

PendingReceives::~PendingReceives() {
  if (completions_.done() < static_cast<int64_t>(calls_.size())) {
    for (Call& call : calls_) call.context.TryCancel();
  }
  completions_.WaitFor(static_cast<int64_t>(calls_.size()), absl::InfiniteDuration());
}

bool PendingReceives::WaitAll(absl::Duration timeout) {
  return completions_.WaitFor(static_cast<int64_t>(calls_.size()), timeout);
}

// One session's loop. The two contexts alternate: a callback starts the next
// call on the other one, never replacing the context it was called for.
struct BusySessions::Loop {
  std::string handle;
  v1::SendRequest send;
  v1::SendResponse sent;
  v1::ReceiveRequest receive;
  v1::ReceiveResponse received;
  std::unique_ptr<grpc::ClientContext> send_context;
  std::unique_ptr<grpc::ClientContext> receive_context;
};

BusySessions::BusySessions(v1::SocketService::Stub& stub,
                           std::vector<std::string> handles, std::string payload)
    : stub_(stub), payload_(std::move(payload)) {
  for (std::string& handle : handles) {
    auto loop = std::make_unique<Loop>();
    loop->handle = std::move(handle);
    loop->send.set_handle(loop->handle);
    loop->send.set_data(payload_);
    loop->send.set_timeout_ms(30000);
    loop->receive.set_handle(loop->handle);
    loop->receive.set_max_bytes(static_cast<uint32_t>(payload_.size()));
    loop->receive.set_min_bytes(static_cast<uint32_t>(payload_.size()));
    loop->receive.set_timeout_ms(30000);
    loops_.push_back(std::move(loop));
  }
}

BusySessions::~BusySessions() {
  if (started_) Stop(absl::InfiniteDuration());
}

void BusySessions::Start() {
  started_ = true;
  for (auto& loop : loops_) StartSend(*loop);
}

bool BusySessions::Stop(absl::Duration timeout) {
  stopping_ = true;
  return !started_ ||
         completions_.WaitFor(static_cast<int64_t>(loops_.size()), timeout);
}

void BusySessions::StartSend(Loop& loop) {
  loop.send_context = std::make_unique<grpc::ClientContext>();
  loop.send_context->set_deadline(std::chrono::system_clock::now() + kCallDeadline);
  stub_.async()->Send(loop.send_context.get(), &loop.send, &loop.sent,
                      [this, &loop](grpc::Status s) {
                        if (!s.ok()) return completions_.Done(FromGrpcStatus(s));
                        StartReceive(loop);
                      });
}

void BusySessions::StartReceive(Loop& loop) {
  loop.receive_context = std::make_unique<grpc::ClientContext>();
  loop.receive_context->set_deadline(std::chrono::system_clock::now() +
                                     kCallDeadline);
  stub_.async()->Receive(
      loop.receive_context.get(), &loop.receive, &loop.received,
      [this, &loop](grpc::Status s) {
        if (!s.ok()) return completions_.Done(FromGrpcStatus(s));
        if (loop.received.data() != payload_) {
          return completions_.Done(absl::DataLossError(absl::StrCat(
              "busy session ", loop.handle, ": the echo came back as ",
              loop.received.data().size(), " other bytes")));
        }
        ++round_trips_;
        if (stopping_) return completions_.Done(absl::OkStatus());
        StartSend(loop);
      });
}

}  // namespace socketsvc::bench
