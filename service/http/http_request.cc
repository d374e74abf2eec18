#include "service/http/http_request.h"

#include <boost/beast/http/error.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace socketsvc {
namespace {

namespace http = boost::beast::http;

absl::string_view View(boost::beast::string_view text) {
  return absl::string_view(text.data(), text.size());
}

// A request line ending in a well-formed version: "... HTTP/2.0\r\n".
bool IsVersionLine(absl::string_view data) {
  const size_t end = data.find("\r\n");
  if (end == absl::string_view::npos) return false;
  const absl::string_view line = data.substr(0, end);
  const size_t space = line.rfind(' ');
  if (space == absl::string_view::npos) return false;
  const absl::string_view version = line.substr(space + 1);
  return version.size() == 8 && absl::StartsWith(version, "HTTP/") &&
         absl::ascii_isdigit(version[5]) && version[6] == '.' &&
         absl::ascii_isdigit(version[7]);
}

// The fewest bytes `head` took on the wire: "METHOD TARGET HTTP/1.1\r\n",
// "name:value\r\n" per field (optional whitespace is gone), "\r\n".
size_t HeadBytes(const BeastRequestHeader& head) {
  size_t bytes = head.method_string().size() + head.target().size() + 12;
  for (const auto& field : head) {
    bytes += field.name_string().size() + field.value().size() + 3;
  }
  return bytes + 2;
}

}  // namespace

void ConfigureRequestParser(BeastRequestParser& parser, uint32_t max_header_bytes,
                            uint64_t max_body_bytes) {
  parser.header_limit(max_header_bytes);
  parser.body_limit(max_body_bytes);
}

unsigned CheckRequestHead(const BeastRequestHeader& head,
                          uint32_t max_header_bytes) {
  if (HeadBytes(head) > max_header_bytes) return 431;
  if (head.version() != 10 && head.version() != 11) return 505;
  // Beast lets bytes >= 0x80 through in the target; a caller would get
  // them in proto3 strings (uri, path, query), which must be UTF-8 or the
  // whole ServerReceiveResponse fails to decode on the caller's side.
  for (const char c : View(head.target())) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f) return 400;
  }
  // Every Transfer-Encoding field counts: "gzip" then "chunked" in two
  // fields is the list "gzip, chunked".
  int codings = 0;
  bool chunked_only = true;
  for (const auto& field : head) {
    if (field.name() != http::field::transfer_encoding) continue;
    for (absl::string_view coding : absl::StrSplit(View(field.value()), ',')) {
      coding = absl::StripAsciiWhitespace(coding);
      if (coding.empty()) continue;
      ++codings;
      if (!absl::EqualsIgnoreCase(coding, "chunked")) chunked_only = false;
    }
  }
  if (codings > 1 || !chunked_only) return 501;
  return 0;
}

bool ExpectsContinue(const BeastRequestHeader& head, bool has_body) {
  if (head.version() < 11 || !has_body) return false;
  auto expect = head.find(http::field::expect);
  return expect != head.end() &&
         absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(View(expect->value())),
                                "100-continue");
}

unsigned StatusForParseError(const boost::system::error_code& ec,
                             absl::string_view unparsed) {
  if (ec.category() != http::make_error_code(http::error::header_limit).category()) {
    return 0;  // A socket error: reset, EOF, timeout, cancelled.
  }
  switch (static_cast<http::error>(ec.value())) {
    case http::error::header_limit:
    case http::error::buffer_overflow:
      return 431;
    case http::error::body_limit:
      return 413;
    case http::error::bad_version:
      return IsVersionLine(unparsed) ? 505 : 400;
    case http::error::end_of_stream:
    case http::error::partial_message:
    case http::error::short_read:
      return 0;
    default:
      return 400;
  }
}

ParsedRequest ToParsedRequest(BeastRequest&& request, std::string peer_address,
                              uint32_t peer_port, std::string client_cert_subject) {
  ParsedRequest parsed;
  v1::ServerReceiveResponse& message = parsed.message;
  message.set_method(std::string(View(request.method_string())));
  const absl::string_view target = View(request.target());
  message.set_uri(std::string(target));
  const size_t question = target.find('?');
  message.set_path(std::string(target.substr(0, question)));
  if (question != absl::string_view::npos) {
    message.set_query(std::string(target.substr(question + 1)));
  }
  message.set_http_version(
      absl::StrCat("HTTP/", request.version() / 10, ".", request.version() % 10));
  for (const auto& field : request) {
    v1::HttpHeader* header = message.add_headers();
    header->set_name(std::string(View(field.name_string())));
    header->set_value(std::string(View(field.value())));
  }
  message.set_peer_address(std::move(peer_address));
  message.set_peer_port(peer_port);
  message.set_client_cert_subject(std::move(client_cert_subject));
  parsed.facts.version = request.version();
  parsed.facts.keep_alive = request.keep_alive();
  parsed.facts.head = request.method() == http::verb::head;
  message.set_body(std::move(request.body()));
  return parsed;
}

}  // namespace socketsvc
