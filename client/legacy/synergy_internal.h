// Internals of the Synergy facade (synergy.h): error numbers from socketd
// statuses, PEM and header conversion, the local log file. Not part of the
// API. Thread-safety: pure functions; a LogFile belongs to one call.
#ifndef SOCKETSVC_CLIENT_LEGACY_SYNERGY_INTERNAL_H_
#define SOCKETSVC_CLIENT_LEGACY_SYNERGY_INTERNAL_H_

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "socketsvc/v1/sockets.pb.h"

namespace socketsvc::synergy::internal {

// Which routine failed: one socketd status means different things to each.
enum class Call { kCreate, kReceive, kSend, kDelete };

// The error number for a failed socketd call.
int ErrorFor(const absl::Status& status, Call call);

// Sets `error` to the number's text (plus ": detail" if any) and returns
// the number; HTTP_OK clears `error`.
int SetError(std::string& error, int number, absl::string_view detail = "");

// Whether `protocols` (SSLVER_* sum, 0 = default) is a set socketd can
// serve: TLS 1.2 (or "all"), nothing below TLS 1.1, no unknown bits.
bool ValidProtocols(int protocols);

// The certificate blocks and the private key block of a PEM file.
struct Pem {
  std::string certificates;
  std::string private_key;
};
Pem SplitPem(absl::string_view text);

// The whole file, or nullopt if it cannot be read.
std::optional<std::string> ReadWholeFile(const std::string& path);

// Request headers as Synergy hands them out: "name:value".
std::vector<std::string> HeaderStrings(const v1::ServerReceiveResponse& request);
// "name[:value]" strings into `answer`'s headers; false (with the offending
// string in `bad`) for an empty name.
bool AddHeaders(const std::vector<std::string>& headers, v1::ServerSendRequest* answer,
                std::string* bad);

// The request as it came over the wire (body decoded), and the response as
// socketd writes it (without the Date header socketd adds).
std::string RequestText(const v1::ServerReceiveResponse& request);
std::string ResponseText(const v1::ServerSendRequest& answer);

// A log file opened for appending before the request is taken, so that a
// log that cannot be written fails the call before it consumes anything.
class LogFile {
 public:
  // True without a path (no logging) or once the file is open.
  bool Open(const std::string& path);
  // Appends "--- KIND <UTC time>[ peer]\n" + text + "\n".
  void Append(absl::string_view kind, absl::string_view text,
              absl::string_view peer = "");

 private:
  struct Closer {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  std::unique_ptr<std::FILE, Closer> file_;
};

}  // namespace socketsvc::synergy::internal

#endif  // SOCKETSVC_CLIENT_LEGACY_SYNERGY_INTERNAL_H_
