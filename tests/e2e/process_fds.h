// What a socketd process holds in file descriptors, for leak checks.
#ifndef SOCKETSVC_TESTS_E2E_PROCESS_FDS_H_
#define SOCKETSVC_TESTS_E2E_PROCESS_FDS_H_

#include <sys/types.h>

#include <string>

#include "tests/e2e/socketd_process.h"

namespace socketsvc::e2e {

// Waits until the process holds `baseline` descriptors or fewer (closes
// finish on socketd's strands, HTTP connections linger briefly); at most 15 s.
int SettledFdCount(const SocketdProcess& socketd, int baseline);

// What the process's descriptors are, for a failure message: "socket
// 127.0.0.1:40123 LISTEN", "anon_inode:[eventfd]", ...
std::string DescribeFds(pid_t pid);

// The process's descriptor count once it stopped changing: the same for
// half a second, or after 5 s.
int StableFdCount(const SocketdProcess& socketd);

}  // namespace socketsvc::e2e

#endif  // SOCKETSVC_TESTS_E2E_PROCESS_FDS_H_
