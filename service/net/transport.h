// A connected byte stream that a Session drives without blocking.
//
// A Transport hides plain TCP from TLS (a later implementation). Reads and
// writes never block: they do what the socket allows now and say whether the
// caller should wait for readability or writability. Waiting is done by the
// caller on the socket's Asio executor, so a wait can be abandoned at any
// time without losing a byte. Not thread-safe: one Session's strand owns it.
#ifndef SOCKETSVC_SERVICE_NET_TRANSPORT_H_
#define SOCKETSVC_SERVICE_NET_TRANSPORT_H_

#include <cstddef>
#include <string>

#include <boost/asio/ip/tcp.hpp>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "socketsvc/v1/sockets.pb.h"

namespace socketsvc {

// What a non-blocking read or write achieved.
struct IoProgress {
  // Bytes appended (read) or written; may be 0.
  size_t bytes = 0;
  // Read only: the peer's stream ended (FIN, or close_notify for TLS).
  bool eof = false;
  // Nothing more can be done now; wait for the socket before trying again.
  bool would_block = false;
  // With would_block: wait for the other direction's readiness instead (a
  // TLS read may need to write, and a TLS write to read).
  bool wants_other_direction = false;
};

class Transport {
 public:
  virtual ~Transport() = default;

  // Appends at most `max_append` bytes to `out`, sized to what has arrived so
  // the buffer never grows past the data. Errors carry the errno.
  virtual absl::StatusOr<IoProgress> TryRead(std::string& out,
                                             size_t max_append) = 0;

  // Like TryRead, but the bytes stay queued (MSG_PEEK; for TLS, in the
  // decrypted buffer) and the next read returns them again. May return fewer
  // than are queued (TLS: at most one record). `eof` only when nothing is
  // queued. The default peeks nothing (would_block), which callers must
  // handle by reading instead.
  virtual absl::StatusOr<IoProgress> TryPeek(std::string& out, size_t max_append) {
    IoProgress progress;
    progress.would_block = true;
    return progress;
  }

  // Writes a prefix of `data`.
  virtual absl::StatusOr<IoProgress> TryWrite(absl::string_view data) = 0;

  // Ends our sending side (FIN); reads still work.
  virtual absl::Status ShutdownSend() = 0;

  // Closes with a reset (SO_LINGER 0): the peer sees RST.
  virtual void Abort() = 0;

  // Closes without touching linger: FIN, or RST if unread data remains.
  virtual void Close() = 0;

  // The underlying socket, for readiness waits and addresses.
  virtual boost::asio::ip::tcp::socket& socket() = 0;

  // What the TLS handshake settled; null for plain TCP.
  virtual const v1::TlsInfo* tls_info() const { return nullptr; }
};

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_NET_TRANSPORT_H_
