// A real socketd process under a flood of malformed requests, at the byte
// level: every RPC of SocketService (read from the service's descriptor, so
// RPCs added later are covered too) gets thousands of requests with garbage
// handles, out-of-range numbers, unknown enum values, empty, huge, NUL- and
// non-UTF-8 strings, random bytes and mutilated encodings, sent through
// grpc::GenericStub as raw ByteBuffers. Afterwards socketd must still do its
// job (Connect, Send, Receive, Close to an echo peer), hold no more file
// descriptors than before, and have grown by no more than an allocator's
// slack; at SIGTERM it must exit 0 (under --config=asan: LeakSanitizer
// found nothing).
//
// A warm-up round runs first, so that memory the allocator keeps and gRPC's
// lazily built state count in the baseline, not as a leak.
//
// Reproducing: the seed is printed; MALFORMED_SEED=N reruns with it.
// MALFORMED_ROUNDS=N splits the measured flood into N rounds and prints RSS
// after each (to tell a leak, which grows every round, from the allocator
// keeping memory, which levels off).
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/reflection.h>
#include <google/protobuf/stubs/logging.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/byte_buffer.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "gtest/gtest.h"
#include "socketsvc/v1/sockets.grpc.pb.h"
#include "tests/e2e/socketd_process.h"
#include "tests/peers/peers.h"

#if defined(__SANITIZE_ADDRESS__)
#define SOCKETSVC_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SOCKETSVC_ASAN 1
#endif
#endif

namespace socketsvc::e2e {
namespace {

namespace pb = google::protobuf;

// Malformed requests per RPC in the measured round, and in the warm-up.
// AddressSanitizer makes both processes several times slower.
#ifdef SOCKETSVC_ASAN
constexpr int kRequestsPerRpc = 3000;
constexpr int kWarmUpPerRpc = 500;
#else
constexpr int kRequestsPerRpc = 10000;
constexpr int kWarmUpPerRpc = 3000;
#endif
constexpr int kInFlight = 64;
constexpr size_t kLargeRequest = 16 * 1024;
// Long enough for any answer that does not wait; calls that would wait
// (Receive, Accept, ServerReceive on a real handle) are cancelled by it.
constexpr absl::Duration kCallDeadline = absl::Milliseconds(300);
// RSS may grow by this much over the warm-up baseline.
constexpr long kRssSlackKib = 20 * 1024;

// Resources socketd handed out while being flooded; released afterwards.
struct Created {
  std::vector<std::string> sockets;  // "s…" and "l…" handles: Close(DISCARD)
  std::vector<std::string> servers;  // "h…": ServerDelete
};

// Values that are wrong in every way a field can be wrong, or right, for the
// request to get further into socketd before it fails.
class Garbage {
 public:
  Garbage(uint64_t seed, std::vector<std::string> real_handles)
      : rng_(seed), real_handles_(std::move(real_handles)) {}

  bool OneIn(int n) { return Below(n) == 0; }
  uint64_t Below(uint64_t n) { return rng_() % n; }

  std::string Bytes(size_t max) {
    std::string out(Below(max + 1), '\0');
    for (char& c : out) c = static_cast<char>(rng_());
    return out;
  }

  std::string Handle() {
    static const char* const kKinds[] = {"s", "l", "h", "r", "x", ""};
    switch (Below(8)) {
      case 0:
        return "";
      case 1:
      case 2: {  // Well-formed, unknown, sometimes another replica's.
        std::string hex;
        for (int i = 0; i < 32; ++i) hex.push_back("0123456789abcdef"[Below(16)]);
        return absl::StrCat(kKinds[Below(6)], OneIn(4) ? "2" : "1", ".", hex);
      }
      case 3:
        if (!real_handles_.empty()) return real_handles_[Below(real_handles_.size())];
        return "s1.";
      case 4:  // A real handle, slightly off.
        if (!real_handles_.empty()) {
          std::string h = real_handles_[Below(real_handles_.size())];
          h[Below(h.size())] ^= static_cast<char>(1 + Below(127));
          return h;
        }
        return "l";
      default:
        return String();
    }
  }

