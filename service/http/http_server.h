// One HTTP(S) server instance (ServerCreate): its listening socket, its
// connections, the queue of parsed requests, the ServerReceive calls waiting
// for them, the requests handed out and not yet answered, and its counters.
//
// Requests are handed out in arrival order, each to exactly one waiting
// ServerReceive (the oldest). A request that is not answered within the
// response timeout is answered 504 by socketd; a request beyond
// max_pending_requests (queued + handed out) is answered 503.
//
// Thread-safety: public methods may be called from any thread. All state
// lives on the server's strand; connections run on strands of their own and
// post to it.
#ifndef SOCKETSVC_SERVICE_HTTP_HTTP_SERVER_H_
#define SOCKETSVC_SERVICE_HTTP_HTTP_SERVER_H_

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "service/http/http_connection.h"
#include "service/http/http_limits.h"
#include "service/http/request_index.h"
#include "service/sessions/poll_watch.h"
#include "socketsvc/v1/sockets.pb.h"

namespace socketsvc {

// One parsed request, from the moment it is queued until it is answered.
// Strand-only, except `message` between delivery and the end of the
// ServerReceive that took it (see ReceiveWaiter).
struct HttpRequest {
  v1::ServerReceiveResponse message;
  RequestFacts facts;
  // The connection that waits for the answer; reset once answered.
  std::shared_ptr<HttpConnection> connection;
  enum class State { kQueued, kDelivered, kDone } state = State::kQueued;
  // Set while delivered.
  std::string handle;
  // Response timeout (504), from the moment the request was parsed.
  std::unique_ptr<boost::asio::steady_timer> timer;
};

// One ServerReceive waiting for a request. Strand-only once handed to
// HttpServer::Receive; finished exactly once.
class ReceiveWaiter {
 public:
  // Takes a delivered request; false if the call can take none any more
  // (it was cancelled), and then the request goes to the next waiter.
  using Take = absl::AnyInvocable<bool(const std::shared_ptr<HttpRequest>&)>;
  // Ends the call without a request: OK means timed out.
  using End = absl::AnyInvocable<void(const absl::Status&)>;

  ReceiveWaiter(absl::Time deadline, Take take, End end)
      : deadline_(deadline), take_(std::move(take)), end_(std::move(end)) {}

  absl::Time deadline() const { return deadline_; }
  bool finished() const { return finished_; }
  std::unique_ptr<boost::asio::steady_timer>& timer() { return timer_; }

  bool TakeRequest(const std::shared_ptr<HttpRequest>& request);
  void Finish(const absl::Status& status);

