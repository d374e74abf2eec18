// Counts socketd's sessions by state, for the socketd_sessions gauge.
//
// A session's state lives on its strand, so each one is asked there (one
// small task per session, none of which blocks); the answers are awaited
// up to a time limit, after which sessions that did not answer (the I/O
// threads are stopping) are left out. Thread-safe; blocks the calling
// thread (the metrics exposer's) up to `timeout`.
#ifndef SOCKETSVC_SERVICE_OPS_SESSION_CENSUS_H_
#define SOCKETSVC_SERVICE_OPS_SESSION_CENSUS_H_

#include <map>
#include <string>

#include "absl/time/time.h"
#include "service/sessions/session_table.h"

namespace socketsvc {

// "SOCKET_STATE_HALF_CLOSED" → "half_closed".
std::string StateLabel(v1::SocketState state);

// Live sessions by StateLabel; released ones are not counted.
std::map<std::string, double> CountSessionsByState(const SessionTable& table,
                                                   absl::Duration timeout);

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_OPS_SESSION_CENSUS_H_
