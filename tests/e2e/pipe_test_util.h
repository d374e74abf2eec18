// Shared by the Pipe tests: reading a stream to its end, writing a payload
// from a thread, waiting for a socket's `piped` flag.
#ifndef SOCKETSVC_TESTS_E2E_PIPE_TEST_UTIL_H_
#define SOCKETSVC_TESTS_E2E_PIPE_TEST_UTIL_H_

#include <algorithm>
#include <cstdint>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "client/client.h"

namespace socketsvc::e2e {

// What one Pipe stream delivered.
struct PipeOutcome {
  std::string data;
  bool eof = false;
  size_t chunks = 0;
  size_t largest_chunk = 0;
  uint64_t last_bytes_written = 0;
  absl::Status status;
};

// Reads until the stream is over (EOF chunk, error, cancel), then Finish.
inline PipeOutcome ReadToEnd(PipeStream& pipe) {
  PipeOutcome outcome;
  while (std::optional<PipeChunk> chunk = pipe.Read()) {
    outcome.data += chunk->data;
    ++outcome.chunks;
    outcome.largest_chunk = std::max(outcome.largest_chunk, chunk->data.size());
    outcome.last_bytes_written = chunk->bytes_written;
    if (chunk->eof) {
      outcome.eof = true;
      break;
    }
  }
  outcome.status = pipe.Finish();
  return outcome;
}

// Writes `payload` in `block`-byte requests, then WritesDone (unless told
// not to). Returns false if the stream refused a write.
inline bool WriteAll(PipeStream& pipe, const std::string& payload, size_t block,
                     bool writes_done = true) {
  for (size_t offset = 0; offset < payload.size(); offset += block) {
    if (!pipe.Write(payload.substr(offset, block))) return false;
  }
  return !writes_done || pipe.WritesDone();
}

// Waits until GetInfo(handle).piped() == `piped` (false on timeout).
inline bool WaitPiped(const Client& client, const std::string& handle, bool piped,
                      absl::Duration limit = absl::Seconds(10)) {
  const absl::Time end = absl::Now() + limit;
  while (absl::Now() < end) {
    absl::StatusOr<v1::SocketInfo> info = client.GetInfo(handle);
    if (info.ok() && info->piped() == piped) return true;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return false;
}

}  // namespace socketsvc::e2e

#endif  // SOCKETSVC_TESTS_E2E_PIPE_TEST_UTIL_H_
