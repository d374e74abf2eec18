// Resolves a host and connects to it, asynchronously, within one deadline.
//
// Name resolution runs on Asio's resolver thread, never on a gRPC or I/O
// thread. Every resolved address is tried in order until one accepts.
// Thread-safe: Start and Cancel may be called from any thread; the
// completion runs once on the connector's strand.
#ifndef SOCKETSVC_SERVICE_NET_CONNECTOR_H_
#define SOCKETSVC_SERVICE_NET_CONNECTOR_H_

#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace socketsvc {

class Connector : public std::enable_shared_from_this<Connector> {
 public:
  using Done =
      absl::AnyInvocable<void(absl::StatusOr<boost::asio::ip::tcp::socket>)>;

  // `service` is a port number or a name from /etc/services ("http").
  static std::shared_ptr<Connector> Create(boost::asio::any_io_executor executor,
                                           std::string host, std::string service,
                                           Done done);

  // Begins the attempt; `deadline` may be absl::InfiniteFuture().
  void Start(absl::Time deadline);

  // Ends the attempt with CANCELLED unless it already finished; works before
  // Start too.
  void Cancel();

  // Use Create.
  Connector(boost::asio::any_io_executor executor, std::string host,
            std::string service, Done done);

 private:
  void Begin(absl::Time deadline);
  void OnResolved(const boost::system::error_code& ec,
                  boost::asio::ip::tcp::resolver::results_type results);
  void OnConnected(const boost::system::error_code& ec);
  // Gives up (timeout or cancellation) and answers at once.
  void Abandon();
  void Finish(absl::StatusOr<boost::asio::ip::tcp::socket> result);
  absl::Status ErrorStatus(const boost::system::error_code& ec) const;

  const std::string host_;
  const std::string service_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer timer_;
  // Strand only.
  bool finished_ = false;
  bool timed_out_ = false;
  bool cancelled_ = false;
  Done done_;
};

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_NET_CONNECTOR_H_
