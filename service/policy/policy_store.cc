#include "service/policy/policy_store.h"

#include <algorithm>
#include <utility>

namespace socketsvc {

absl::StatusOr<std::shared_ptr<const Policy>> PolicyStore::Load(
    const std::string& file) {
  if (file.empty()) return Policy::BuiltIn();
  return Policy::LoadFile(file);
}

PolicyStore::PolicyStore(std::string file,
                         std::shared_ptr<const Policy> initial)
    : file_(std::move(file)) {
  auto self = std::make_shared<SelfEndpoints>();
  self->local_addresses = SelfEndpoints::InterfaceAddresses();
  absl::MutexLock lock(&mu_);
  InstallLocked(std::move(initial), std::move(self));
}

std::shared_ptr<const Policy> PolicyStore::Snapshot() const {
  absl::MutexLock lock(&mu_);
  return current_;
}

void PolicyStore::SetOwnPorts(std::vector<uint16_t> ports) {
  ports.erase(std::remove(ports.begin(), ports.end(), 0), ports.end());
  auto self = std::make_shared<SelfEndpoints>();
  self->ports = std::move(ports);
  self->local_addresses = SelfEndpoints::InterfaceAddresses();
  absl::MutexLock lock(&mu_);
  InstallLocked(rules_, std::move(self));
}

absl::StatusOr<PolicyStore::Commit> PolicyStore::PrepareReload() {
  // Read outside the lock: Snapshot never waits for a file.
  std::shared_ptr<const Policy> rules;
  if (!file_.empty()) {
    absl::StatusOr<std::shared_ptr<const Policy>> loaded =
        Policy::LoadFile(file_);
    if (!loaded.ok()) return loaded.status();
    rules = *std::move(loaded);
  }
  std::vector<boost::asio::ip::address> addresses =
      SelfEndpoints::InterfaceAddresses();
  return Commit([this, rules = std::move(rules),
                 addresses = std::move(addresses)]() mutable {
    absl::MutexLock lock(&mu_);
    auto self = std::make_shared<SelfEndpoints>(*self_);
    self->local_addresses = std::move(addresses);
    InstallLocked(rules ? std::move(rules) : rules_, std::move(self));
  });
}

absl::Status PolicyStore::Reload() {
  absl::StatusOr<Commit> commit = PrepareReload();
  if (!commit.ok()) return commit.status();
  std::move (*commit)();
  return absl::OkStatus();
}

void PolicyStore::InstallLocked(std::shared_ptr<const Policy> rules,
                                std::shared_ptr<const SelfEndpoints> self) {
  rules_ = std::move(rules);
  self_ = std::move(self);
  current_ = rules_->WithSelf(self_);
}

}  // namespace socketsvc