  std::string Host() {
    static const char* const kHosts[] = {
        "127.0.0.1", "::1",       "[::1]",   "0.0.0.0", "::",  "localhost",
        "999.1.1.1", "127.0.0.1:80", "[::1", "fe80::1%lo", "1.2.3", "-",
    };
    if (OneIn(3)) return String();
    return kHosts[Below(sizeof(kHosts) / sizeof(kHosts[0]))];
  }

  // Any string: empty, short text, control bytes, NUL, invalid UTF-8, huge.
  std::string String() {
    switch (Below(10)) {
      case 0:
        return "";
      case 1:
        return std::string(Below(3) + 1, '\0');
      case 2:
        return "\xff\xfe\xc3";  // Not UTF-8: gRPC refuses the request.
      case 3:
        return std::string(256 + Below(2000), 'a');
      case 4:
        if (OneIn(20)) return std::string(1 << 20, 'z');  // 1 MiB
        return std::string(70000, 'b');
      case 5:
        return "http";
      case 6:
        return "\r\n\t :/?#[]@!$&'()*+,;=%00";
      default: {
        std::string out = Bytes(24);
        // Mostly printable, so that it stays UTF-8 and reaches the handler.
        if (!OneIn(4)) {
          for (char& c : out) c = static_cast<char>(0x20 + (c & 0x3f));
        }
        return out;
      }
    }
  }

  int64_t Int64() {
    static const int64_t kValues[] = {0,        1,         -1,       -2,
                                      65535,    65536,     INT32_MAX, INT32_MIN,
                                      UINT32_MAX, INT64_MAX, INT64_MIN, 100};
    if (OneIn(4)) return static_cast<int64_t>(rng_());
    return kValues[Below(sizeof(kValues) / sizeof(kValues[0]))];
  }

  // Fills `message` with garbage: each field set with some probability,
  // recursing into sub-messages.
  void Fill(pb::Message& message, int depth = 0) {
    const pb::Descriptor* type = message.GetDescriptor();
    const pb::Reflection* reflection = message.GetReflection();
    for (int i = 0; i < type->field_count(); ++i) {
      const pb::FieldDescriptor* field = type->field(i);
      if (OneIn(3)) continue;
      if (field->is_repeated()) {
        const int n = OneIn(10) ? 200 : static_cast<int>(Below(4));
        for (int k = 0; k < n; ++k) Add(message, *reflection, field, depth);
      } else {
        Set(message, *reflection, field, depth);
      }
    }
  }

  // Raw bytes for one request of `type`: garbage through reflection,
  // mutilated encodings, or random bytes.
  std::string Request(const pb::Message& prototype) {
    switch (Below(10)) {
      case 0:
        return Bytes(OneIn(10) ? 4096 : 48);
      case 1:
      case 2: {
        std::unique_ptr<pb::Message> message(prototype.New());
        Fill(*message);
        std::string wire = message->SerializeAsString();
        if (wire.empty()) return Bytes(16);
        switch (Below(3)) {
          case 0:  // Truncated.
            wire.resize(Below(wire.size()));
            break;
          case 1:  // Bytes flipped.
            for (int k = 0; k < 3; ++k) wire[Below(wire.size())] ^= 1 << Below(8);
            break;
          default:  // Garbage inserted.
            wire.insert(Below(wire.size()), Bytes(8));
            break;
        }
        return wire;
      }
      default: {
        std::unique_ptr<pb::Message> message(prototype.New());
        Fill(*message);
        return message->SerializeAsString();
      }
    }
  }

