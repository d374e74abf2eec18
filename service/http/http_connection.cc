// The connection loop over a plain or TLS stream: one template, two
// instantiations. Everything runs on the socket's strand.
#include "service/http/http_connection.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <optional>
#include <type_traits>

#include "service/http/http_errors.h"
#include "service/http/http_tls.h"

namespace socketsvc {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using TlsStream = asio::ssl::stream<tcp::socket>;

// A pipelined request (or a TLS record) is buffered while an answer is
// awaited: readability then says nothing, so the socket is polled for a
// hang-up at growing intervals instead.
constexpr absl::Duration kFirstRecheck = absl::Milliseconds(50);
constexpr absl::Duration kLastRecheck = absl::Seconds(1);

template <typename Stream>
class StreamConnection final : public HttpConnection {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  template <typename... StreamArgs>
  StreamConnection(const HttpLimits& limits, std::shared_ptr<ConnectionHost> host,
                   StreamArgs&&... stream_args)
      : stream_(std::forward<StreamArgs>(stream_args)...),
        timer_(stream_.get_executor()),
        limits_(limits),
        host_(std::move(host)) {
    boost::system::error_code ec;
    const tcp::endpoint peer = Socket().remote_endpoint(ec);
    if (!ec) {
      peer_address_ = peer.address().to_string();
      peer_port_ = peer.port();
    }
    Socket().set_option(tcp::no_delay(true), ec);
  }

  void Start() override {
    Post([](StreamConnection& self) { self.StartOnStrand(); });
  }

  void Respond(HttpResponse response, absl::Time deadline, WriteDone done) override {
    Post([response = std::move(response), deadline,
          done = std::move(done)](StreamConnection& self) mutable {
      self.RespondOnStrand(std::move(response), deadline, std::move(done));
    });
  }

  void CancelWrite() override {
    Post([](StreamConnection& self) {
      if (self.state_ != State::kWriting) return;
      self.write_cancelled_ = true;
      self.CloseSocket();
    });
  }

  void Stop(bool linger) override {
    Post([linger](StreamConnection& self) {
      self.stopping_ = true;
      self.linger_ = self.linger_ && linger;
      // Awaiting: the server answers (503), then we close; writing: we close
      // after the write.
      if (self.state_ == State::kHandshake || self.state_ == State::kReading ||
          (self.state_ == State::kClosing && !linger)) {
        self.Finish();
      }
    });
  }

 private:
  enum class State { kHandshake, kReading, kAwaiting, kWriting, kClosing, kClosed };

  template <typename F>
  void Post(F&& f) {
    asio::post(stream_.get_executor(),
               [self = SharedSelf(), f = std::forward<F>(f)]() mutable { f(*self); });
  }
  std::shared_ptr<StreamConnection> SharedSelf() {
    return std::static_pointer_cast<StreamConnection>(shared_from_this());
  }
  tcp::socket::lowest_layer_type& Socket() { return stream_.lowest_layer(); }

  // --- timer: one per connection; its meaning depends on the state ---
  void Arm(absl::Duration after) {
    const uint64_t generation = ++timer_generation_;
    timer_.expires_after(
        absl::ToChronoNanoseconds(std::max(after, absl::ZeroDuration())));
    timer_.async_wait([self = SharedSelf(), generation](boost::system::error_code ec) {
      if (!ec && generation == self->timer_generation_) self->OnTimer();
    });
  }
  void Disarm() {
    ++timer_generation_;
    timer_.cancel();
  }
  void OnTimer() {
    if (state_ == State::kAwaiting) return CheckPeer();
    // Handshake, read, write or linger took too long: the pending operation
    // ends with an error once the socket is closed.
    timed_out_ = true;
    CloseSocket();
  }

  void StartOnStrand() {
    if (stopping_) return Finish();
    if constexpr (kTls) {
      state_ = State::kHandshake;
      Arm(limits_.idle_timeout);
      stream_.async_handshake(
          asio::ssl::stream_base::server,
          [self = SharedSelf()](boost::system::error_code ec) { self->OnHandshake(ec); });
    } else {
      ReadNext();
    }
  }

  void OnHandshake(boost::system::error_code ec) {
    Disarm();
    if (state_ == State::kClosed) return;
    if (ec) {
      host_->OnHandshakeFailed();
      return Finish();
    }
    if constexpr (kTls) client_subject_ = ClientCertSubject(stream_.native_handle());
    ReadNext();
  }

