#include "service/http/http_response.h"

#include <boost/beast/http/status.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/socket_error.h"

namespace socketsvc {
namespace {

constexpr size_t kMaxReasonBytes = 256;
constexpr size_t kMaxHeaderNameBytes = 256;

absl::Status Invalid(absl::string_view message) {
  return SocketErrorStatus(absl::StatusCode::kInvalidArgument,
                           v1::SOCKET_ERROR_INVALID_REQUEST, message);
}

// No CR, LF or NUL: those would end the line early and let the rest become
// a header or a second response (response splitting). Other control
// characters are refused too; HTAB is allowed.
bool IsFieldText(absl::string_view text) {
  for (unsigned char c : text) {
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  return true;
}

std::string StatusLine(unsigned status, absl::string_view reason) {
  return absl::StrCat("HTTP/1.1 ", status, " ", reason, "\r\n");
}

// "Connection: close" when closing; HTTP/1.0 clients are told explicitly
// that the connection stays (1.1 clients assume it).
void AppendConnection(std::string& head, bool close, unsigned version) {
  if (close) {
    head += "Connection: close\r\n";
  } else if (version == 10) {
    head += "Connection: keep-alive\r\n";
  }
}

// The caller's special headers, sorted out of the ones sent as they are.
struct CallerFraming {
  bool has_content_length = false;
  uint64_t content_length = 0;
  bool chunked = false;
  bool wants_close = false;
  bool has_date = false;
};

absl::Status ReadFraming(const v1::HttpHeader& header, CallerFraming& framing,
                         bool& send_as_is) {
  const std::string& name = header.name();
  absl::string_view value = absl::StripAsciiWhitespace(header.value());
  send_as_is = true;
  if (absl::EqualsIgnoreCase(name, "Content-Length")) {
    uint64_t length = 0;
    if (!absl::SimpleAtoi(value, &length) || value.empty() ||
        !absl::ascii_isdigit(value[0])) {
      return Invalid(absl::StrCat("Content-Length '", value, "' is not a number"));
    }
    if (framing.has_content_length && framing.content_length != length) {
      return Invalid("two Content-Length headers disagree");
    }
    if (framing.has_content_length) send_as_is = false;  // Once is enough.
    framing.has_content_length = true;
    framing.content_length = length;
  } else if (absl::EqualsIgnoreCase(name, "Transfer-Encoding")) {
    if (!absl::EqualsIgnoreCase(value, "chunked") || framing.chunked) {
      return Invalid(
          "Transfer-Encoding must be \"chunked\" alone (socketd frames the "
          "body); other codings go in Content-Encoding");
    }
    framing.chunked = true;
  } else if (absl::EqualsIgnoreCase(name, "Connection")) {
    // socketd decides about the connection; the caller may only ask to close.
    if (absl::EqualsIgnoreCase(value, "close")) {
      framing.wants_close = true;
    } else if (!absl::EqualsIgnoreCase(value, "keep-alive")) {
      return Invalid(
          "Connection may only be \"close\" or \"keep-alive\" (socketd manages "
          "the connection; set `close` instead)");
    }
    send_as_is = false;  // Written by AppendConnection.
  } else if (absl::EqualsIgnoreCase(name, "Date")) {
    framing.has_date = true;
  }
  return absl::OkStatus();
}

}  // namespace

bool IsHttpToken(absl::string_view text) {
  if (text.empty()) return false;
  for (unsigned char c : text) {
    if (absl::ascii_isalnum(c)) continue;
    if (absl::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) ==
        absl::string_view::npos) {
      return false;
    }
  }
  return true;
}

absl::string_view StandardReason(unsigned status) {
  const auto phrase = boost::beast::http::obsolete_reason(
      static_cast<boost::beast::http::status>(status));
  if (phrase == "<unknown-status>") return "";
  return absl::string_view(phrase.data(), phrase.size());
}

std::string HttpDate(absl::Time time) {
  return absl::FormatTime("%a, %d %b %Y %H:%M:%S GMT", time, absl::UTCTimeZone());
}

absl::StatusOr<HttpResponse> BuildResponse(const v1::ServerSendRequest& send,
                                           const RequestFacts& facts,
                                           bool server_keep_alive,
                                           uint64_t max_body_bytes, absl::Time now) {
  const unsigned status = send.status();
  if (status < 200 || status > 999) {
    return Invalid(absl::StrCat(
        "status ", status, " is not 200..999 (1xx interim responses are socketd's)"));
  }
  if (send.reason().size() > kMaxReasonBytes || !IsFieldText(send.reason())) {
    return Invalid("reason must be at most 256 bytes without CR, LF or controls");
  }
  if (send.body().size() > max_body_bytes) {
    return SocketErrorStatus(
        absl::StatusCode::kResourceExhausted, v1::SOCKET_ERROR_LIMIT_EXCEEDED,
        absl::StrCat("body is ", send.body().size(), " bytes; at most ", max_body_bytes));
  }
  const bool bodiless_status = status == 204 || status == 304;
  if (bodiless_status && !send.body().empty()) {
    return Invalid(absl::StrCat("a ", status, " response has no body"));
  }
  CallerFraming framing;
  std::string fields;
  for (const v1::HttpHeader& header : send.headers()) {
    if (header.name().size() > kMaxHeaderNameBytes || !IsHttpToken(header.name())) {
      return Invalid(absl::StrCat("header name '", absl::CHexEscape(header.name()),
                                  "' is not an HTTP token"));
    }
    if (!IsFieldText(header.value())) {
      return Invalid(absl::StrCat("header ", header.name(),
                                  ": the value contains CR, LF or controls"));
    }
    bool send_as_is = true;
    absl::Status read = ReadFraming(header, framing, send_as_is);
    if (!read.ok()) return read;
    if (send_as_is) absl::StrAppend(&fields, header.name(), ": ", header.value(), "\r\n");
  }
  if (framing.chunked && framing.has_content_length) {
    return Invalid("Content-Length and Transfer-Encoding exclude each other");
  }
  if (framing.chunked && (facts.version < 11 || bodiless_status)) {
    return Invalid(facts.version < 11
                       ? "an HTTP/1.0 client cannot take Transfer-Encoding: chunked"
                       : "a 204/304 response has no Transfer-Encoding");
  }
  if (status == 204 && framing.has_content_length) {
    return Invalid("a 204 response has no Content-Length");
  }
  // HEAD and 304 may announce the length of a body they do not carry.
  const bool may_announce = facts.head || status == 304;
  if (framing.has_content_length && framing.content_length != send.body().size() &&
      !(may_announce && send.body().empty())) {
    return Invalid(absl::StrCat("Content-Length ", framing.content_length,
                                " disagrees with the body's ", send.body().size(),
                                " bytes"));
  }

  HttpResponse response;
  response.close =
      send.close() || framing.wants_close || !server_keep_alive || !facts.keep_alive;
  const absl::string_view reason =
      send.reason().empty() ? StandardReason(status) : absl::string_view(send.reason());
  response.head = StatusLine(status, reason);
  if (!framing.has_date) absl::StrAppend(&response.head, "Date: ", HttpDate(now), "\r\n");
  response.head += fields;
  if (!framing.chunked && !framing.has_content_length && !bodiless_status) {
    absl::StrAppend(&response.head, "Content-Length: ", send.body().size(), "\r\n");
  }
  AppendConnection(response.head, response.close, facts.version);
  response.head += "\r\n";
  if (facts.head || bodiless_status) return response;
  if (framing.chunked) {
    if (!send.body().empty()) {
      absl::StrAppend(&response.head, absl::Hex(send.body().size()), "\r\n");
      response.tail = "\r\n";
    }
    response.tail += "0\r\n\r\n";
  }
  response.body = send.body();
  return response;
}

HttpResponse BuildOwnResponse(unsigned status, const RequestFacts& facts, bool close,
                              absl::Time now) {
  const absl::string_view reason = StandardReason(status);
  const std::string text = absl::StrCat(status, " ", reason, "\n");
  HttpResponse response;
  response.close = close;
  response.head = StatusLine(status, reason);
  absl::StrAppend(&response.head, "Date: ", HttpDate(now),
                  "\r\nContent-Type: text/plain\r\nContent-Length: ", text.size(),
                  "\r\n");
  AppendConnection(response.head, close, facts.version);
  response.head += "\r\n";
  if (!facts.head) response.head += text;
  return response;
}

}  // namespace socketsvc
