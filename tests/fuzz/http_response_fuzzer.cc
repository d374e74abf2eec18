// A caller's ServerSend (status, reason, headers, body, close) as arbitrary
// bytes, through BuildResponse. Whatever it accepts must reach the HTTP
// client as exactly the one response the caller asked for: an independent
// parser (Beast's response parser) reads the bytes back and finds one
// response, no bytes after it (no response splitting), the caller's status,
// headers and body, and a length that agrees with the body.
//
// Input: byte 0 describes the request answered (HTTP/1.0 or 1.1, keep-alive,
// HEAD) and the server's keep_alive, the rest is a serialized
// ServerSendRequest.
#include <google/protobuf/stubs/logging.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "common/socket_error.h"
#include "service/http/http_response.h"
#include "socketsvc/v1/sockets.pb.h"
#include "tests/fuzz/fuzz_check.h"

namespace socketsvc {
namespace {

namespace http = boost::beast::http;

constexpr uint64_t kMaxBody = 1 << 20;

absl::string_view View(boost::beast::string_view text) {
  return absl::string_view(text.data(), text.size());
}

// Parses `wire` as the client would; the whole of it must be one response.
void CheckOnTheWire(const v1::ServerSendRequest& send, const RequestFacts& facts,
                    const HttpResponse& response) {
  const std::string wire =
      absl::StrCat(response.head, response.body, response.tail);
  FUZZ_CHECK(wire.size() == response.size());
  http::response_parser<http::string_body> parser;
  parser.header_limit(std::numeric_limits<uint32_t>::max());
  parser.body_limit(std::numeric_limits<uint64_t>::max());
  parser.eager(true);
  if (facts.head) parser.skip(true);
  boost::system::error_code ec;
  const size_t used = parser.put(boost::asio::buffer(wire), ec);
  FUZZ_CHECK(!ec);
  FUZZ_CHECK(parser.is_done());
  FUZZ_CHECK(used == wire.size());  // Nothing left: no second response.

  const auto& message = parser.get();
  FUZZ_CHECK(message.result_int() == send.status());
  FUZZ_CHECK(message.version() == 11);
  const bool bodiless = facts.head || send.status() == 204 || send.status() == 304;
  if (!bodiless) FUZZ_CHECK(message.body() == send.body());
  if (bodiless) FUZZ_CHECK(message.body().empty());

  // Every field the client sees is the caller's, or one socketd adds.
  int caller_fields = 0;
  for (const auto& field : message) {
    const absl::string_view name = View(field.name_string());
    if (absl::EqualsIgnoreCase(name, "Date") ||
        absl::EqualsIgnoreCase(name, "Content-Length") ||
        absl::EqualsIgnoreCase(name, "Connection")) {
      continue;
    }
    bool found = false;
    for (const v1::HttpHeader& header : send.headers()) {
      if (header.name() == name &&
          absl::StripAsciiWhitespace(header.value()) ==
              absl::StripAsciiWhitespace(View(field.value()))) {
        found = true;
        break;
      }
    }
    FUZZ_CHECK(found);
    ++caller_fields;
  }
  int sent_fields = 0;
  for (const v1::HttpHeader& header : send.headers()) {
    if (!absl::EqualsIgnoreCase(header.name(), "Date") &&
        !absl::EqualsIgnoreCase(header.name(), "Content-Length") &&
        !absl::EqualsIgnoreCase(header.name(), "Connection")) {
      ++sent_fields;
    }
  }
  FUZZ_CHECK(caller_fields == sent_fields);
  // The client closes exactly when socketd does.
  FUZZ_CHECK(message.keep_alive() == !response.close);
}

void FuzzOne(uint8_t shape, absl::string_view bytes) {
  v1::ServerSendRequest send;
  if (!send.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return;
  RequestFacts facts;
  facts.version = (shape & 1) ? 10 : 11;
  facts.keep_alive = (shape & 2) != 0;
  facts.head = (shape & 4) != 0;
  const bool server_keep_alive = (shape & 8) != 0;
  absl::StatusOr<HttpResponse> response =
      BuildResponse(send, facts, server_keep_alive, kMaxBody, absl::Now());
  if (!response.ok()) {
    FUZZ_CHECK(response.status().code() == absl::StatusCode::kInvalidArgument ||
               response.status().code() == absl::StatusCode::kResourceExhausted);
    FUZZ_CHECK(GetSocketError(response.status()) != v1::SOCKET_ERROR_UNSPECIFIED);
    return;
  }
  FUZZ_CHECK(send.status() >= 200 && send.status() <= 999);
  if (!facts.keep_alive || !server_keep_alive || send.close()) {
    FUZZ_CHECK(response->close);
  }
  CheckOnTheWire(send, facts, *response);
}

}  // namespace
}  // namespace socketsvc

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool quiet = [] {
    google::protobuf::SetLogHandler(nullptr);
    return true;
  }();
  (void)quiet;
  if (size < 1) return 0;
  socketsvc::FuzzOne(data[0], absl::string_view(reinterpret_cast<const char*>(data + 1),
                                                size - 1));
  return 0;
}
