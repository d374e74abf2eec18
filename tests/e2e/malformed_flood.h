// A flood of raw requests to every unary RPC of SocketService through
// grpc::GenericStub (methods read from the service's descriptor, so RPCs
// added later are covered too), with a bounded number in flight, recording
// what socketd created for requests that happened to be valid.
#ifndef SOCKETSVC_TESTS_E2E_MALFORMED_FLOOD_H_
#define SOCKETSVC_TESTS_E2E_MALFORMED_FLOOD_H_

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <grpcpp/channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/byte_buffer.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/e2e/garbage_requests.h"

namespace socketsvc::e2e {

// Requests in flight at once.
constexpr int kInFlight = 64;
// Requests larger than this go one at a time.
constexpr size_t kLargeRequest = 16 * 1024;
// Long enough for any answer that does not wait; calls that would wait
// (Receive, Accept, ServerReceive on a real handle) are cancelled by it.
constexpr absl::Duration kCallDeadline = absl::Milliseconds(300);

// Resources socketd handed out while being flooded; released afterwards.
struct Created {
  std::vector<std::string> sockets;  // "s…" and "l…" handles: Close(DISCARD)
  std::vector<std::string> servers;  // "h…": ServerDelete
};

// One RPC of SocketService as the generic stub calls it.
struct Method {
  std::string path;  // "/socketsvc.v1.SocketService/Connect"
  const pb::Message* request;
  const pb::Message* response;
};

inline std::vector<Method> AllMethods() {
  const pb::ServiceDescriptor* service =
      pb::DescriptorPool::generated_pool()->FindServiceByName("socketsvc.v1.SocketService");
  pb::MessageFactory* factory = pb::MessageFactory::generated_factory();
  std::vector<Method> methods;
  for (int i = 0; i < service->method_count(); ++i) {
    const pb::MethodDescriptor* method = service->method(i);
    if (method->client_streaming() || method->server_streaming()) continue;
    methods.push_back({absl::StrCat("/", service->full_name(), "/", method->name()),
                       factory->GetPrototype(method->input_type()),
                       factory->GetPrototype(method->output_type())});
  }
  return methods;
}

inline grpc::ByteBuffer ToByteBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

inline std::string FromByteBuffer(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  for (const grpc::Slice& s : slices) {
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return out;
}

// Sends malformed requests with at most kInFlight outstanding, and records
// what socketd created for them.
class Flood {
 public:
  explicit Flood(std::shared_ptr<grpc::Channel> channel) : stub_(std::move(channel)) {}

  // `per_rpc` requests to every method, interleaved.
  void Run(const std::vector<Method>& methods, Garbage& garbage, int per_rpc) {
    for (int round = 0; round < per_rpc; ++round) {
      for (const Method& method : methods) {
        Start(method, garbage.Request(*method.request));
      }
    }
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return in_flight_ == 0; });
  }

  Created TakeCreated() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::move(created_);
  }

  std::map<grpc::StatusCode, int> codes() const {
    std::lock_guard<std::mutex> lock(mu_);
    return codes_;
  }

 private:
  struct Call {
    bool large = false;
    grpc::ClientContext context;
    grpc::ByteBuffer request;
    grpc::ByteBuffer response;
  };

  void Start(const Method& method, const std::string& bytes) {
    // One large request at a time: socketd's peak memory then does not
    // depend on how many happened to be in flight together, so the warm-up
    // reaches the level the measured round will.
    const bool large = bytes.size() > kLargeRequest;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this, large] {
        return in_flight_ < kInFlight && !(large && large_in_flight_);
      });
      ++in_flight_;
      if (large) large_in_flight_ = true;
    }
    auto call = std::make_shared<Call>();
    call->large = large;
    call->context.set_deadline(absl::ToChronoTime(absl::Now() + kCallDeadline));
    call->request = ToByteBuffer(bytes);
    stub_.UnaryCall(&call->context, method.path, grpc::StubOptions(), &call->request,
                    &call->response, [this, call, &method](grpc::Status status) {
                      Done(method, *call, status);
                    });
  }

  void Done(const Method& method, Call& call, const grpc::Status& status) {
    Created created;
    if (status.ok()) {
      // A request that happened to be valid: whatever it created goes.
      std::unique_ptr<pb::Message> response(method.response->New());
      if (response->ParseFromString(FromByteBuffer(call.response))) {
        const pb::Descriptor* type = response->GetDescriptor();
        const pb::Reflection* reflection = response->GetReflection();
        for (const char* name : {"handle", "listener"}) {
          const pb::FieldDescriptor* field = type->FindFieldByName(name);
          if (field != nullptr && field->cpp_type() == pb::FieldDescriptor::CPPTYPE_STRING &&
              !field->is_repeated() && !reflection->GetString(*response, field).empty() &&
              method.path.find("/GetInfo") == std::string::npos) {
            created.sockets.push_back(reflection->GetString(*response, field));
          }
        }
        if (method.path.find("/ServerCreate") != std::string::npos) {
          const pb::FieldDescriptor* field = type->FindFieldByName("server_id");
          if (field != nullptr) created.servers.push_back(reflection->GetString(*response, field));
        }
      }
    }
    std::lock_guard<std::mutex> lock(mu_);
    ++codes_[status.error_code()];
    for (std::string& h : created.sockets) created_.sockets.push_back(std::move(h));
    for (std::string& h : created.servers) created_.servers.push_back(std::move(h));
    --in_flight_;
    if (call.large) large_in_flight_ = false;
    cv_.notify_all();
  }

  grpc::GenericStub stub_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int in_flight_ = 0;
  bool large_in_flight_ = false;
  Created created_;
  std::map<grpc::StatusCode, int> codes_;
};

}  // namespace socketsvc::e2e

#endif  // SOCKETSVC_TESTS_E2E_MALFORMED_FLOOD_H_