 private:
  static bool IsHandleField(const pb::FieldDescriptor* field) {
    const std::string& name = field->name();
    return name == "handle" || name == "listener" || name == "server_id" ||
           name == "request_handle";
  }
  static bool IsHostField(const pb::FieldDescriptor* field) {
    const std::string& name = field->name();
    return name == "host" || name == "name" || name == "bind_address" ||
           name == "server_name";
  }

  std::string StringFor(const pb::FieldDescriptor* field) {
    if (IsHandleField(field)) return Handle();
    if (IsHostField(field) && !OneIn(4)) return Host();
    if (field->type() == pb::FieldDescriptor::TYPE_BYTES && OneIn(2)) {
      return Bytes(OneIn(10) ? 65536 : 64);
    }
    return String();
  }

  int EnumNumber(const pb::FieldDescriptor* field) {
    const pb::EnumDescriptor* e = field->enum_type();
    if (OneIn(2)) return e->value(static_cast<int>(Below(e->value_count())))->number();
    static const int kInvalid[] = {-1, 99, INT_MAX, INT_MIN, 4, 5};
    return kInvalid[Below(6)];
  }

  void Set(pb::Message& m, const pb::Reflection& r, const pb::FieldDescriptor* f,
           int depth) {
    using F = pb::FieldDescriptor;
    switch (f->cpp_type()) {
      case F::CPPTYPE_INT32:
        r.SetInt32(&m, f, static_cast<int32_t>(Int64()));
        break;
      case F::CPPTYPE_INT64:
        r.SetInt64(&m, f, Int64());
        break;
      case F::CPPTYPE_UINT32:
        r.SetUInt32(&m, f, static_cast<uint32_t>(Int64()));
        break;
      case F::CPPTYPE_UINT64:
        r.SetUInt64(&m, f, static_cast<uint64_t>(Int64()));
        break;
      case F::CPPTYPE_DOUBLE:
        r.SetDouble(&m, f, static_cast<double>(Int64()));
        break;
      case F::CPPTYPE_FLOAT:
        r.SetFloat(&m, f, static_cast<float>(Int64()));
        break;
      case F::CPPTYPE_BOOL:
        r.SetBool(&m, f, OneIn(2));
        break;
      case F::CPPTYPE_ENUM:
        r.SetEnumValue(&m, f, EnumNumber(f));
        break;
      case F::CPPTYPE_STRING:
        r.SetString(&m, f, StringFor(f));
        break;
      case F::CPPTYPE_MESSAGE:
        if (depth < 3) Fill(*r.MutableMessage(&m, f), depth + 1);
        break;
    }
  }

  void Add(pb::Message& m, const pb::Reflection& r, const pb::FieldDescriptor* f,
           int depth) {
    using F = pb::FieldDescriptor;
    switch (f->cpp_type()) {
      case F::CPPTYPE_INT32:
        r.AddInt32(&m, f, static_cast<int32_t>(Int64()));
        break;
      case F::CPPTYPE_INT64:
        r.AddInt64(&m, f, Int64());
        break;
      case F::CPPTYPE_UINT32:
        r.AddUInt32(&m, f, static_cast<uint32_t>(Int64()));
        break;
      case F::CPPTYPE_UINT64:
        r.AddUInt64(&m, f, static_cast<uint64_t>(Int64()));
        break;
      case F::CPPTYPE_DOUBLE:
        r.AddDouble(&m, f, static_cast<double>(Int64()));
        break;
      case F::CPPTYPE_FLOAT:
        r.AddFloat(&m, f, static_cast<float>(Int64()));
        break;
      case F::CPPTYPE_BOOL:
        r.AddBool(&m, f, OneIn(2));
        break;
      case F::CPPTYPE_ENUM:
        r.AddEnumValue(&m, f, EnumNumber(f));
        break;
      case F::CPPTYPE_STRING:
        r.AddString(&m, f, StringFor(f));
        break;
      case F::CPPTYPE_MESSAGE:
        if (depth < 3) Fill(*r.AddMessage(&m, f), depth + 1);
        break;
    }
  }

