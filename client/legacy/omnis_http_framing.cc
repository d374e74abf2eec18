#include "client/legacy/omnis_http_framing.h"

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace socketsvc::legacy {
namespace {

constexpr size_t kMaxLength = size_t{1} << 40;  // Absurd lengths are errors.

bool IsTokenChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         absl::string_view("!#$%&'*+-.^_`|~").find(c) != absl::string_view::npos;
}

bool IsToken(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

bool IsHttpVersion(absl::string_view s) {
  return s.size() == 8 && absl::StartsWith(s, "HTTP/") && absl::ascii_isdigit(s[5]) &&
         s[6] == '.' && absl::ascii_isdigit(s[7]);
}

// "HTTP/1.1 200 OK" → 200; nullopt if malformed.
std::optional<int> ParseStatusLine(absl::string_view line) {
  if (line.size() < 12 || !IsHttpVersion(line.substr(0, 8)) || line[8] != ' ') {
    return std::nullopt;
  }
  int status = 0;
  for (int i = 9; i < 12; ++i) {
    if (!absl::ascii_isdigit(line[i])) return std::nullopt;
    status = status * 10 + (line[i] - '0');
  }
  if (line.size() > 12 && line[12] != ' ') return std::nullopt;
  return status;
}

bool IsRequestLine(absl::string_view line) {
  std::vector<absl::string_view> parts = absl::StrSplit(line, ' ');
  return parts.size() == 3 && IsToken(parts[0]) && !parts[1].empty() && IsHttpVersion(parts[2]);
}

// Length of the chunked body at the start of `body`, or a status.
HttpFrame FrameChunkedBody(absl::string_view body) {
  size_t at = 0;
  for (;;) {
    const size_t eol = body.find("\r\n", at);
    if (eol == absl::string_view::npos) return {HttpFrame::kNeedMore, 0};
    absl::string_view size_text = body.substr(at, eol - at);
    size_text = size_text.substr(0, size_text.find(';'));  // Chunk extensions.
    size_text = absl::StripAsciiWhitespace(size_text);
    uint64_t size = 0;
    if (size_text.empty() || size_text.size() > 10 || !absl::SimpleHexAtoi(size_text, &size)) {
      return {HttpFrame::kBadSyntax, 0};
    }
    at = eol + 2;
    if (size == 0) {
      // Trailer fields, then an empty line.
      for (;;) {
        const size_t end = body.find("\r\n", at);
        if (end == absl::string_view::npos) return {HttpFrame::kNeedMore, 0};
        const bool empty = end == at;
        at = end + 2;
        if (empty) return {HttpFrame::kComplete, at};
      }
    }
    if (body.size() < at + size + 2) return {HttpFrame::kNeedMore, 0};
    if (body.substr(at + size, 2) != "\r\n") return {HttpFrame::kBadSyntax, 0};
    at += size + 2;
  }
}

}  // namespace

HttpFrame FrameHttpMessage(absl::string_view data, bool response) {
  const size_t crlf = data.find("\r\n\r\n");
  const size_t lf = data.find("\n\n");
  size_t head_length = 0;
  if (crlf != absl::string_view::npos && (lf == absl::string_view::npos || crlf + 2 <= lf)) {
    head_length = crlf + 4;
  } else if (lf != absl::string_view::npos) {
    head_length = lf + 2;
  } else {
    return {HttpFrame::kNeedMore, 0};
  }
  std::vector<absl::string_view> lines = absl::StrSplit(data.substr(0, head_length), '\n');
  for (absl::string_view& line : lines) line = absl::StripSuffix(line, "\r");
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  if (lines.empty()) return {HttpFrame::kBadStartLine, 0};

  bool body_allowed = true;
  if (response) {
    const std::optional<int> status = ParseStatusLine(lines[0]);
    if (!status.has_value()) return {HttpFrame::kBadStartLine, 0};
    body_allowed = !(*status / 100 == 1 || *status == 204 || *status == 304);
  } else if (!IsRequestLine(lines[0])) {
    return {HttpFrame::kBadStartLine, 0};
  }

  std::optional<uint64_t> content_length;
  bool chunked = false;
  bool other_coding = false;
  for (size_t i = 1; i < lines.size(); ++i) {
    const size_t colon = lines[i].find(':');
    if (colon == absl::string_view::npos || !IsToken(lines[i].substr(0, colon))) {
      return {HttpFrame::kBadSyntax, 0};
    }
    const absl::string_view name = lines[i].substr(0, colon);
    const absl::string_view value = absl::StripAsciiWhitespace(lines[i].substr(colon + 1));
    if (absl::EqualsIgnoreCase(name, "Content-Length")) {
      uint64_t length = 0;
      if (value.empty() || !absl::SimpleAtoi(value, &length) ||
          value.find_first_not_of("0123456789") != absl::string_view::npos || length > kMaxLength ||
          (content_length.has_value() && *content_length != length)) {
        return {HttpFrame::kBadSyntax, 0};
      }
      content_length = length;
    } else if (absl::EqualsIgnoreCase(name, "Transfer-Encoding")) {
      std::vector<absl::string_view> codings = absl::StrSplit(value, ',');
      const absl::string_view last = absl::StripAsciiWhitespace(codings.back());
      chunked = absl::EqualsIgnoreCase(last, "chunked");
      other_coding = !chunked;
    }
  }
  if (!body_allowed) return {HttpFrame::kComplete, head_length};
  if (chunked) {
    HttpFrame body = FrameChunkedBody(data.substr(head_length));
    if (body.status == HttpFrame::kComplete) body.length += head_length;
    return body;
  }
  if (other_coding) {
    // A request whose length cannot be known is malformed (RFC 9112 6.3).
    if (!response) return {HttpFrame::kBadSyntax, 0};
    return {HttpFrame::kUntilClose, head_length};
  }
  if (content_length.has_value()) {
    if (data.size() - head_length < *content_length) {
      return {HttpFrame::kNeedMore, 0};
    }
    return {HttpFrame::kComplete, head_length + static_cast<size_t>(*content_length)};
  }
  if (response) return {HttpFrame::kUntilClose, head_length};
  return {HttpFrame::kComplete, head_length};
}

}  // namespace socketsvc::legacy
