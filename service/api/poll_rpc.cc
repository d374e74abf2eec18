// Poll: waits on many sockets, listeners and HTTP servers at once
// (service/sessions/poll_set.h does the waiting).
//
// Items naming the same handle share one wait; each item is answered with
// its own events. A handle that names nothing of the caller's (malformed,
// unknown, released, another principal's, a request handle) is answered
// POLL_EVENT_INVALID, never an error of the whole call: a caller polling a
// set that changes under it learns which handle went away.
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/socket_error.h"
#include "service/api/call_reactor.h"
#include "service/api/principal.h"
#include "service/api/request_util.h"
#include "service/api/socket_service.h"
#include "service/sessions/handle.h"
#include "service/sessions/poll_quota.h"
#include "service/sessions/poll_set.h"

namespace socketsvc {
namespace {

constexpr uint32_t kKnownEvents = v1::POLL_EVENT_READABLE | v1::POLL_EVENT_WRITABLE |
                                  v1::POLL_EVENT_ACCEPTABLE | v1::POLL_EVENT_HUP |
                                  v1::POLL_EVENT_INVALID;
constexpr uint32_t kAlwaysReported = v1::POLL_EVENT_HUP | v1::POLL_EVENT_INVALID;
// Far above any handle socketd makes (about 50 bytes). A longer string is a
// caller's bug, not a stale handle, and answering it as INVALID would echo
// it back: refused, so that an answer is never much larger than 4096 handles.
constexpr size_t kMaxHandleBytes = 128;

absl::Status ValidatePoll(const v1::PollRequest& request) {
  if (request.items().empty()) {
    return SocketErrorStatus(absl::StatusCode::kInvalidArgument,
                             v1::SOCKET_ERROR_INVALID_REQUEST,
                             "Poll needs at least one item");
  }
  if (static_cast<size_t>(request.items_size()) > kMaxPollItems) {
    return SocketErrorStatus(absl::StatusCode::kResourceExhausted,
                             v1::SOCKET_ERROR_LIMIT_EXCEEDED,
                             absl::StrCat("Poll takes at most ", kMaxPollItems,
                                          " items, not ", request.items_size()));
  }
  for (int i = 0; i < request.items_size(); ++i) {
    if (request.items(i).handle().size() > kMaxHandleBytes) {
      return SocketErrorStatus(
          absl::StatusCode::kInvalidArgument, v1::SOCKET_ERROR_INVALID_REQUEST,
          absl::StrCat("items[", i, "].handle is ", request.items(i).handle().size(),
                       " bytes long; no handle is longer than ", kMaxHandleBytes));
    }
    const uint32_t events = request.items(i).events();
    if ((events & ~kKnownEvents) != 0) {
      return SocketErrorStatus(
          absl::StatusCode::kInvalidArgument, v1::SOCKET_ERROR_INVALID_REQUEST,
          absl::StrCat("items[", i, "].events has bits that are no PollEvent: 0x",
                       absl::Hex(events & ~kKnownEvents)));
    }
  }
  return absl::OkStatus();
}

}  // namespace

grpc::ServerUnaryReactor* SocketServiceImpl::Poll(grpc::CallbackServerContext* context,
                                                  const v1::PollRequest* request,
                                                  v1::PollResponse* response) {
  auto* reactor = new CallReactor();
  absl::Status valid = ValidatePoll(*request);
  absl::StatusOr<absl::Time> deadline =
      CallDeadline(*request, options_.max_wait, *context);
  if (!valid.ok() || !deadline.ok()) {
    reactor->Complete(!valid.ok() ? valid : deadline.status());
    return reactor;
  }

  const std::string principal = PrincipalOf(*context);
  // Held until the Poll is answered (the callback below owns it).
  absl::StatusOr<std::unique_ptr<PollQuota::Ticket>> ticket =
      poll_quota_.Acquire(principal);
  if (!ticket.ok()) {
    reactor->Complete(ticket.status());
    return reactor;
  }
  std::vector<PollSet::Target> targets;
  // Item i waits through targets[item_target[i]].
  std::vector<size_t> item_target;
  item_target.reserve(request->items_size());
  absl::flat_hash_map<absl::string_view, size_t> by_handle;
  for (const v1::PollItem& item : request->items()) {
    auto [it, added] = by_handle.try_emplace(item.handle(), targets.size());
    if (added) {
      PollSet::Target& target = targets.emplace_back();
      const std::string& handle = item.handle();
      const char kind = IsWellFormedHandle(handle) ? handle[0] : '\0';
      // Not found, or no kind that can be polled: no check, INVALID.
      if (kind == static_cast<char>(HandleKind::kSocket)) {
        if (auto session = table_.Find(handle, principal); session.ok()) {
          target.check = [session = *session](std::shared_ptr<PollWaiter> waiter,
                                              size_t index, bool watch) {
            session->CheckPoll(std::move(waiter), index, watch);
          };
          target.socket = true;
        }
      } else if (kind == static_cast<char>(HandleKind::kListener)) {
        if (auto listener = listeners_.Find(handle, principal); listener.ok()) {
          target.check = [listener = *listener](std::shared_ptr<PollWaiter> waiter,
                                                size_t index, bool watch) {
            listener->CheckPoll(std::move(waiter), index, watch);
          };
        }
      } else if (kind == static_cast<char>(HandleKind::kHttpServer)) {
        if (auto server = http_servers_.Find(handle, principal); server.ok()) {
          target.check = [server = *server](std::shared_ptr<PollWaiter> waiter,
                                            size_t index, bool watch) {
            server->CheckPoll(std::move(waiter), index, watch);
          };
        }
      }
    }
    targets[it->second].wanted |= item.events();
    item_target.push_back(it->second);
  }

  absl::StatusOr<std::shared_ptr<PollSet>> poll = PollSet::Create(
      executor_, std::move(targets), *deadline,
      [reactor, request, response, item_target = std::move(item_target),
       ticket = *std::move(ticket)](absl::StatusOr<PollSet::Outcome> outcome) {
        if (!outcome.ok()) return reactor->Complete(outcome.status());
        for (int i = 0; i < request->items_size(); ++i) {
          const v1::PollItem& item = request->items(i);
          const uint32_t events =
              outcome->events[item_target[i]] & (item.events() | kAlwaysReported);
          if (events == 0) continue;
          v1::PollReady* ready = response->add_ready();
          ready->set_handle(item.handle());
          ready->set_events(events);
        }
        response->set_timed_out(outcome->timed_out);
        reactor->Complete(absl::OkStatus());
      });
  if (!poll.ok()) {
    reactor->Complete(poll.status());
    return reactor;
  }
  reactor->SetCanceller([poll = *poll] { poll->Cancel(); });
  (*poll)->Start();
  return reactor;
}

}  // namespace socketsvc
