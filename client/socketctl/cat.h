// `socketctl cat`: netcat through socketd. stdin -> Send, Receive -> stdout;
// stdin EOF half-closes the socket, peer EOF closes it and ends the process.
#ifndef SOCKETSVC_CLIENT_SOCKETCTL_CAT_H_
#define SOCKETSVC_CLIENT_SOCKETCTL_CAT_H_

#include <string>
#include <vector>

#include "client/client.h"

namespace socketsvc::socketctl {

// Call before any thread exists (gRPC's included), so that all inherit it:
// blocks SIGINT/SIGTERM (only cat's own signal thread takes them) and
// ignores SIGPIPE (a closed stdout shows up as a write error).
void PrepareCatSignals();

// `cat HOST PORT|SERVICE` (with the connect flags, --tls included). Returns
// only when it fails before connecting; once connected the process ends
// through std::_Exit with the exit code (130/143 on SIGINT/SIGTERM).
int CmdCat(const Client& client, const std::vector<std::string>& args);

}  // namespace socketsvc::socketctl

#endif  // SOCKETSVC_CLIENT_SOCKETCTL_CAT_H_
