#include "client/socketctl/poll.h"

#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/socketctl/errors.h"
#include "client/socketctl/flags.h"
#include "client/socketctl/output.h"

namespace socketsvc::socketctl {

absl::StatusOr<std::vector<v1::PollItem>> ParsePollItems(
    const std::vector<std::string>& args) {
  if (args.empty()) {
    return absl::InvalidArgumentError("usage: poll HANDLE[=rwa]...");
  }
  std::vector<v1::PollItem> items;
  for (const std::string& arg : args) {
    v1::PollItem& item = items.emplace_back();
    const size_t equals = arg.find('=');
    item.set_handle(arg.substr(0, equals));
    if (item.handle().empty()) {
      return absl::InvalidArgumentError(absl::StrCat("poll: no handle in '", arg, "'"));
    }
    if (equals == std::string::npos) {
      item.set_events(item.handle()[0] == 'l' ? v1::POLL_EVENT_ACCEPTABLE
                                              : v1::POLL_EVENT_READABLE);
      continue;
    }
    uint32_t events = 0;
    for (char c : arg.substr(equals + 1)) {
      switch (c) {
        case 'r':
          events |= v1::POLL_EVENT_READABLE;
          break;
        case 'w':
          events |= v1::POLL_EVENT_WRITABLE;
          break;
        case 'a':
          events |= v1::POLL_EVENT_ACCEPTABLE;
          break;
        default:
          return absl::InvalidArgumentError(
              absl::StrCat("poll: '", arg,
                           "': events are letters of r (readable), w (writable), "
                           "a (acceptable)"));
      }
    }
    item.set_events(events);
  }
  return items;
}

std::string PollReadyLines(const v1::PollResponse& response) {
  static constexpr struct {
    v1::PollEvent bit;
    const char* name;
  } kNames[] = {{v1::POLL_EVENT_READABLE, "readable"},
                {v1::POLL_EVENT_WRITABLE, "writable"},
                {v1::POLL_EVENT_ACCEPTABLE, "acceptable"},
                {v1::POLL_EVENT_HUP, "hup"},
                {v1::POLL_EVENT_INVALID, "invalid"}};
  std::string text;
  for (const v1::PollReady& ready : response.ready()) {
    std::vector<std::string> names;
    for (const auto& [bit, name] : kNames) {
      if (ready.events() & bit) names.push_back(name);
    }
    absl::StrAppend(&text, ready.handle(), " ", absl::StrJoin(names, ","), "\n");
  }
  return text;
}

int CmdPoll(const Client& client, const std::vector<std::string>& args) {
  absl::StatusOr<std::vector<v1::PollItem>> items = ParsePollItems(args);
  if (!items.ok()) return UsageError(items.status().message());
  absl::StatusOr<v1::PollResponse> polled =
      client.Poll(*items, absl::GetFlag(FLAGS_timeout_ms), OptionsFromFlags());
  if (!polled.ok()) return Report("poll", polled.status());
  if (polled->timed_out()) std::fprintf(stderr, "timed out\n");
  if (!WriteOut(PollReadyLines(*polled))) return kOtherError;
  return kOk;
}

}  // namespace socketsvc::socketctl
