// socketd's log: one JSON object per line on stderr.
//
//   {"ts":"2024-05-01T12:00:00.123Z","level":"info","msg":"rpc failed",
//    "request_id":"5f0c2a9e41d7b3c8","principal":"alice",
//    "method":"/socketsvc.v1.SocketService/Send","code":"NOT_FOUND",...}
//
// Every line starts with the same envelope: "ts" (UTC, milliseconds),
// "level" (debug, info, warning, error) and "msg"; lines about one RPC add
// "request_id", "principal" and "method", then their own fields. Keys with
// nothing to say are left out. The audit log (audit_log.h) writes the same
// envelope. Payload bytes and credentials are never logged.
//
// A line is written with one write(2), so lines from several threads never
// interleave. Thread-safe.
#ifndef SOCKETSVC_SERVICE_OPS_LOG_H_
#define SOCKETSVC_SERVICE_OPS_LOG_H_

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace socketsvc {

enum class LogLevel : int { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// "debug", "info", "warning" (or "warn"), "error"; nullopt for anything else.
std::optional<LogLevel> ParseLogLevel(absl::string_view name);
absl::string_view LogLevelName(LogLevel level);

// Lines below `level` are not written (--log_level; default info).
void SetMinLogLevel(LogLevel level);
LogLevel MinLogLevel();
bool LogEnabled(LogLevel level);

// Where lines go: stderr unless a test points it elsewhere.
void SetLogFd(int fd);

// A string as a JSON string literal, quotes included. Bytes that are not
// valid UTF-8 become U+FFFD, so every line is valid JSON.
std::string JsonQuote(absl::string_view text);

// Writes `line` (which ends in '\n') to `fd` in one write(2) where the
// kernel allows, continuing after a short write. Never fails the caller:
// with nowhere to log to, the line is lost.
void WriteLogText(int fd, absl::string_view line);

// One line under construction:
//   LogLine(LogLevel::kWarning, "reload failed").Str("error", message).Write();
class LogLine {
 public:
  LogLine(LogLevel level, absl::string_view msg, absl::Time now = absl::Now());

  // Each adds a key; Str leaves empty values out.
  LogLine& Str(absl::string_view key, absl::string_view value);
  LogLine& Int(absl::string_view key, int64_t value);
  LogLine& Double(absl::string_view key, double value);
  LogLine& Bool(absl::string_view key, bool value);

  LogLevel level() const { return level_; }
  // The JSON object so far, without the closing brace and newline.
  const std::string& partial_text() const { return text_; }
  // The complete line, with '\n'.
  std::string Finish() const;

  // Writes the line if its level is enabled (MinLogLevel).
  void Write() const;
  // Writes the line to `fd` whatever the level (the audit log).
  void WriteTo(int fd) const;

 private:
  const LogLevel level_;
  std::string text_;
};

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_OPS_LOG_H_
