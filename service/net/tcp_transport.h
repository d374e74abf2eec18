// Plain TCP implementation of Transport over a connected Asio socket.
#ifndef SOCKETSVC_SERVICE_NET_TCP_TRANSPORT_H_
#define SOCKETSVC_SERVICE_NET_TCP_TRANSPORT_H_

#include "service/net/transport.h"

namespace socketsvc {

class TcpTransport : public Transport {
 public:
  // Takes a connected socket and puts it in non-blocking mode.
  explicit TcpTransport(boost::asio::ip::tcp::socket socket);

  absl::StatusOr<IoProgress> TryRead(std::string& out,
                                     size_t max_append) override;
  absl::StatusOr<IoProgress> TryPeek(std::string& out,
                                     size_t max_append) override;
  absl::StatusOr<IoProgress> TryWrite(absl::string_view data) override;
  absl::Status ShutdownSend() override;
  void Abort() override;
  void Close() override;
  boost::asio::ip::tcp::socket& socket() override { return socket_; }

 private:
  // recv() with `flags` (0 or MSG_PEEK), appending to `out`.
  absl::StatusOr<IoProgress> Receive(std::string& out, size_t max_append,
                                     int flags);

  boost::asio::ip::tcp::socket socket_;
};

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_NET_TCP_TRANSPORT_H_
