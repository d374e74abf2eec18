#include "service/ops/session_census.h"

#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"

namespace socketsvc {
namespace {

// Shared with the sessions' answers, which may come after the census gave
// up waiting.
struct Tally {
  absl::Mutex mu;
  size_t pending ABSL_GUARDED_BY(mu) = 0;
  std::map<std::string, double> by_state ABSL_GUARDED_BY(mu);
};

}  // namespace

std::string StateLabel(v1::SocketState state) {
  std::string name = v1::SocketState_Name(state);
  constexpr absl::string_view kPrefix = "SOCKET_STATE_";
  if (absl::StartsWith(name, kPrefix)) name.erase(0, kPrefix.size());
  absl::AsciiStrToLower(&name);
  return name;
}

std::map<std::string, double> CountSessionsByState(const SessionTable& table,
                                                   absl::Duration timeout) {
  auto tally = std::make_shared<Tally>();
  std::vector<std::shared_ptr<Session>> sessions = table.All();
  {
    absl::MutexLock lock(&tally->mu);
    tally->pending = sessions.size();
  }
  for (const std::shared_ptr<Session>& session : sessions) {
    session->GetInfo([tally](absl::StatusOr<v1::SocketInfo> info) {
      absl::MutexLock lock(&tally->mu);
      --tally->pending;
      if (info.ok()) tally->by_state[StateLabel(info->state())] += 1;
    });
  }
  sessions.clear();
  absl::MutexLock lock(&tally->mu);
  tally->mu.AwaitWithTimeout(
      absl::Condition(+[](size_t* pending) { return *pending == 0; }, &tally->pending),
      timeout);
  return tally->by_state;
}

}  // namespace socketsvc
