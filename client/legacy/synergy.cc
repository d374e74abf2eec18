// The Synergy %HTTP_SERVER_* routines over socketd's HTTP server instances.
// Conversions (errors, PEM, headers, log entries) are in synergy_util.cc.
#include "client/legacy/synergy.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <system_error>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "client/legacy/synergy_internal.h"

namespace socketsvc::synergy {
namespace {

using internal::Call;
using internal::ErrorFor;
using internal::LogFile;
using internal::SetError;

// One %HTTP_SERVER_CREATE instance. Thread-safe.
class Instance {
 public:
  Instance(Client client, std::string server_id, int port)
      : client_(std::move(client)), server_id_(std::move(server_id)), port_(port) {}

  const Client& client() const { return client_; }
  const std::string& server_id() const { return server_id_; }
  int port() const { return port_; }

  // The request the calling thread received last and has not answered.
  void SetCurrent(std::string request_handle) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    current_[std::this_thread::get_id()] = std::move(request_handle);
  }
  std::optional<std::string> Current() const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    auto it = current_.find(std::this_thread::get_id());
    if (it == current_.end()) return std::nullopt;
    return it->second;
  }
  void ClearCurrent() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    current_.erase(std::this_thread::get_id());
  }

  // Runs `body` on a new thread (a "child"); false once the instance is
  // deleted. Throws std::system_error if no thread can be started.
  bool StartChild(std::function<void()> body) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    if (deleted_) return false;
    ReapLocked();
    auto done = std::make_shared<std::atomic<bool>>(false);
    children_.push_back(Child{std::thread([body = std::move(body), done] {
                                body();
                                done->store(true);
                              }),
                              done});
    return true;
  }

  // Marks the instance deleted and waits for every child but the caller.
  void JoinChildren() ABSL_LOCKS_EXCLUDED(mu_) {
    std::vector<Child> children;
    {
      absl::MutexLock lock(&mu_);
      deleted_ = true;
      children.swap(children_);
    }
    for (Child& child : children) {
      if (child.thread.get_id() == std::this_thread::get_id()) {
        child.thread.detach();
      } else {
        child.thread.join();
      }
    }
  }

 private:
  struct Child {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };

  // Joins the children that have finished.
  void ReapLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (auto it = children_.begin(); it != children_.end();) {
      if (it->done->load()) {
        it->thread.join();
        it = children_.erase(it);
      } else {
        ++it;
      }
    }
  }

  const Client client_;
  const std::string server_id_;
  const int port_;
  mutable absl::Mutex mu_;
  std::map<std::thread::id, std::string> current_ ABSL_GUARDED_BY(mu_);
  std::vector<Child> children_ ABSL_GUARDED_BY(mu_);
  bool deleted_ ABSL_GUARDED_BY(mu_) = false;
};

// Process-wide state: the bound client and the instances.
struct Registry {
  absl::Mutex mu;
  std::optional<Client> client ABSL_GUARDED_BY(mu);
  Options options ABSL_GUARDED_BY(mu);
  D_HANDLE next ABSL_GUARDED_BY(mu) = 1;
  std::map<D_HANDLE, std::shared_ptr<Instance>> instances ABSL_GUARDED_BY(mu);
};

Registry& Reg() {
  static Registry* registry = new Registry();
  return *registry;
}

std::shared_ptr<Instance> Find(D_HANDLE id) {
  Registry& r = Reg();
  absl::MutexLock lock(&r.mu);
  auto it = r.instances.find(id);
  return it == r.instances.end() ? nullptr : it->second;
}

int Failed(std::string& error, const absl::Status& status, Call call) {
  return SetError(error, ErrorFor(status, call), status.message());
}

// One ServerReceive for the instance; fills `request` or returns an error
// number with `error` set.
int TakeRequest(Instance& instance, int64_t timeout_ms, LogFile& log,
                v1::ServerReceiveResponse* request, std::string& error) {
  absl::StatusOr<v1::ServerReceiveResponse> received =
      instance.client().ServerReceive(instance.server_id(), timeout_ms);
  if (!received.ok()) return Failed(error, received.status(), Call::kReceive);
  if (received->timed_out()) return SetError(error, HTTP_ERR_TIMEOUT);
  *request = *std::move(received);
  log.Append("RECEIVE", internal::RequestText(*request),
             absl::StrCat(request->peer_address(), ":", request->peer_port()));
  return SetError(error, HTTP_OK);
}

}  // namespace

void Use(const Client& client, Options options) {
  Registry& r = Reg();
  absl::MutexLock lock(&r.mu);
  r.client = client;
  r.options = std::move(options);
}

