// One client connection of an HTTP server instance: handshake (HTTPS), then
// read one request, hand it to the server, wait for its answer, write it,
// and only then read the next request. Pipelined requests therefore wait in
// the socket's buffers and are answered in order; socketd never parses
// ahead, so a rejected request cannot be followed by one parsed from its
// body.
//
// While a request waits for its answer the connection watches the socket
// without reading: a client that closes or resets is seen at once and the
// answer fails with UNAVAILABLE (see HttpConnection::Respond).
//
// Thread-safety: public methods may be called from any thread; they post to
// the connection's strand, where all of its state lives.
#ifndef SOCKETSVC_SERVICE_HTTP_HTTP_CONNECTION_H_
#define SOCKETSVC_SERVICE_HTTP_HTTP_CONNECTION_H_

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <cstdint>
#include <memory>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "service/http/http_limits.h"
#include "service/http/http_request.h"
#include "service/http/http_response.h"

namespace socketsvc {

class HttpConnection;

// What a connection reports to its server (HttpServer). Called on the
// connection's strand; implementations must not block.
class ConnectionHost {
 public:
  virtual ~ConnectionHost() = default;
  // A complete request socketd accepts; the connection reads nothing more
  // until Respond().
  virtual void OnRequest(std::shared_ptr<HttpConnection> connection,
                         ParsedRequest request) = 0;
  // socketd answered a request itself with `status` (400, 413, 431, 501, 505).
  virtual void OnRejected(unsigned status) = 0;
  virtual void OnHandshakeFailed() = 0;
  // The client closed or reset while its request waited for an answer.
  virtual void OnClientGone(std::shared_ptr<HttpConnection> connection) = 0;
  // The socket is closed; called once, last.
  virtual void OnClosed(std::shared_ptr<HttpConnection> connection) = 0;
};

class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  // Bytes written (the whole response), or why not.
  using WriteDone = absl::AnyInvocable<void(absl::StatusOr<uint64_t>)>;

  // `socket` is accepted and bound to its own strand. The connection keeps
  // `host` alive until it is closed.
  static std::shared_ptr<HttpConnection> CreatePlain(
      boost::asio::ip::tcp::socket socket, const HttpLimits& limits,
      std::shared_ptr<ConnectionHost> host);
  static std::shared_ptr<HttpConnection> CreateTls(
      boost::asio::ip::tcp::socket socket,
      std::shared_ptr<boost::asio::ssl::context> context, const HttpLimits& limits,
      std::shared_ptr<ConnectionHost> host);

  virtual ~HttpConnection() = default;

  // Handshake (HTTPS), then the first read.
  virtual void Start() = 0;

  // Writes the answer to the request given to OnRequest, within `deadline`
  // (then the connection is aborted: a partial response cannot be
  // continued). Afterwards the connection reads the next request, or closes
  // if `response.close`. `done` (may be empty) gets the bytes written, or
  // UNAVAILABLE with NOT_CONNECTED (client closed; EPIPE) or
  // CONNECTION_RESET (ECONNRESET) when the client is gone,
  // DEADLINE_EXCEEDED/TIMED_OUT, or CANCELLED after CancelWrite().
  virtual void Respond(HttpResponse response, absl::Time deadline, WriteDone done) = 0;

  // Aborts the connection if a response is being written (its ServerSend
  // was cancelled: half a response cannot be finished later).
  virtual void CancelWrite() = 0;

  // The server stops: closes now, unless a request waits for its answer or
  // one is being written (then closes after that response). `linger` false
  // skips the lingering close (socketd shutting down).
  virtual void Stop(bool linger) = 0;
};

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_HTTP_HTTP_CONNECTION_H_
