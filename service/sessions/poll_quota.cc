#include "service/sessions/poll_quota.h"

#include "absl/strings/str_cat.h"
#include "common/socket_error.h"

namespace socketsvc {

PollQuota::Ticket::~Ticket() { quota_.Release(principal_); }

absl::StatusOr<std::unique_ptr<PollQuota::Ticket>> PollQuota::Acquire(
    absl::string_view principal) {
  absl::MutexLock lock(&mu_);
  if (pending_ >= total_) {
    return SocketErrorStatus(
        absl::StatusCode::kResourceExhausted, v1::SOCKET_ERROR_LIMIT_EXCEEDED,
        absl::StrCat("socketd already holds its maximum of ", total_, " pending Poll calls"));
  }
  size_t& mine = by_principal_[principal];
  if (mine >= per_principal_) {
    return SocketErrorStatus(
        absl::StatusCode::kResourceExhausted, v1::SOCKET_ERROR_LIMIT_EXCEEDED,
        absl::StrCat("at most ", per_principal_, " pending Poll calls per caller"));
  }
  ++mine;
  ++pending_;
  return std::unique_ptr<Ticket>(new Ticket(*this, std::string(principal)));
}

size_t PollQuota::pending() const {
  absl::MutexLock lock(&mu_);
  return pending_;
}

void PollQuota::Release(const std::string& principal) {
  absl::MutexLock lock(&mu_);
  --pending_;
  auto it = by_principal_.find(principal);
  if (it != by_principal_.end() && --it->second == 0) by_principal_.erase(it);
}

}  // namespace socketsvc