int HTTP_SERVER_CREATE(D_HANDLE& instance_id, int port, std::string& error,
                       int protocols, const std::string& /*ciphers*/,
                       const std::string& cert_file, const std::string& CA_file,
                       int IP_flag) {
  instance_id = 0;
  std::optional<Client> client;
  Options options;
  {
    Registry& r = Reg();
    absl::MutexLock lock(&r.mu);
    client = r.client;
    options = r.options;
  }
  if (!client) return SetError(error, HTTP_ERR_NOT_BOUND);
  if (port < 0 || port > 65535) {
    return SetError(error, HTTP_ERR_INVALID_ARGUMENT, absl::StrCat("port ", port));
  }
  if (!internal::ValidProtocols(protocols)) return SetError(error, HTTP_ERR_INVALID_PROTOCOL);
  v1::ServerCreateRequest request;
  request.set_bind_address(IP_flag == 0 ? options.ipv4_bind_address
                                        : options.any_bind_address);
  request.set_port(static_cast<uint32_t>(port));
  if (!cert_file.empty()) {
    std::optional<std::string> text = internal::ReadWholeFile(cert_file);
    if (!text) return SetError(error, HTTP_ERR_CERT_FILE, "cannot read " + cert_file);
    internal::Pem pem = internal::SplitPem(*text);
    if (pem.certificates.empty() || pem.private_key.empty()) {
      return SetError(error, HTTP_ERR_CERT_FILE,
                      cert_file + " needs a certificate and its private key (PEM)");
    }
    request.mutable_tls()->set_cert_pem(pem.certificates);
    request.mutable_tls()->set_key_pem(pem.private_key);
  }
  if (!CA_file.empty()) {
    if (cert_file.empty()) {
      return SetError(error, HTTP_ERR_INVALID_ARGUMENT, "CA_file needs cert_file");
    }
    std::optional<std::string> text = internal::ReadWholeFile(CA_file);
    if (!text) return SetError(error, HTTP_ERR_CA_FILE, "cannot read " + CA_file);
    internal::Pem pem = internal::SplitPem(*text);
    if (pem.certificates.empty()) {
      return SetError(error, HTTP_ERR_CA_FILE, CA_file + " holds no certificate");
    }
    request.mutable_tls()->set_client_ca_pem(pem.certificates);
  }
  absl::StatusOr<v1::ServerCreateResponse> created = client->ServerCreate(request);
  if (!created.ok()) return Failed(error, created.status(), Call::kCreate);
  auto instance = std::make_shared<Instance>(*client, created->server_id(),
                                             static_cast<int>(created->port()));
  Registry& r = Reg();
  absl::MutexLock lock(&r.mu);
  instance_id = r.next++;
  r.instances.emplace(instance_id, std::move(instance));
  return SetError(error, HTTP_OK);
}

int HTTP_SERVER_RECEIVE(D_HANDLE instance_id, std::string& uri, std::string& method,
                        int timeout, std::string& handle, int& length,
                        std::string& error, std::vector<std::string>* headers,
                        const std::string& log_file) {
  std::shared_ptr<Instance> instance = Find(instance_id);
  if (instance == nullptr) return SetError(error, HTTP_ERR_INVALID_INSTANCE);
  if (timeout < 0) {
    return SetError(error, HTTP_ERR_INVALID_ARGUMENT, absl::StrCat("timeout ", timeout));
  }
  LogFile log;
  if (!log.Open(log_file)) return SetError(error, HTTP_ERR_LOG_FILE, log_file);
  v1::ServerReceiveResponse request;
  const int status = TakeRequest(*instance, timeout > 0 ? timeout * int64_t{1000} : -1,
                                 log, &request, error);
  if (status != HTTP_OK) return status;
  instance->SetCurrent(request.request_handle());
  uri = request.uri();
  method = request.method();
  handle = request.body();
  length = static_cast<int>(request.body().size());
  if (headers != nullptr) *headers = internal::HeaderStrings(request);
  return HTTP_OK;
}

int HTTP_SERVER_RECEIVE(D_HANDLE instance_id, std::string& uri, std::string& method,
                        std::string& handle, int& length, std::string& error,
                        std::vector<std::string>* headers, const std::string& log_file) {
  return HTTP_SERVER_RECEIVE(instance_id, uri, method, 0, handle, length, error, headers,
                             log_file);
}

