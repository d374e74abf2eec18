// Where an HTTP/1.x message ends, for facades that read or write raw HTTP
// over a socketsvc socket: Omnis HTTPRead (a complete request or response)
// and Tibbo's HTTP mode (closing once the reply went out). Pure functions;
// thread-safe. Shared by omnis.* and tibbo.*.
#ifndef SOCKETSVC_CLIENT_LEGACY_OMNIS_HTTP_FRAMING_H_
#define SOCKETSVC_CLIENT_LEGACY_OMNIS_HTTP_FRAMING_H_

#include <cstddef>

#include "absl/strings/string_view.h"

namespace socketsvc::legacy {

struct HttpFrame {
  enum Status {
    kNeedMore,      // The head or the body is not complete yet.
    kComplete,      // `length` bytes form one whole message.
    kUntilClose,    // A response without Content-Length or chunked coding:
                    // its body ends when the connection closes. `length` is
                    // the head's length.
    kBadStartLine,  // The request or status line is malformed.
    kBadSyntax,     // A header, Content-Length or chunk size is malformed.
  };
  Status status = kNeedMore;
  size_t length = 0;
};

// Frames the message at the start of `data`: a response (`response` true;
// 1xx, 204 and 304 have no body) or a request (no body unless it announces
// one). Follows RFC 9112 section 6.3: Transfer-Encoding chunked, else
// Content-Length, else (responses) until close. The head ends at the first
// CRLF CRLF; bare LF line ends are accepted inside it.
HttpFrame FrameHttpMessage(absl::string_view data, bool response);

}  // namespace socketsvc::legacy

#endif  // SOCKETSVC_CLIENT_LEGACY_OMNIS_HTTP_FRAMING_H_
