#include "service/sessions/stream_offsets.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/socket_error.h"

namespace socketsvc {

absl::StatusOr<size_t> StreamOffsets::DuplicatePrefix(uint64_t offset, size_t size,
                                                      uint64_t written) {
  if (offset > written) {
    return SocketErrorStatus(
        absl::StatusCode::kInvalidArgument, v1::SOCKET_ERROR_INVALID_REQUEST,
        absl::StrCat("offset ", offset, " is beyond the ", written,
                     " bytes written to this socket: expected offset ", written,
                     " (the bytes in between were never sent)"));
  }
  const uint64_t duplicate = written - offset;
  return duplicate >= size ? size : static_cast<size_t>(duplicate);
}

absl::Status StreamOffsets::CheckFinalSendOffset(uint64_t send_offset,
                                                 uint64_t written) {
  if (send_offset <= written) return absl::OkStatus();
  return SocketErrorStatus(
      absl::StatusCode::kFailedPrecondition, v1::SOCKET_ERROR_INVALID_REQUEST,
      absl::StrCat("send_offset ", send_offset, " but only ", written,
                   " bytes were written to this socket: nothing was closed, "
                   "send the missing bytes first"));
}

absl::StatusOr<std::string> StreamOffsets::Rewind(uint64_t offset,
                                                  uint64_t delivered) {
  // A chunk that does not end where the answers ended is stale (bytes were
  // delivered some other way since, e.g. by a Pipe): it cannot be replayed.
  const bool retained = !retained_.empty() &&
                        retained_offset_ + retained_.size() == delivered;
  if (offset == delivered) {
    Drop();
    return std::string();
  }
  if (retained && offset >= retained_offset_ && offset < delivered) {
    std::string tail = std::move(retained_);
    tail.erase(0, static_cast<size_t>(offset - retained_offset_));
    Drop();
    return tail;
  }
  return SocketErrorStatus(
      absl::StatusCode::kInvalidArgument, v1::SOCKET_ERROR_INVALID_REQUEST,
      retained ? absl::StrCat("offset ", offset, " is outside the valid range ",
                              retained_offset_, "..", delivered,
                              " (retained: the last answer's ", retained_.size(),
                              " bytes from ", retained_offset_, ")")
               : absl::StrCat("offset ", offset, " is not the valid offset ",
                              delivered, " (", delivered,
                              " bytes were answered; none is retained)"));
}

void StreamOffsets::Retain(uint64_t offset, absl::string_view data) {
  retained_offset_ = offset;
  retained_.assign(data.data(), data.size());
}

void StreamOffsets::Drop() {
  // Give the memory back: a retained chunk can be megabytes.
  std::string().swap(retained_);
  retained_offset_ = 0;
}

}  // namespace socketsvc