  std::mt19937_64 rng_;
  const std::vector<std::string> real_handles_;
};

// One RPC of SocketService as the generic stub calls it.
struct Method {
  std::string path;  // "/socketsvc.v1.SocketService/Connect"
  const pb::Message* request;
  const pb::Message* response;
};

std::vector<Method> AllMethods() {
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

grpc::ByteBuffer ToByteBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

std::string FromByteBuffer(const grpc::ByteBuffer& buffer) {
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

// Releases everything in `created`; handles that were already gone (a
// garbage Close or ServerDelete may have hit them first) are fine.
void Release(Client& client, const Created& created) {
  std::map<std::string, int> failures;
  for (const std::string& handle : created.sockets) {
    absl::StatusOr<v1::CloseResponse> closed =
        client.Close(handle, v1::CLOSE_MODE_DISCARD, 5000);
    if (!closed.ok() && closed.status().code() != absl::StatusCode::kNotFound) {
      ++failures[absl::StrCat("Close: ", closed.status().ToString())];
    }
  }
  for (const std::string& id : created.servers) {
    v1::ServerDeleteRequest request;
    request.set_server_id(id);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    v1::ServerDeleteResponse response;
    grpc::Status status = client.stub()->ServerDelete(&context, request, &response);
    if (!status.ok() && status.error_code() != grpc::StatusCode::NOT_FOUND) {
      ++failures[absl::StrCat("ServerDelete: ", status.error_message())];
    }
  }
  for (const auto& [failure, n] : failures) {
    ADD_FAILURE() << n << " x " << failure;
  }
}

// Real resources for garbage to hit: a socket to the echo peer, a listener
// and an HTTP server.
Created MakeTargets(Client& client, uint16_t echo_port) {
  Created targets;
  absl::StatusOr<v1::ConnectResponse> connected =
      client.Connect("127.0.0.1", echo_port, 5000);
  EXPECT_TRUE(connected.ok()) << connected.status();
  if (connected.ok()) targets.sockets.push_back(connected->handle());
  {
    v1::ListenRequest request;
    grpc::ClientContext context;
    v1::ListenResponse response;
    grpc::Status status = client.stub()->Listen(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    if (status.ok()) targets.sockets.push_back(response.listener());
  }
  {
    v1::ServerCreateRequest request;
    grpc::ClientContext context;
    v1::ServerCreateResponse response;
    grpc::Status status = client.stub()->ServerCreate(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    if (status.ok()) targets.servers.push_back(response.server_id());
  }
  return targets;
}

std::vector<std::string> HandlesOf(const Created& created) {
  std::vector<std::string> all = created.sockets;
  all.insert(all.end(), created.servers.begin(), created.servers.end());
  return all;
}

// socketd does its job: a round trip through a fresh socket.
void ExpectHealthy(Client& client, uint16_t echo_port) {
  absl::StatusOr<v1::ConnectResponse> connected =
      client.Connect("127.0.0.1", echo_port, 5000);
  ASSERT_TRUE(connected.ok()) << connected.status();
  const std::string& handle = connected->handle();
  absl::StatusOr<v1::SendResponse> sent = client.Send(handle, "still alive", 5000);
  ASSERT_TRUE(sent.ok()) << sent.status();
  EXPECT_EQ(sent->bytes_sent(), 11u);
  std::string echoed;
  while (echoed.size() < 11) {
    absl::StatusOr<v1::ReceiveResponse> received = client.Receive(handle, 100, 1, 5000);
    ASSERT_TRUE(received.ok()) << received.status();
    ASSERT_FALSE(received->timed_out());
    echoed += received->data();
  }
  EXPECT_EQ(echoed, "still alive");
  absl::StatusOr<v1::CloseResponse> closed =
      client.Close(handle, v1::CLOSE_MODE_COMPLETE, 5000);
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_TRUE(closed->released());
}

// Waits until the process holds `baseline` descriptors or fewer (closes
// finish on socketd's strands, HTTP connections linger briefly).
int SettledFdCount(const SocketdProcess& socketd, int baseline) {
  const absl::Time limit = absl::Now() + absl::Seconds(15);
  int fds = socketd.FdCount();
  while (fds > baseline && absl::Now() < limit) {
    absl::SleepFor(absl::Milliseconds(50));
    fds = socketd.FdCount();
  }
  return fds;
}

// What the process's descriptors are, for a failure message: "socket
// 127.0.0.1:40123 LISTEN", "anon_inode:[eventfd]", ...
std::string DescribeFds(pid_t pid) {
  // inode -> "local remote state" from /proc/net/tcp{,6}.
  std::map<std::string, std::string> tcp;
  static const char* const kStates[] = {"?",         "ESTABLISHED", "SYN_SENT",
                                        "SYN_RECV",  "FIN_WAIT1",   "FIN_WAIT2",
                                        "TIME_WAIT", "CLOSE",       "CLOSE_WAIT",
                                        "LAST_ACK",  "LISTEN",      "CLOSING"};
  for (const char* table : {"tcp", "tcp6"}) {
    std::ifstream in(absl::StrCat("/proc/", pid, "/net/", table));
    std::string line;
    std::getline(in, line);  // Header.
    while (std::getline(in, line)) {
      std::vector<std::string> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
      if (f.size() < 10) continue;
      int state = 0;
      absl::SimpleHexAtoi(f[3], &state);
      tcp[f[9]] = absl::StrCat(f[1], " ", f[2], " ",
                               state > 0 && state < 12 ? kStates[state] : "?");
    }
  }
  std::map<std::string, int> kinds;
  const std::string dir = absl::StrCat("/proc/", pid, "/fd");
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      char target[256] = {};
      if (readlink(absl::StrCat(dir, "/", e->d_name).c_str(), target,
                   sizeof(target) - 1) < 0) {
        continue;
      }
      std::string kind = target;
      if (absl::StartsWith(kind, "socket:[")) {
        const std::string inode = kind.substr(8, kind.size() - 9);
        auto it = tcp.find(inode);
        if (it != tcp.end()) {
          // Only the state: ports differ for every socket.
          kind = "tcp " + it->second.substr(it->second.rfind(' ') + 1);
        } else {
          kind = "socket (not TCP)";
        }
      }
      ++kinds[kind];
    }
    closedir(d);
  }
  std::string out;
  for (const auto& [kind, n] : kinds) absl::StrAppend(&out, "  ", n, " x ", kind, "\n");
  return out;
}

// The process's descriptor count once it stopped changing (closes finish
// on socketd's strands): the same for half a second, or after 5 s.
int StableFdCount(const SocketdProcess& socketd) {
  const absl::Time limit = absl::Now() + absl::Seconds(5);
  int fds = socketd.FdCount();
  while (absl::Now() < limit) {
    absl::SleepFor(absl::Milliseconds(500));
    const int now = socketd.FdCount();
    if (now == fds) break;
    fds = now;
  }
  return fds;
}

// The last 64 KiB of socketd's stderr (a LeakSanitizer report comes last;
// the audit log before it can be long).
std::string StderrTail(const SocketdProcess& socketd) {
  const std::string text = socketd.stderr_text();
  return text.size() > 65536 ? text.substr(text.size() - 65536) : text;
}

uint64_t Seed() {
  uint64_t seed = 0;
  const char* env = std::getenv("MALFORMED_SEED");
  if (env != nullptr && absl::SimpleAtoi(env, &seed)) return seed;
  return static_cast<uint64_t>(absl::ToUnixNanos(absl::Now()));
}

TEST(MalformedRequestsTest, EveryRpcSurvivesGarbageWithoutLeaking) {
  // Serializing a non-UTF-8 string on purpose logs once per request.
  pb::SetLogHandler(nullptr);
  SocketdProcess socketd({"--shutdown_grace_ms=500"});
  ASSERT_TRUE(socketd.started());
  peers::EchoPeer echo;
  auto channel = grpc::CreateChannel(socketd.target(), grpc::InsecureChannelCredentials());
  Client client(v1::SocketService::NewStub(channel));
  const std::vector<Method> methods = AllMethods();
  ASSERT_GE(methods.size(), 14u);
  const uint64_t seed = Seed();
  std::cerr << "MALFORMED_SEED=" << seed << ", " << methods.size() << " RPCs\n";

  // One round: real targets for the garbage to hit, the flood, and then
  // everything released that socketd handed out.
  std::map<grpc::StatusCode, int> codes;
  auto round = [&](uint64_t round_seed, int per_rpc) {
    Created targets = MakeTargets(client, echo.port());
    Garbage garbage(round_seed, HandlesOf(targets));
    Flood flood(channel);
    flood.Run(methods, garbage, per_rpc);
    Created created = flood.TakeCreated();
    Release(client, created);
    Release(client, targets);
    for (const auto& [code, n] : flood.codes()) codes[code] += n;
    return created.sockets.size() + created.servers.size();
  };

  // Warm-up: the same kinds of requests, so that what the allocator keeps
  // and what gRPC builds lazily is in the baseline.
  round(seed, kWarmUpPerRpc);
  ExpectHealthy(client, echo.port());
  const int fds_before = StableFdCount(socketd);
  const long rss_before = socketd.RssKib();
  ASSERT_GT(fds_before, 0);
  ASSERT_GT(rss_before, 0);

  codes.clear();
  const absl::Time start = absl::Now();
  int rounds = 1;
  if (const char* env = std::getenv("MALFORMED_ROUNDS")) (void)absl::SimpleAtoi(env, &rounds);
  size_t created = 0;
  for (int i = 0; i < rounds; ++i) {
    created += round(seed + 1 + i, kRequestsPerRpc / rounds);
    std::cerr << "round " << i << ": RSS " << socketd.RssKib() << " KiB\n";
  }
  std::cerr << kRequestsPerRpc * methods.size() << " malformed requests in "
            << absl::Now() - start << " (" << created
            << " of them valid enough to create something, released); codes:";
  for (const auto& [code, n] : codes) std::cerr << " " << code << "=" << n;
  std::cerr << "\n";

  ExpectHealthy(client, echo.port());
  const int fds_after = SettledFdCount(socketd, fds_before);
  const long rss_after = socketd.RssKib();
  std::cerr << "socketd fds " << fds_before << " -> " << fds_after << ", RSS "
            << rss_before << " KiB -> " << rss_after << " KiB\n";
  EXPECT_LE(fds_after, fds_before) << "socketd's descriptors now:\n"
                                   << DescribeFds(socketd.pid());
#ifndef SOCKETSVC_ASAN
  // (AddressSanitizer keeps freed memory in quarantine; LeakSanitizer at
  // exit below is the leak check there.)
  EXPECT_LE(rss_after, rss_before + kRssSlackKib);
#endif

  const int status = socketd.SignalAndWait(SIGTERM, 30000);
  ASSERT_NE(status, -1) << "socketd did not exit after SIGTERM";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "exit status " << status << "; the end of its stderr:\n"
      << StderrTail(socketd);
}

// A Listen or ServerCreate whose answer never reaches the caller (its
// deadline passed first) must not leave a listening socket behind that
// nobody has the handle of.
TEST(MalformedRequestsTest, AnswersThatNeverArriveLeaveNothingBehind) {
  SocketdProcess socketd;
  ASSERT_TRUE(socketd.started());
  auto channel = grpc::CreateChannel(socketd.target(), grpc::InsecureChannelCredentials());
  auto stub = v1::SocketService::NewStub(channel);
  {
    // Connected and warm, so that the calls below race only their deadlines.
    grpc::ClientContext context;
    v1::ListenResponse response;
    ASSERT_TRUE(stub->Listen(&context, v1::ListenRequest(), &response).ok());
    Client client(std::move(stub));
    ASSERT_TRUE(client.Close(response.listener()).ok());
    stub = v1::SocketService::NewStub(channel);
  }
  const int fds_before = StableFdCount(socketd);
  int answered = 0;
  for (int i = 0; i < 300; ++i) {
    grpc::ClientContext context;
    // Most expire before socketd sees the call or while it works on it,
    // the rest leave plenty of time.
    context.set_deadline(absl::ToChronoTime(
        absl::Now() + (i % 3 == 2 ? absl::Seconds(5) : absl::Microseconds(100 * (i % 20)))));
    grpc::Status status;
    if (i % 2 == 0) {
      v1::ListenResponse response;
      status = stub->Listen(&context, v1::ListenRequest(), &response);
      if (status.ok()) {
        ++answered;
        Client(v1::SocketService::NewStub(channel)).Close(response.listener()).IgnoreError();
      }
    } else {
      v1::ServerCreateResponse response;
      status = stub->ServerCreate(&context, v1::ServerCreateRequest(), &response);
      if (status.ok()) {
        ++answered;
        v1::ServerDeleteRequest request;
        request.set_server_id(response.server_id());
        grpc::ClientContext delete_context;
        v1::ServerDeleteResponse deleted;
        (void)stub->ServerDelete(&delete_context, request, &deleted);
      }
    }
  }
  std::cerr << answered << " of 300 answered in time\n";
  const int fds_after = SettledFdCount(socketd, fds_before);
  EXPECT_LE(fds_after, fds_before) << "socketd's descriptors now:\n"
                                   << DescribeFds(socketd.pid());
}

// Beast 1.74 asserted on a chunked body whose last CRLF arrived on its own
// (see third_party/boost_assert_handler.cc): without NDEBUG any HTTP client
// could abort socketd with it.
TEST(MalformedRequestsTest, ChunkedBodyEndingInPiecesIsServed) {
  SocketdProcess socketd;
  ASSERT_TRUE(socketd.started());
  Client client = Client::Create(socketd.target());
  v1::ServerCreateRequest create;
  grpc::ClientContext create_context;
  v1::ServerCreateResponse server;
  ASSERT_TRUE(client.stub()->ServerCreate(&create_context, create, &server).ok());

  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(server.port()));
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  for (const std::string piece :
       {"POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        "3\r\nabc\r\n0\r\n",
        "\r", "\n"}) {
    ASSERT_EQ(write(fd, piece.data(), piece.size()), static_cast<ssize_t>(piece.size()));
    absl::SleepFor(absl::Milliseconds(100));
  }
  v1::ServerReceiveRequest receive;
  receive.set_server_id(server.server_id());
  receive.set_timeout_ms(5000);
  grpc::ClientContext receive_context;
  v1::ServerReceiveResponse request;
  grpc::Status status =
      client.stub()->ServerReceive(&receive_context, receive, &request);
  ASSERT_TRUE(status.ok()) << status.error_message() << "; socketd stderr:\n"
                           << socketd.stderr_text();
  EXPECT_EQ(request.body(), "abc");
  v1::ServerSendRequest answer;
  answer.set_request_handle(request.request_handle());
  answer.set_status(204);
  grpc::ClientContext send_context;
  v1::ServerSendResponse sent;
  EXPECT_TRUE(client.stub()->ServerSend(&send_context, answer, &sent).ok());
  char buf[256];
  const ssize_t n = read(fd, buf, sizeof(buf));
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, n).substr(0, 12), "HTTP/1.1 204");
  close(fd);
}

}  // namespace
}  // namespace socketsvc::e2e
