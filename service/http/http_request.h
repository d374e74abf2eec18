// What socketd decides about a request on its own, before any caller sees it:
// which heads it refuses (and with which status), when it owes a
// "100 Continue", and how a parsed Beast request becomes the
// ServerReceiveResponse a caller gets.
//
// Pure functions: thread-safe.
#ifndef SOCKETSVC_SERVICE_HTTP_HTTP_REQUEST_H_
#define SOCKETSVC_SERVICE_HTTP_HTTP_REQUEST_H_

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/system/error_code.hpp>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "service/http/http_response.h"
#include "socketsvc/v1/sockets.pb.h"

namespace socketsvc {

using BeastRequest = boost::beast::http::request<boost::beast::http::string_body>;
using BeastRequestHeader = boost::beast::http::request_header<>;
using BeastRequestParser =
    boost::beast::http::request_parser<boost::beast::http::string_body>;

// Sets up the parser of one request with a server's limits. Every request
// of a connection gets a fresh parser set up by this (HttpConnection, and the
// HTTP fuzzer in tests/fuzz, which must parse exactly as a connection does).
void ConfigureRequestParser(BeastRequestParser& parser, uint32_t max_header_bytes,
                            uint64_t max_body_bytes);

// A parsed request on its way to a caller.
struct ParsedRequest {
  // Everything but request_handle, which is given at delivery.
  v1::ServerReceiveResponse message;
  RequestFacts facts;
};

// The status socketd answers a complete request head with, or 0 to go on:
// 431 for a request line and fields larger than `max_header_bytes` (Beast's
// header_limit counts the request line and the fields each on its own, so
// lets up to twice as much through), 505 for a version other than HTTP/1.0
// and 1.1, 400 for a request target that is not printable ASCII (RFC 9112),
// 501 for a Transfer-Encoding
// other than exactly "chunked" (socketd decodes no other coding, and a body
// it cannot frame must not be taken for the next request).
unsigned CheckRequestHead(const BeastRequestHeader& head,
                          uint32_t max_header_bytes = UINT32_MAX);

// True if the client waits for "100 Continue" before it sends the body:
// HTTP/1.1, "Expect: 100-continue" and a body announced.
bool ExpectsContinue(const BeastRequestHeader& head, bool has_body);

// The status for a parser error: 431 (header_limit), 413 (body_limit), 505
// (a well-formed "HTTP/d.d" other than 1.0/1.1, which Beast refuses as
// bad_version), 400 (malformed); 0 when the error means the client went
// away or stopped sending (EOF, reset, timeout): nobody is left to answer.
// `unparsed` is what the parser left in the buffer (from the request line
// on, when the request line failed).
unsigned StatusForParseError(const boost::system::error_code& ec,
                             absl::string_view unparsed = {});

// The caller's view of `request`: method, raw target split at the first '?',
// "HTTP/1.x", headers in order with their names as sent, body.
ParsedRequest ToParsedRequest(BeastRequest&& request, std::string peer_address,
                              uint32_t peer_port, std::string client_cert_subject);

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_HTTP_HTTP_REQUEST_H_
