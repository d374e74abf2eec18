// `socketctl poll HANDLE[=EVENTS]...`: one Poll over several handles.
#ifndef SOCKETSVC_CLIENT_SOCKETCTL_POLL_H_
#define SOCKETSVC_CLIENT_SOCKETCTL_POLL_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/client.h"
#include "socketsvc/v1/sockets.pb.h"

namespace socketsvc::socketctl {

// HANDLE or HANDLE=EVENTS, EVENTS letters of r (readable), w (writable),
// a (acceptable); without them a listener ("l…") waits to accept and
// anything else to read. INVALID_ARGUMENT for other letters or no handle.
absl::StatusOr<std::vector<v1::PollItem>> ParsePollItems(
    const std::vector<std::string>& args);

// "HANDLE readable,hup\n" per ready item, in answer order.
std::string PollReadyLines(const v1::PollResponse& response);

// Polls with --timeout_ms; prints the ready lines on stdout, "timed out" on
// stderr when nothing was ready. Returns the exit code.
int CmdPoll(const Client& client, const std::vector<std::string>& args);

}  // namespace socketsvc::socketctl

#endif  // SOCKETSVC_CLIENT_SOCKETCTL_POLL_H_