  // --- reading one request ---
  void ReadNext() {
    if (stopping_) return Finish();
    state_ = State::kReading;
    head_checked_ = false;
    parser_.emplace();
    ConfigureRequestParser(*parser_, limits_.max_header_bytes, limits_.max_body_bytes);
    ReadSome();
  }

  void ReadSome() {
    // Idle timeout: between requests, and as the longest silence inside one.
    Arm(limits_.idle_timeout);
    http::async_read_some(stream_, buffer_, *parser_,
                          [self = SharedSelf()](boost::system::error_code ec, size_t) {
                            self->OnRead(ec);
                          });
  }

  void OnRead(boost::system::error_code ec) {
    Disarm();
    if (state_ == State::kClosed) return;
    if (ec) {
      const auto unparsed = buffer_.data();
      const unsigned status =
          timed_out_ || stopping_
              ? 0
              : StatusForParseError(
                    ec, absl::string_view(static_cast<const char*>(unparsed.data()),
                                          unparsed.size()));
      return status != 0 ? Reject(status) : Finish();
    }
    if (!head_checked_ && parser_->is_header_done()) {
      head_checked_ = true;
      if (const unsigned status = CheckRequestHead(parser_->get(), limits_.max_header_bytes);
          status != 0) {
        return Reject(status);
      }
      // Body limit exceeded by Content-Length was refused by the parser
      // already (413 without 100 Continue).
      if (ExpectsContinue(parser_->get(), !parser_->is_done())) return WriteContinue();
      parser_->eager(true);
    }
    if (parser_->is_done()) return Deliver();
    ReadSome();
  }

  void WriteContinue() {
    Arm(limits_.idle_timeout);
    asio::async_write(stream_,
                      asio::buffer(kContinueResponse.data(), kContinueResponse.size()),
                      [self = SharedSelf()](boost::system::error_code ec, size_t) {
                        self->Disarm();
                        if (self->state_ == State::kClosed) return;
                        if (ec) return self->Finish();
                        self->parser_->eager(true);
                        self->ReadSome();
                      });
  }

  void Reject(unsigned status) {
    host_->OnRejected(status);
    RequestFacts facts;
    facts.keep_alive = false;
    StartWrite(BuildOwnResponse(status, facts, /*close=*/true, absl::Now()),
               absl::Now() + limits_.idle_timeout, nullptr);
  }

  void Deliver() {
    state_ = State::kAwaiting;
    ParsedRequest request =
        ToParsedRequest(parser_->release(), peer_address_, peer_port_, client_subject_);
    parser_.reset();
    recheck_ = kFirstRecheck;
    Watch();
    host_->OnRequest(shared_from_this(), std::move(request));
  }

  // --- awaiting the answer: watch for the client going away ---
  void Watch() {
    Socket().async_wait(tcp::socket::wait_read,
                        [self = SharedSelf()](boost::system::error_code ec) {
                          if (!ec && self->state_ == State::kAwaiting) self->CheckPeer();
                        });
  }

  void CheckPeer() {
    pollfd fd{Socket().native_handle(), POLLIN | POLLRDHUP, 0};
    if (::poll(&fd, 1, 0) < 0) return Arm(recheck_);
    if (fd.revents & (POLLRDHUP | POLLHUP | POLLERR)) {
      int error = 0;
      socklen_t size = sizeof(error);
      ::getsockopt(fd.fd, SOL_SOCKET, SO_ERROR, &error, &size);
      gone_ = ClientGoneStatus(error);
      host_->OnClientGone(shared_from_this());
      return Finish();
    }
    if (fd.revents & POLLIN) {
      Arm(recheck_);
      recheck_ = std::min(recheck_ * 2, kLastRecheck);
      return;
    }
    Watch();
  }

  // --- writing an answer ---
  void RespondOnStrand(HttpResponse response, absl::Time deadline, WriteDone done) {
    if (state_ != State::kAwaiting) {
      if (done) {
        done(!gone_.ok() ? gone_ : ConnectionClosedStatus());
      }
      return;
    }
    Disarm();
    boost::system::error_code ignored;
    Socket().cancel(ignored);  // The watch.
    StartWrite(std::move(response), deadline, std::move(done));
  }

