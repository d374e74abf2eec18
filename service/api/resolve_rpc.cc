// Resolve: name → addresses, or address → names (Omnis TCPName2Addr and
// TCPAddr2Name). Lookups run on the Resolver's threads; the RPC holds none.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/socket_error.h"
#include "common/status_macros.h"
#include "service/api/call_reactor.h"
#include "service/api/request_util.h"
#include "service/api/socket_service.h"

namespace socketsvc {
namespace {

// Links a gRPC cancellation to a lookup that may not have started yet: the
// canceller must be set before the lookup starts, and the lookup's id is
// known only after. Thread-safe.
class LookupCanceller {
 public:
  explicit LookupCanceller(Resolver& resolver) : resolver_(resolver) {}

  // From the reactor's canceller.
  void Cancel() ABSL_LOCKS_EXCLUDED(mu_) {
    Resolver::LookupId id = 0;
    {
      absl::MutexLock lock(&mu_);
      cancelled_ = true;
      id = id_;
    }
    if (id != 0) resolver_.Cancel(id);
  }

  // Once the lookup started. May run after the lookup was answered (Cancel
  // of an answered id does nothing), so it must not touch the reactor.
  void Started(Resolver::LookupId id) ABSL_LOCKS_EXCLUDED(mu_) {
    bool cancelled = false;
    {
      absl::MutexLock lock(&mu_);
      id_ = id;
      cancelled = cancelled_;
    }
    if (cancelled && id != 0) resolver_.Cancel(id);
  }

 private:
  Resolver& resolver_;
  absl::Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  Resolver::LookupId id_ ABSL_GUARDED_BY(mu_) = 0;
};

// "[::1]" and "::1" are literals; so is "fe80::1%eth0".
bool ParseLiteral(const std::string& name, boost::asio::ip::address* address) {
  boost::system::error_code ec;
  *address = boost::asio::ip::make_address(Unbracketed(name), ec);
  return !ec;
}

}  // namespace

grpc::ServerUnaryReactor* SocketServiceImpl::Resolve(
    grpc::CallbackServerContext* context, const v1::ResolveRequest* request,
    v1::ResolveResponse* response) {
  auto* reactor = new CallReactor();
  absl::Status valid = ValidateHostName(request->name(), "name");
  absl::StatusOr<absl::Time> deadline =
      CallDeadline(*request, options_.max_wait, *context);
  if (!valid.ok() || !deadline.ok()) {
    reactor->Complete(!valid.ok() ? valid : deadline.status());
    return reactor;
  }
  auto canceller = std::make_shared<LookupCanceller>(resolver_);
  reactor->SetCanceller([canceller] { canceller->Cancel(); });
  // From here on the reactor may be gone as soon as the lookup answers.
  boost::asio::ip::address address;
  if (ParseLiteral(request->name(), &address)) {
    canceller->Started(resolver_.ReverseLookup(
        address, *deadline, executor_,
        [reactor, response](absl::StatusOr<std::vector<std::string>> names) {
          if (!names.ok()) return reactor->Complete(names.status());
          for (std::string& name : *names) response->add_names(std::move(name));
          reactor->Complete(absl::OkStatus());
        }));
    return reactor;
  }
  canceller->Started(resolver_.Lookup(
      request->name(), /*service=*/"", *deadline, executor_,
      [reactor, response](absl::StatusOr<Endpoints> endpoints) {
        if (!endpoints.ok()) return reactor->Complete(endpoints.status());
        for (const boost::asio::ip::tcp::endpoint& endpoint : *endpoints) {
          std::string text = endpoint.address().to_string();
          const auto& seen = response->addresses();
          if (std::find(seen.begin(), seen.end(), text) == seen.end()) {
            response->add_addresses(std::move(text));
          }
        }
        reactor->Complete(absl::OkStatus());
      }));
  return reactor;
}

}  // namespace socketsvc
