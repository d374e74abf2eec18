// Bytes from an HTTP client, through what an HTTP server connection does
// with them (service/http/http_connection.cc): the same Beast request parser
// set up by ConfigureRequestParser, fed as the socket delivers (in chunks),
// socketd's own checks (CheckRequestHead, ExpectsContinue,
// StatusForParseError), the ServerReceiveResponse a caller gets
// (ToParsedRequest), and socketd's own and a caller's answer to it.
// Pipelined requests are parsed one after the other from the same buffer,
// until one is refused or the bytes end.
//
// Input: byte 0 picks the read size (0: everything at once), byte 1 the
// limits, the rest is what the client sends.
#include <boost/asio/error.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "service/http/http_limits.h"
#include "service/http/http_request.h"
#include "service/http/http_response.h"
#include "socketsvc/v1/sockets.pb.h"
#include "tests/fuzz/fuzz_check.h"

namespace socketsvc {
namespace {

namespace http = boost::beast::http;

// A SyncReadStream handing out `data` at most `chunk` bytes per read, then
// EOF: what the socket gives async_read_some.
class ChunkStream {
 public:
  ChunkStream(absl::string_view data, size_t chunk) : data_(data), chunk_(chunk) {}

  template <typename MutableBufferSequence>
  size_t read_some(const MutableBufferSequence& buffers, boost::system::error_code& ec) {
    if (data_.empty()) {
      ec = boost::asio::error::eof;
      return 0;
    }
    ec = {};
    const size_t n = boost::asio::buffer_copy(
        buffers, boost::asio::buffer(data_.data(), std::min(chunk_, data_.size())));
    data_.remove_prefix(n);
    return n;
  }

  template <typename MutableBufferSequence>
  size_t read_some(const MutableBufferSequence& buffers) {
    boost::system::error_code ec;
    const size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

 private:
  absl::string_view data_;
  const size_t chunk_;
};

bool IsOneOf(unsigned status, std::initializer_list<unsigned> allowed) {
  for (unsigned a : allowed) {
    if (status == a) return true;
  }
  return false;
}

// socketd's own answer (BuildOwnResponse) to a refused request.
void CheckOwnResponse(unsigned status) {
  RequestFacts facts;
  facts.keep_alive = false;
  const HttpResponse response = BuildOwnResponse(status, facts, /*close=*/true, absl::Now());
  FUZZ_CHECK(absl::StartsWith(response.head, absl::StrCat("HTTP/1.1 ", status, " ")));
  FUZZ_CHECK(response.close);
}

// A request handed to a caller: decodable by the caller, within the limits,
// and answerable.
void CheckDelivered(ParsedRequest& request, const HttpLimits& limits) {
  const v1::ServerReceiveResponse& message = request.message;
  v1::ServerReceiveResponse decoded;
  const bool decodes = decoded.ParseFromString(message.SerializeAsString());
  if (!decodes || std::getenv("FUZZ_VERBOSE") != nullptr) {
    std::fprintf(stderr, "delivered: %s\n", message.ShortDebugString().c_str());
  }
  FUZZ_CHECK(decodes);
  FUZZ_CHECK(message.body().size() <= limits.max_body_bytes);
  FUZZ_CHECK(message.http_version() == "HTTP/1.0" || message.http_version() == "HTTP/1.1");
  FUZZ_CHECK(request.facts.version == 10 || request.facts.version == 11);
  FUZZ_CHECK(!message.method().empty());
  size_t head_bytes = message.method().size() + message.uri().size();
  for (const v1::HttpHeader& header : message.headers()) {
    FUZZ_CHECK(IsHttpToken(header.name()));
    head_bytes += header.name().size() + header.value().size();
  }
  FUZZ_CHECK(head_bytes <= limits.max_header_bytes);
  FUZZ_CHECK(message.uri() == message.path() ||
             message.uri() == absl::StrCat(message.path(), "?", message.query()));

  v1::ServerSendRequest send;
  send.set_status(200);
  send.set_body("ok");
  absl::StatusOr<HttpResponse> response =
      BuildResponse(send, request.facts, /*server_keep_alive=*/true,
                    limits.max_body_bytes + 2, absl::Now());
  FUZZ_CHECK(response.ok());
  FUZZ_CHECK(response->close == !request.facts.keep_alive);
}

HttpLimits LimitsFrom(uint8_t byte) {
  HttpServerDefaults defaults;
  v1::ServerLimits requested;
  static constexpr uint32_t kHeader[] = {0, 64, 1024, 1024 * 1024};
  static constexpr uint64_t kBody[] = {0, 1, 16, 1024};
  requested.set_max_header_bytes(kHeader[byte & 3]);
  requested.set_max_body_bytes(kBody[(byte >> 2) & 3]);
  absl::StatusOr<HttpLimits> limits = ResolveHttpLimits(requested, defaults);
  FUZZ_CHECK(limits.ok());
  return *limits;
}

void FuzzConnection(absl::string_view bytes, size_t chunk, const HttpLimits& limits) {
  ChunkStream stream(bytes, chunk);
  boost::beast::flat_buffer buffer;  // Kept across requests, as pipelining needs.
  for (int requests = 0; requests < 64; ++requests) {
    BeastRequestParser parser;
    ConfigureRequestParser(parser, limits.max_header_bytes, limits.max_body_bytes);
    bool head_checked = false;
    for (;;) {
      boost::system::error_code ec;
      http::read_some(stream, buffer, parser, ec);
      if (ec) {
        const auto unparsed = buffer.data();
        const unsigned status = StatusForParseError(
            ec, absl::string_view(static_cast<const char*>(unparsed.data()),
                                  unparsed.size()));
        FUZZ_CHECK(IsOneOf(status, {0, 400, 413, 431, 505}));
        if (status != 0) CheckOwnResponse(status);
        return;  // The connection ends.
      }
      if (!head_checked && parser.is_header_done()) {
        head_checked = true;
        const unsigned status = CheckRequestHead(parser.get(), limits.max_header_bytes);
        FUZZ_CHECK(IsOneOf(status, {0, 400, 431, 501, 505}));
        if (status != 0) {
          CheckOwnResponse(status);
          return;
        }
        (void)ExpectsContinue(parser.get(), !parser.is_done());
        parser.eager(true);
      }
      if (parser.is_done()) break;
    }
    ParsedRequest request = ToParsedRequest(parser.release(), "127.0.0.1", 40000, "");
    CheckDelivered(request, limits);
    if (!request.facts.keep_alive) return;  // socketd closes after answering.
  }
}

}  // namespace
}  // namespace socketsvc

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t chunk = data[0] == 0 ? size : data[0];
  const socketsvc::HttpLimits limits = socketsvc::LimitsFrom(data[1]);
  socketsvc::FuzzConnection(
      absl::string_view(reinterpret_cast<const char*>(data + 2), size - 2), chunk,
      limits);
  return 0;
}