 private:
  const absl::Time deadline_;
  Take take_;
  End end_;
  bool finished_ = false;
  std::unique_ptr<boost::asio::steady_timer> timer_;
};

struct HttpServerSpec {
  boost::asio::ip::tcp::endpoint endpoint;
  // Set for HTTPS.
  std::shared_ptr<boost::asio::ssl::context> tls;
  HttpLimits limits;
  bool keep_alive = true;
  // The largest body a ServerSend may carry.
  uint64_t max_response_body_bytes = 0;
};

class HttpServer final : public ConnectionHost,
                         public std::enable_shared_from_this<HttpServer> {
 public:
  enum class StopMode {
    kDelete,    // ServerDelete: waiting ServerReceives end ABORTED/NOT_CONNECTED.
    kShutdown,  // socketd stopping: UNAVAILABLE/SHUTTING_DOWN, no linger.
  };

  // Binds and listens (synchronously: ServerCreate answers with the port);
  // FAILED_PRECONDITION/ADDRESS_IN_USE with EADDRINUSE and so on. Call
  // Start() to accept. `requests` must outlive the server's strand work.
  static absl::StatusOr<std::shared_ptr<HttpServer>> Create(
      boost::asio::any_io_executor executor, std::string id, std::string owner,
      std::string replica_id, HttpServerSpec spec, RequestIndex& requests);

  HttpServer(boost::asio::any_io_executor executor, std::string id, std::string owner,
             std::string replica_id, HttpServerSpec spec, RequestIndex& requests);
  ~HttpServer() override;

  const std::string& id() const { return id_; }
  const std::string& owner() const { return owner_; }
  const std::string& bound_address() const { return bound_address_; }
  uint16_t port() const { return port_; }

  void Start();

  // ServerReceive: hands `waiter` the oldest queued request, now or when
  // one comes, or finishes it at its deadline (timed out) or with an error.
  void Receive(std::shared_ptr<ReceiveWaiter> waiter);
  void CancelReceive(std::shared_ptr<ReceiveWaiter> waiter);
  // A delivered request whose ServerReceive never reached its caller goes
  // back to the head of the queue (if `handle` still names it).
  void Requeue(std::shared_ptr<HttpRequest> request, std::string handle);

  // ServerSend: answers the request `handle`. `send` must stay valid until
  // `done` runs (the RPC owns it). The handle is released before the write
  // starts: a second answer gets NOT_FOUND.
  void Send(std::string handle, const v1::ServerSendRequest* send, absl::Time deadline,
            HttpConnection::WriteDone done);
  // Aborts the connection of a ServerSend still writing.
  void CancelSend(std::string handle);

  void GetInfo(absl::AnyInvocable<void(absl::StatusOr<v1::ServerInfo>)> done);

  // Poll: reports POLL_EVENT_READABLE while a request is queued (one that a
  // ServerReceive would take at once), INVALID once stopped; with `watch`
  // the waiter is woken when a request is queued and when the server stops.
  void CheckPoll(std::shared_ptr<PollWaiter> waiter, size_t target, bool watch);

  // Stops accepting, ends waiting ServerReceives, answers every queued and
  // delivered request 503 (and closes those connections), closes idle ones.
  // `done` (may be empty) gets the number of requests answered 503.
  void Stop(StopMode mode, absl::AnyInvocable<void(uint32_t)> done);

  // ConnectionHost.
  void OnRequest(std::shared_ptr<HttpConnection> connection,
                 ParsedRequest request) override;
  void OnRejected(unsigned status) override;
  void OnHandshakeFailed() override;
  void OnClientGone(std::shared_ptr<HttpConnection> connection) override;
  void OnClosed(std::shared_ptr<HttpConnection> connection) override;

 private:
  using Strand = boost::asio::strand<boost::asio::any_io_executor>;

  template <typename F>
  void Post(F&& f) {
    boost::asio::post(strand_, std::forward<F>(f));
  }
  // --- strand only; http_server.cc ---
  void Accept();
  void OnAccept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);
  // --- strand only; http_server_requests.cc ---
  void Dispatch();
  void ArmWaiter(const std::shared_ptr<ReceiveWaiter>& waiter);
  void RemoveWaiter(const std::shared_ptr<ReceiveWaiter>& waiter);
  void OnResponseTimeout(const std::shared_ptr<HttpRequest>& request);
  // Takes `request` out of the queue or the delivered set, for good.
  void Detach(HttpRequest& request);
  // socketd's own answer to a detached request.
  void AnswerOwn(HttpRequest& request, unsigned status, bool close);

  boost::asio::any_io_executor executor_;
  Strand strand_;
  const std::string id_;
  const std::string owner_;
  const std::string replica_id_;
  const HttpServerSpec spec_;
  RequestIndex& requests_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer accept_retry_;
  std::string bound_address_;
  uint16_t port_ = 0;

  // Everything below is touched on strand_ only.
  std::deque<std::shared_ptr<HttpRequest>> queue_;
  std::deque<std::shared_ptr<ReceiveWaiter>> waiters_;
  absl::flat_hash_map<std::string, std::shared_ptr<HttpRequest>> delivered_;
  // ServerSends writing their response, by request handle (CancelSend).
  absl::flat_hash_map<std::string, std::weak_ptr<HttpConnection>> writing_;
  // ServerSends cancelled before they reached the strand, by request handle.
  absl::flat_hash_set<std::string> cancelled_sends_;
  absl::flat_hash_map<const HttpConnection*, std::weak_ptr<HttpConnection>> connections_;
  // The counters of GetServerInfo (the other fields are filled on demand).
  v1::ServerInfo counters_;
  bool stopped_ = false;
  PollWatchers poll_watchers_;
};

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_HTTP_HTTP_SERVER_H_
