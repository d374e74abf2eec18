// Exactly-once bookkeeping of one socket's two byte streams across RPC
// retries (SendRequest.offset, ReceiveRequest.offset, CloseRequest.send_offset
// in sockets.proto; docs/semantics.md "Exactly-once offsets").
//
// Offsets count bytes of the stream, from the connection's first byte, the
// same way in both directions:
//   send:    `written`   = bytes handed to the kernel so far (the session's
//            bytes_sent), so a Send at offset o with data d overlaps what is
//            already written by written - o bytes;
//   receive: `delivered` = bytes that Receive answers have carried so far
//            (read from the socket and not waiting in the session's unread
//            buffer). The last answered chunk [retained_offset,
//            retained_offset + retained_bytes) is kept here until the caller's
//            next offset shows it arrived.
// The session owns the counters (they also move without offsets, e.g. by
// Pipe); this class decides and keeps the one retained chunk.
//
// Not thread-safe: one Session's strand owns it.
#ifndef SOCKETSVC_SERVICE_SESSIONS_STREAM_OFFSETS_H_
#define SOCKETSVC_SERVICE_SESSIONS_STREAM_OFFSETS_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace socketsvc {

class StreamOffsets {
 public:
  // Send of `size` bytes whose first byte is stream position `offset`, when
  // `written` bytes are written: how many leading bytes were already written
  // (0..size; all of them for a retry whose bytes all went out). An offset
  // beyond `written` would leave a gap: INVALID_ARGUMENT/INVALID_REQUEST
  // naming the expected offset.
  static absl::StatusOr<size_t> DuplicatePrefix(uint64_t offset, size_t size,
                                                uint64_t written);

  // Close with the caller's final send offset: FAILED_PRECONDITION/
  // INVALID_REQUEST naming both when fewer bytes were written than the caller
  // believes (closing now would cut them).
  static absl::Status CheckFinalSendOffset(uint64_t send_offset, uint64_t written);

  // A Receive with `offset` reaches the socket when `delivered` bytes were
  // answered. Valid offsets are `delivered` (the retained chunk arrived: it is
  // dropped) and, while a chunk is retained, any position inside it (its
  // answer was lost). Returns the retained bytes from `offset` on, which the
  // caller puts back in front of the unread bytes so that this Receive
  // answers them again (empty for offset == delivered); the retention is
  // dropped either way. Anything else: INVALID_ARGUMENT/INVALID_REQUEST naming
  // the valid range, and nothing changes.
  absl::StatusOr<std::string> Rewind(uint64_t offset, uint64_t delivered);

  // A Receive with an offset answered `data`, starting at stream position
  // `offset`: keep it (a copy) for a retry. Empty data keeps nothing.
  void Retain(uint64_t offset, absl::string_view data);

  // A Receive without an offset: the caller does not retry, keep nothing.
  void Drop();

  uint64_t retained_offset() const { return retained_offset_; }
  size_t retained_bytes() const { return retained_.size(); }

 private:
  // Position of retained_[0]; meaningless while retained_ is empty.
  uint64_t retained_offset_ = 0;
  // The last answered chunk of a Receive with an offset, at most one
  // Receive's max_bytes.
  std::string retained_;
};

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_SESSIONS_STREAM_OFFSETS_H_
