#include "service/net/tcp_transport.h"

#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include "common/socket_error.h"
#include "service/ops/counters.h"

namespace socketsvc {

TcpTransport::TcpTransport(boost::asio::ip::tcp::socket socket)
    : socket_(std::move(socket)) {
  boost::system::error_code ignored;
  socket_.non_blocking(true, ignored);
}

absl::StatusOr<IoProgress> TcpTransport::TryRead(std::string& out,
                                                 size_t max_append) {
  absl::StatusOr<IoProgress> progress = Receive(out, max_append, 0);
  if (progress.ok()) CountOps(OpsCounter::kSocketBytesIn, progress->bytes);
  return progress;
}

absl::StatusOr<IoProgress> TcpTransport::TryPeek(std::string& out,
                                                 size_t max_append) {
  return Receive(out, max_append, MSG_PEEK);
}

absl::StatusOr<IoProgress> TcpTransport::Receive(std::string& out,
                                                 size_t max_append, int flags) {
  IoProgress progress;
  if (max_append == 0) return progress;
  const int fd = socket_.native_handle();
  int queued = 0;
  if (::ioctl(fd, FIONREAD, &queued) != 0) queued = 0;
  // With nothing queued, a 1-byte read still tells EOF and errors apart from
  // "nothing yet" without allocating for data that is not there.
  const size_t want =
      std::min(max_append, static_cast<size_t>(std::max(queued, 1)));
  const size_t old_size = out.size();
  out.resize(old_size + want);
  ssize_t n;
  do {
    n = ::recv(fd, out.data() + old_size, want, flags);
  } while (n < 0 && errno == EINTR);
  const int err = errno;
  out.resize(old_size + std::max<ssize_t>(n, 0));
  if (n > 0) {
    progress.bytes = static_cast<size_t>(n);
  } else if (n == 0) {
    progress.eof = true;
  } else if (err == EAGAIN || err == EWOULDBLOCK) {
    progress.would_block = true;
  } else {
    return ErrnoStatus(err, "recv");
  }
  return progress;
}

absl::StatusOr<IoProgress> TcpTransport::TryWrite(absl::string_view data) {
  IoProgress progress;
  if (data.empty()) return progress;
  ssize_t n;
  do {
    // MSG_NOSIGNAL: a reset peer is an EPIPE for this call, never a SIGPIPE.
    n = ::send(socket_.native_handle(), data.data(), data.size(),
               MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n >= 0) {
    progress.bytes = static_cast<size_t>(n);
    CountOps(OpsCounter::kSocketBytesOut, progress.bytes);
    progress.would_block = progress.bytes < data.size();
    return progress;
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK) {
    progress.would_block = true;
    return progress;
  }
  return ErrnoStatus(errno, "send");
}

absl::Status TcpTransport::ShutdownSend() {
  if (::shutdown(socket_.native_handle(), SHUT_WR) != 0 && errno != ENOTCONN) {
    return ErrnoStatus(errno, "shutdown");
  }
  return absl::OkStatus();
}

void TcpTransport::Abort() {
  if (!socket_.is_open()) return;
  const linger reset{/*l_onoff=*/1, /*l_linger=*/0};
  ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_LINGER, &reset,
               sizeof(reset));
  Close();
}

void TcpTransport::Close() {
  boost::system::error_code ignored;
  socket_.close(ignored);
}

}  // namespace socketsvc
