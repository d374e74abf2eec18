#include "service/ops/audit_log.h"

#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/socket_error.h"

namespace socketsvc {
namespace {

// Length of the UTF-8 sequence starting at text[i], or 0 if it is invalid
// (overlong forms, surrogates and code points above U+10FFFF included).
size_t Utf8SequenceLength(absl::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(text[k]); };
  const uint8_t lead = byte(i);
  size_t length = 0;
  uint32_t min = 0;
  uint32_t code = 0;
  if (lead < 0x80) return 1;
  if ((lead & 0xe0) == 0xc0) {
    length = 2, min = 0x80, code = lead & 0x1f;
  } else if ((lead & 0xf0) == 0xe0) {
    length = 3, min = 0x800, code = lead & 0x0f;
  } else if ((lead & 0xf8) == 0xf0) {
    length = 4, min = 0x10000, code = lead & 0x07;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
    code = (code << 6) | (byte(i + k) & 0x3f);
  }
  if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return 0;
  return length;
}

void AddField(std::string& line, absl::string_view key, absl::string_view value) {
  if (value.empty()) return;
  absl::StrAppend(&line, ",", JsonQuote(key), ":", JsonQuote(value));
}

}  // namespace

std::string HostPort(absl::string_view host, absl::string_view port) {
  if (host.find(':') != absl::string_view::npos && !host.empty() && host[0] != '[') {
    return absl::StrCat("[", host, "]:", port);
  }
  return absl::StrCat(host, ":", port);
}

std::string JsonQuote(absl::string_view text) {
  std::string out = "\"";
  out.reserve(text.size() + 2);
  for (size_t i = 0; i < text.size();) {
    const char c = text[i];
    const size_t length = Utf8SequenceLength(text, i);
    if (length == 0) {
      out += "\\ufffd";
      ++i;
      continue;
    }
    if (length > 1) {
      out.append(text.data() + i, length);
      i += length;
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<uint8_t>(c) < 0x20 || c == 0x7f) {
          out += absl::StrFormat("\\u%04x", static_cast<int>(static_cast<uint8_t>(c)));
        } else {
          out += c;
        }
    }
    ++i;
  }
  out += '"';
  return out;
}

std::string FormatAuditLine(const AuditEvent& event, const absl::Status& status,
                            absl::Time now) {
  std::string line = absl::StrCat(
      "{\"type\":\"audit\",\"audit\":true,\"time\":",
      JsonQuote(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", now, absl::UTCTimeZone())));
  AddField(line, "op", event.op);
  AddField(line, "principal", event.principal);
  AddField(line, "caller", event.caller);
  AddField(line, "target", event.target);
  AddField(line, "result", status.ok() ? "OK" : absl::StatusCodeToString(status.code()));
  if (status.ok()) {
    AddField(line, "handle", event.handle);
    AddField(line, "address", event.address);
    if (event.timed_out) absl::StrAppend(&line, ",\"timed_out\":true");
  } else {
    if (std::optional<v1::ErrorDetail> detail = GetErrorDetail(status)) {
      if (detail->error() != v1::SOCKET_ERROR_UNSPECIFIED) {
        AddField(line, "error", v1::SocketError_Name(detail->error()));
      }
      if (detail->os_errno() != 0) AddField(line, "errno", ErrnoName(detail->os_errno()));
    }
    AddField(line, "message", status.message());
  }
  line += "}\n";
  return line;
}

void AuditLog::Record(const AuditEvent& event, const absl::Status& status) const {
  if (!enabled_) return;
  const std::string line = FormatAuditLine(event, status, absl::Now());
  // One write: the kernel keeps it whole among other writers of the same
  // pipe up to PIPE_BUF, and in practice for a terminal or file. A short
  // write (a full pipe after a signal) continues where it stopped.
  size_t written = 0;
  while (written < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + written, line.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // Nowhere to log to: never fail the RPC over it.
    written += static_cast<size_t>(n);
  }
}

}  // namespace socketsvc
