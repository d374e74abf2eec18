// Internal to the Omnis facade: what one Omnis socket number stands for.
#ifndef SOCKETSVC_CLIENT_LEGACY_OMNIS_SOCKET_H_
#define SOCKETSVC_CLIENT_LEGACY_OMNIS_SOCKET_H_

#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "client/legacy/omnis.h"

namespace socketsvc::omnis {

// One entry of WebCommands' socket table. Shared (shared_ptr) between the
// table and the commands running on it, so a TCPClose on one thread never
// frees it under a TCPReceive on another. Thread-safe: every field behind mu.
struct WebCommands::Socket {
  enum class Kind {
    kUnbound,     // TCPSocket: nothing in socketd yet.
    kBound,       // TCPBind: socketd listener `handle`, TCPListen not called.
    kListening,   // TCPListen: TCPAccept may take connections.
    kConnection,  // TCPConnect, HTTPOpen, TCPAccept: socketd socket `handle`.
  };

  Socket(Kind kind, std::string handle, bool blocking, bool secure)
      : kind(kind), handle(std::move(handle)), blocking(blocking), secure(secure) {}

  // Takes up to `max_bytes` of `pending`.
  std::string TakePending(size_t max_bytes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    std::string taken = pending.substr(0, max_bytes);
    pending.erase(0, taken.size());
    return taken;
  }

  absl::Mutex mu;
  Kind kind ABSL_GUARDED_BY(mu);
  std::string handle ABSL_GUARDED_BY(mu);             // Empty while kUnbound.
  bool blocking ABSL_GUARDED_BY(mu);                  // TCPBlock; new sockets block.
  const bool secure;                                  // TLS (secure=kTrue).
  bool partially_closed ABSL_GUARDED_BY(mu) = false;  // TCPClose(…, 1) done.
  // Bytes HTTPRead received past the end of its message; TCPReceive and
  // HTTPRead return them before asking socketd for more.
  std::string pending ABSL_GUARDED_BY(mu);
};

// Receive's max_bytes for "no practical limit": socketd lowers it to its
// --max_receive_bytes and returns whatever has arrived up to that.
inline constexpr uint32_t kNoReceiveLimit = 0xffffffffu;

}  // namespace socketsvc::omnis

#endif  // SOCKETSVC_CLIENT_LEGACY_OMNIS_SOCKET_H_
