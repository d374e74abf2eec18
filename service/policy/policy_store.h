// The policy in force, swapped whole when the file is reloaded (SIGHUP).
//
// Every call takes a Snapshot() when it starts and judges everything it does
// by that one policy: a Connect that is resolving while a reload happens
// keeps the policy it started with, and sessions that exist are never
// re-judged. Thread-safe.
#ifndef SOCKETSVC_SERVICE_POLICY_POLICY_STORE_H_
#define SOCKETSVC_SERVICE_POLICY_POLICY_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "service/policy/policy.h"

namespace socketsvc {

class PolicyStore {
 public:
  // Puts a prepared reload in force; cannot fail.
  using Commit = absl::AnyInvocable<void() &&>;

  // The policy of `file` (Policy::LoadFile), or the built-in one when `file`
  // is empty.
  static absl::StatusOr<std::shared_ptr<const Policy>> Load(
      const std::string& file);

  // `initial` is what Load(file) gave.
  PolicyStore(std::string file, std::shared_ptr<const Policy> initial);
  PolicyStore(const PolicyStore&) = delete;
  PolicyStore& operator=(const PolicyStore&) = delete;

  // The policy in force, with socketd's own endpoints. Never null.
  std::shared_ptr<const Policy> Snapshot() const ABSL_LOCKS_EXCLUDED(mu_);

  // socketd's own gRPC port(s) (0s are ignored): never reachable through
  // Connect on a local address, never bound by Listen or ServerCreate. Also
  // re-reads this host's interface addresses.
  void SetOwnPorts(std::vector<uint16_t> ports) ABSL_LOCKS_EXCLUDED(mu_);

  // Reads the file again and checks it; the result puts it in force. On an
  // error (unreadable, syntax with line and column, bad rule) the policy in
  // force stays. Without a file there is nothing to read: the commit only
  // refreshes the interface addresses.
  absl::StatusOr<Commit> PrepareReload() ABSL_LOCKS_EXCLUDED(mu_);

  // PrepareReload and, if it worked, the commit.
  absl::Status Reload() ABSL_LOCKS_EXCLUDED(mu_);

  const std::string& file() const { return file_; }

 private:
  void InstallLocked(std::shared_ptr<const Policy> rules,
                     std::shared_ptr<const SelfEndpoints> self)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string file_;
  mutable absl::Mutex mu_;
  // The rules as loaded, without self_.
  std::shared_ptr<const Policy> rules_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const SelfEndpoints> self_ ABSL_GUARDED_BY(mu_);
  // rules_ with self_: what Snapshot hands out.
  std::shared_ptr<const Policy> current_ ABSL_GUARDED_BY(mu_);
};

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_POLICY_POLICY_STORE_H_
