#include "bench/grpc_echo.h"

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <signal.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <cstdio>
#include <memory>
#include <thread>
#include <vector>

#include "bench_echo/v1/echo.grpc.pb.h"

namespace socketsvc::bench {
namespace {

// A reactor that deletes itself in OnDone, like socketd's CallReactor.
class OwnReactor final : public grpc::ServerUnaryReactor {
 public:
  void OnDone() override { delete this; }
};

class EchoService final : public bench_echo::v1::Echo::CallbackService {
 public:
  explicit EchoService(boost::asio::io_context& io) : io_(io) {}

  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* context,
                                 const bench_echo::v1::EchoMessage* request,
                                 bench_echo::v1::EchoMessage* response) override {
    // One copy, as socketd copies a Send's bytes into its write and a read
    // into its answer.
    response->set_data(request->data());
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  grpc::ServerUnaryReactor* EchoViaThread(
      grpc::CallbackServerContext* context, const bench_echo::v1::EchoMessage* request,
      bench_echo::v1::EchoMessage* response) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    boost::asio::post(io_, [reactor, request, response] {
      response->set_data(request->data());
      reactor->Finish(grpc::Status::OK);
    });
    return reactor;
  }

  grpc::ServerUnaryReactor* EchoViaThreadOwnReactor(
      grpc::CallbackServerContext* context, const bench_echo::v1::EchoMessage* request,
      bench_echo::v1::EchoMessage* response) override {
    auto* reactor = new OwnReactor();
    boost::asio::post(io_, [reactor, request, response] {
      response->set_data(request->data());
      reactor->Finish(grpc::Status::OK);
    });
    return reactor;
  }

 private:
  boost::asio::io_context& io_;
};

}  // namespace

int ServeGrpcEcho() {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  // socketd's I/O pool: an io_context run by 2 threads (--io_threads).
  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  std::vector<std::thread> io_threads;
  for (int i = 0; i < 2; ++i) io_threads.emplace_back([&io] { io.run(); });

  EchoService service(io);
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  // socketd's limits (4 MiB data plus framing), so that no size differs.
  builder.SetMaxReceiveMessageSize(8 * 1024 * 1024);
  builder.SetMaxSendMessageSize(8 * 1024 * 1024);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  int status = 0;
  if (!server || port == 0) {
    std::fprintf(stderr, "bench: the gRPC echo server cannot listen\n");
    status = 1;
  } else {
    std::printf("port %d\n", port);
    std::fflush(stdout);
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    server->Shutdown();
  }
  work.reset();
  io.stop();
  for (std::thread& t : io_threads) t.join();
  return status;
}

}  // namespace socketsvc::bench