  void StartWrite(HttpResponse response, absl::Time deadline, WriteDone done) {
    state_ = State::kWriting;
    response_ = std::move(response);
    write_done_ = std::move(done);
    if (deadline != absl::InfiniteFuture()) Arm(deadline - absl::Now());
    const std::array<asio::const_buffer, 3> buffers = {
        asio::buffer(response_.head),
        asio::buffer(response_.body.data(), response_.body.size()),
        asio::buffer(response_.tail)};
    asio::async_write(stream_, buffers,
                      [self = SharedSelf()](boost::system::error_code ec, size_t n) {
                        self->OnWritten(ec, n);
                      });
  }

  void OnWritten(boost::system::error_code ec, size_t written) {
    Disarm();
    WriteDone done = std::move(write_done_);
    const bool close = response_.close;
    response_ = HttpResponse();  // Its body view dies with the ServerSend.
    if (ec) {
      if (done) {
        done(write_cancelled_ ? WriteCancelledStatus()
             : timed_out_     ? WriteTimedOutStatus()
                              : WriteFailedStatus(ec));
      }
      return Finish();
    }
    if (done) done(static_cast<uint64_t>(written));
    if (close || stopping_) return BeginClose();
    ReadNext();
  }

  // --- closing ---
  // After a response with "Connection: close" the client may still be
  // sending (a body socketd refused): closing at once would make the kernel
  // answer with RST, which can destroy the response before the client read
  // it. So: stop sending, read and discard for a short while, then close.
  void BeginClose() {
    state_ = State::kClosing;
    if (!linger_ || limits_.linger <= absl::ZeroDuration()) return Finish();
    Arm(limits_.linger);
    if constexpr (kTls) {
      // close_notify, then wait for the client's (or its EOF).
      stream_.async_shutdown(
          [self = SharedSelf()](boost::system::error_code) { self->Finish(); });
    } else {
      boost::system::error_code ignored;
      Socket().shutdown(tcp::socket::shutdown_send, ignored);
      Discard();
    }
  }

  void Discard() {
    buffer_.clear();
    stream_.async_read_some(buffer_.prepare(64 * 1024),
                            [self = SharedSelf()](boost::system::error_code ec, size_t) {
                              if (ec || self->state_ == State::kClosed)
                                return self->Finish();
                              self->Discard();
                            });
  }

  void CloseSocket() {
    boost::system::error_code ignored;
    Socket().close(ignored);
  }

  void Finish() {
    if (state_ == State::kClosed) return;
    state_ = State::kClosed;
    Disarm();
    CloseSocket();
    parser_.reset();
    buffer_.clear();
    buffer_.shrink_to_fit();
    if (WriteDone done = std::move(write_done_)) done(ConnectionClosedStatus());
    host_->OnClosed(shared_from_this());
  }

  Stream stream_;
  asio::steady_timer timer_;
  uint64_t timer_generation_ = 0;
  const HttpLimits limits_;
  const std::shared_ptr<ConnectionHost> host_;
  std::string peer_address_;
  uint16_t peer_port_ = 0;
  std::string client_subject_;

  // Everything below is touched on the strand only.
  State state_ = State::kReading;
  boost::beast::flat_buffer buffer_;
  std::optional<BeastRequestParser> parser_;
  bool head_checked_ = false;
  HttpResponse response_;
  WriteDone write_done_;
  // Why the client is gone (set while awaiting an answer), for Respond.
  absl::Status gone_;
  absl::Duration recheck_ = kFirstRecheck;
  bool timed_out_ = false;
  bool write_cancelled_ = false;
  bool stopping_ = false;
  bool linger_ = true;
};

}  // namespace

std::shared_ptr<HttpConnection> HttpConnection::CreatePlain(
    tcp::socket socket, const HttpLimits& limits, std::shared_ptr<ConnectionHost> host) {
  return std::make_shared<StreamConnection<tcp::socket>>(limits, std::move(host),
                                                         std::move(socket));
}

std::shared_ptr<HttpConnection> HttpConnection::CreateTls(
    tcp::socket socket, std::shared_ptr<asio::ssl::context> context,
    const HttpLimits& limits, std::shared_ptr<ConnectionHost> host) {
  // The stream references the context; the context outlives every stream
  // because the server (which owns it) outlives its connections.
  return std::make_shared<StreamConnection<TlsStream>>(limits, std::move(host),
                                                       std::move(socket), *context);
}

}  // namespace socketsvc