int HTTP_SERVER_RECEIVE(D_HANDLE instance_id, std::string& uri, std::string& method,
                        int timeout, std::string& handle, int& length,
                        std::string& error, std::vector<std::string>* headers,
                        const std::string& log_file, int& fork,
                        const ChildRoutine& child) {
  if (fork == 0) {
    return HTTP_SERVER_RECEIVE(instance_id, uri, method, timeout, handle, length, error,
                               headers, log_file);
  }
  std::shared_ptr<Instance> instance = Find(instance_id);
  if (instance == nullptr) return SetError(error, HTTP_ERR_INVALID_INSTANCE);
  if ((fork != 1 && fork != 2) || !child || timeout < 0) {
    return SetError(error, HTTP_ERR_INVALID_ARGUMENT,
                    !child ? "fork needs a child routine" : absl::StrCat("fork ", fork));
  }
  LogFile log;
  if (!log.Open(log_file)) return SetError(error, HTTP_ERR_LOG_FILE, log_file);
  const bool ends = fork == 1 && timeout > 0;
  const absl::Time end = absl::Now() + absl::Seconds(timeout);
  for (;;) {
    const int64_t left_ms =
        ends ? std::max<int64_t>(0, absl::ToInt64Milliseconds(end - absl::Now())) : -1;
    if (ends && left_ms == 0) break;
    v1::ServerReceiveResponse request;
    const int status = TakeRequest(*instance, left_ms, log, &request, error);
    if (status == HTTP_ERR_TIMEOUT) continue;
    if (status != HTTP_OK) return status;
    ChildRequest copy{request.uri(), request.method(), request.body(),
                      static_cast<int>(request.body().size()),
                      internal::HeaderStrings(request)};
    Instance* self = instance.get();
    auto body = [self, instance, handle_id = request.request_handle(),
                 copy = std::move(copy), child] {
      self->SetCurrent(handle_id);
      child(copy);
      // A child that ends without answering: its client is not left
      // waiting for socketd's response timeout.
      if (self->Current().has_value()) {
        v1::ServerSendRequest answer;
        answer.set_request_handle(handle_id);
        answer.set_status(500);
        answer.set_close(true);
        (void)self->client().ServerSend(answer);
      }
      self->ClearCurrent();
    };
    try {
      if (!instance->StartChild(std::move(body))) {
        return SetError(error, HTTP_ERR_SERVER_DELETED);
      }
    } catch (const std::system_error& e) {
      fork = -1;
      return SetError(error, HTTP_ERR_FORK, e.what());
    }
  }
  uri.clear();
  method.clear();
  handle.clear();
  length = 0;
  if (headers != nullptr) headers->clear();
  fork = 1;
  return SetError(error, HTTP_OK);
}

int HTTP_SERVER_SEND(D_HANDLE instance_id, int status, const std::string& reason,
                     const std::string& handle, int length, std::string& error,
                     const std::vector<std::string>& headers, const std::string& log_file,
                     const std::string& version, int dont_close) {
  std::shared_ptr<Instance> instance = Find(instance_id);
  if (instance == nullptr) return SetError(error, HTTP_ERR_INVALID_INSTANCE);
  std::optional<std::string> current = instance->Current();
  if (!current) return SetError(error, HTTP_ERR_NO_REQUEST);
  if (length < 0 || static_cast<size_t>(length) > handle.size()) {
    return SetError(error, HTTP_ERR_INVALID_ARGUMENT,
                    absl::StrCat("length ", length, " of ", handle.size(), " bytes"));
  }
  if (version != "1.0" && version != "1.1") {
    return SetError(error, HTTP_ERR_INVALID_ARGUMENT, "version " + version);
  }
  if (status < 0) {
    return SetError(error, HTTP_ERR_INVALID_ARGUMENT, absl::StrCat("status ", status));
  }
  v1::ServerSendRequest answer;
  std::string bad;
  if (!internal::AddHeaders(headers, &answer, &bad)) {
    return SetError(error, HTTP_ERR_INVALID_ARGUMENT, "header \"" + bad + "\"");
  }
  LogFile log;
  if (!log.Open(log_file)) return SetError(error, HTTP_ERR_LOG_FILE, log_file);
  answer.set_request_handle(*current);
  answer.set_status(static_cast<uint32_t>(status));
  answer.set_reason(reason);
  answer.set_body(handle.substr(0, static_cast<size_t>(length)));
  answer.set_close(dont_close == 0);
  absl::StatusOr<v1::ServerSendResponse> sent = instance->client().ServerSend(answer);
  if (!sent.ok()) {
    // An invalid answer leaves the request waiting for a valid one.
    if (sent.status().code() != absl::StatusCode::kInvalidArgument) {
      instance->ClearCurrent();
    }
    return Failed(error, sent.status(), Call::kSend);
  }
  instance->ClearCurrent();
  log.Append("SEND", internal::ResponseText(answer));
  return SetError(error, HTTP_OK);
}

int HTTP_SERVER_DELETE(D_HANDLE instance_id, std::string& error) {
  std::shared_ptr<Instance> instance;
  {
    Registry& r = Reg();
    absl::MutexLock lock(&r.mu);
    auto it = r.instances.find(instance_id);
    if (it == r.instances.end()) return SetError(error, HTTP_ERR_INVALID_INSTANCE);
    instance = std::move(it->second);
    r.instances.erase(it);
  }
  absl::StatusOr<v1::ServerDeleteResponse> deleted =
      instance->client().ServerDelete(instance->server_id());
  instance->JoinChildren();
  if (!deleted.ok() && deleted.status().code() != absl::StatusCode::kNotFound) {
    return Failed(error, deleted.status(), Call::kDelete);
  }
  return SetError(error, HTTP_OK);
}

int HTTP_SERVER_DELETE(D_HANDLE instance_id) {
  std::string error;
  return HTTP_SERVER_DELETE(instance_id, error);
}

int BoundPort(D_HANDLE instance_id) {
  std::shared_ptr<Instance> instance = Find(instance_id);
  return instance == nullptr ? -1 : instance->port();
}

}  // namespace socketsvc::synergy
