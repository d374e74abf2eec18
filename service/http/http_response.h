// HTTP/1.1 responses as bytes: the caller's (ServerSend), validated so that
// no caller can split a response or lie about its length, and socketd's own
// (400, 413, 431, 501, 503, 504, 505).
//
// Pure functions: thread-safe.
#ifndef SOCKETSVC_SERVICE_HTTP_HTTP_RESPONSE_H_
#define SOCKETSVC_SERVICE_HTTP_HTTP_RESPONSE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "socketsvc/v1/sockets.pb.h"

namespace socketsvc {

// What a response depends on in its request.
struct RequestFacts {
  unsigned version = 11;   // 10 for HTTP/1.0, 11 for HTTP/1.1
  bool keep_alive = true;  // the request lets the connection stay open
  bool head = false;       // HEAD: the response carries no body
};

// One response, written as head, body, tail.
struct HttpResponse {
  // Status line and header fields up to the blank line; for socketd's own
  // responses also the body.
  std::string head;
  // The caller's body, not owned: the ServerSend request holds it until the
  // response is written.
  absl::string_view body;
  // Chunked framing after the body (Transfer-Encoding: chunked).
  std::string tail;
  // The connection ends after this response.
  bool close = false;

  uint64_t size() const { return head.size() + body.size() + tail.size(); }
};

// The response a ServerSend asks for, to the request described by `facts`.
// INVALID_ARGUMENT when the status is not 200..999, the reason or a header
// could split the response (CR, LF, NUL), a header name is not a token, a
// Content-Length disagrees with the body, a Transfer-Encoding is not
// "chunked" (or goes to an HTTP/1.0 client), or a 204/304 has a body;
// RESOURCE_EXHAUSTED when the body is larger than `max_body_bytes`.
//
// Content-Length is added unless the caller set Transfer-Encoding: chunked
// (then socketd frames the body as one chunk) or the status has no body.
// The connection closes after it if `send.close`, a caller's
// "Connection: close", `server_keep_alive` false or the request's rules
// (!facts.keep_alive) say so; "Connection: close" then goes out.
absl::StatusOr<HttpResponse> BuildResponse(const v1::ServerSendRequest& send,
                                           const RequestFacts& facts,
                                           bool server_keep_alive,
                                           uint64_t max_body_bytes, absl::Time now);

// socketd's own answer with a one-line text body; "Connection: close" if
// `close`.
HttpResponse BuildOwnResponse(unsigned status, const RequestFacts& facts, bool close,
                              absl::Time now);

// The interim answer to "Expect: 100-continue".
inline constexpr absl::string_view kContinueResponse = "HTTP/1.1 100 Continue\r\n\r\n";

// RFC 9110 token: what a header name must be.
bool IsHttpToken(absl::string_view text);

// The standard reason phrase of `status`, empty if it has none.
absl::string_view StandardReason(unsigned status);

// IMF-fixdate, as the Date header wants it: "Sun, 06 Nov 1994 08:49:37 GMT".
std::string HttpDate(absl::Time time);

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_HTTP_HTTP_RESPONSE_H_
