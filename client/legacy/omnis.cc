// Omnis client-socket commands: TCPConnect/HTTPOpen, TCPSend/HTTPSend,
// TCPReceive, TCPBlock, TCPClose/HTTPClose, HTTPRead.
#include "client/legacy/omnis.h"

#include <utility>

#include "client/legacy/omnis_http_framing.h"
#include "client/legacy/omnis_socket.h"
#include "common/socket_error.h"

namespace socketsvc::omnis {
namespace {

// HTTPRead gives up on messages larger than this (-1010, out of memory).
constexpr size_t kMaxHttpMessageBytes = size_t{64} << 20;

}  // namespace

int32_t WebCommands::Connect(const char* command, absl::string_view hostname,
                             const ServiceOrPort& service_or_port, bool secure, bool verify) {
  if (hostname.empty()) return Result(command, kErrNoAddress);
  v1::ConnectRequest request;
  request.set_host(std::string(hostname));
  Operation operation = Operation::kConnect;
  if (service_or_port.service().has_value()) {
    if (service_or_port.service()->empty()) return Result(command, kErrServiceNotFound);
    request.set_service(*service_or_port.service());
    operation = Operation::kConnectService;
  } else {
    const int port = service_or_port.port().value_or(0);
    if (port < 1 || port > 65535) return Result(command, kErrAddressNotAvailable);
    request.set_port(static_cast<uint32_t>(port));
  }
  request.set_timeout_ms(CommsTimeoutMs());
  if (secure) {
    request.mutable_tls()->set_enabled(true);
    request.mutable_tls()->set_skip_verify(!verify);
  }
  absl::StatusOr<v1::ConnectResponse> connected = client_.Connect(request);
  if (!connected.ok()) return Fail(command, connected.status(), operation);
  return AddSocket(std::make_shared<Socket>(Socket::Kind::kConnection, connected->handle(),
                                            /*blocking=*/true, secure));
}

// TCPConnect → Connect{host, port | service, timeout_ms = comms timeout,
// tls{enabled = secure, skip_verify = !verify}}.
int32_t WebCommands::TCPConnect(absl::string_view hostname, ServiceOrPort service_or_port,
                                bool secure, bool verify) {
  return Connect("TCPConnect", hostname, service_or_port, secure, verify);
}

// HTTPOpen → TCPConnect with the port defaulting to 80, or 443 if secure.
int32_t WebCommands::HTTPOpen(absl::string_view hostname, ServiceOrPort service_or_port,
                              bool secure, bool verify, bool /*useproxy*/) {
  if (service_or_port.omitted()) service_or_port = ServiceOrPort(secure ? 443 : 80);
  return Connect("HTTPOpen", hostname, service_or_port, secure, verify);
}

// TCPSend/HTTPSend → Send{timeout_ms: -1 blocking (also every secure
// socket), 0 non-blocking}.
int32_t WebCommands::Send(const char* command, int32_t number, absl::string_view buffer) {
  std::shared_ptr<Socket> socket = FindSocket(number);
  if (socket == nullptr) return Result(command, kErrBadSocket);
  std::string handle;
  bool blocking = true;
  bool partially_closed = false;
  {
    absl::MutexLock lock(&socket->mu);
    if (socket->kind != Socket::Kind::kConnection) return Result(command, kErrNotConnected);
    handle = socket->handle;
    blocking = socket->blocking || socket->secure;
    partially_closed = socket->partially_closed;
  }
  if (buffer.empty()) return 0;
  absl::StatusOr<v1::SendResponse> sent = client_.Send(handle, buffer, blocking ? -1 : 0);
  if (!sent.ok()) {
    return Fail(command, sent.status(),
                partially_closed ? Operation::kSendAfterPartialClose : Operation::kSend);
  }
  if (sent->bytes_sent() == 0 && sent->timed_out()) return Result(command, kErrWouldBlock);
  return static_cast<int32_t>(sent->bytes_sent());
}

int32_t WebCommands::TCPSend(int32_t socket, absl::string_view buffer) {
  return Send("TCPSend", socket, buffer);
}

int32_t WebCommands::HTTPSend(int32_t socket, absl::string_view buffer) {
  return Send("HTTPSend", socket, buffer);
}

// TCPReceive → Receive{max_bytes = maxbytes (omitted: socketd's maximum),
// min_bytes 1, timeout_ms: -1 blocking, 0 non-blocking}; eof → 0.
int32_t WebCommands::TCPReceive(int32_t number, std::string& buffer,
                                std::optional<int32_t> maxbytes) {
  constexpr const char* kCommand = "TCPReceive";
  std::shared_ptr<Socket> socket = FindSocket(number);
  if (socket == nullptr) return Result(kCommand, kErrBadSocket);
  if (maxbytes.has_value() && *maxbytes <= 0) return Result(kCommand, kErrInvalidArgument);
  const uint32_t max_bytes =
      maxbytes.has_value() ? static_cast<uint32_t>(*maxbytes) : kNoReceiveLimit;
  std::string handle;
  bool blocking = true;
  {
    absl::MutexLock lock(&socket->mu);
    if (socket->kind != Socket::Kind::kConnection) return Result(kCommand, kErrNotConnected);
    if (!socket->pending.empty()) {
      buffer = socket->TakePending(max_bytes);
      return static_cast<int32_t>(buffer.size());
    }
    handle = socket->handle;
    blocking = socket->blocking;
  }
  absl::StatusOr<v1::ReceiveResponse> received =
      client_.Receive(handle, max_bytes, 1, blocking ? -1 : 0);
  if (!received.ok()) return Fail(kCommand, received.status(), Operation::kReceive);
  if (received->data().empty() && !received->eof()) {
    return Result(kCommand, kErrWouldBlock);  // timed_out: nothing there yet.
  }
  buffer = std::move(*received->mutable_data());
  return static_cast<int32_t>(buffer.size());
}

// TCPBlock: local state read by TCPAccept, TCPReceive, TCPSend, HTTPSend.
int32_t WebCommands::TCPBlock(int32_t number, int32_t option) {
  std::shared_ptr<Socket> socket = FindSocket(number);
  if (socket == nullptr) return Result("TCPBlock", kErrBadSocket);
  absl::MutexLock lock(&socket->mu);
  socket->blocking = option == 0;
  return 0;
}

// TCPClose/HTTPClose → Close{0: COMPLETE (drain ≤ comms timeout),
// 1: PARTIAL, 2: ABORT}; listeners and unbound sockets are released.
int32_t WebCommands::Close(const char* command, int32_t number, int32_t option) {
  if (option < 0 || option > 2) return Result(command, kErrBadCloseOption);
  std::shared_ptr<Socket> socket = FindSocket(number);
  if (socket == nullptr) return Result(command, kErrBadSocket);
  std::string handle;
  {
    absl::MutexLock lock(&socket->mu);
    if (option == 1) {
      if (socket->kind != Socket::Kind::kConnection) {
        return Result(command, kErrNotConnected);
      }
      if (socket->secure) return Result(command, kErrPartialCloseSecure);
    }
    handle = socket->handle;
  }
  if (option != 1) RemoveSocket(number);  // The number is free at once.
  if (handle.empty()) return 0;           // TCPSocket never bound.
  const v1::CloseMode mode = option == 0   ? v1::CLOSE_MODE_COMPLETE
                             : option == 1 ? v1::CLOSE_MODE_PARTIAL
                                           : v1::CLOSE_MODE_ABORT;
  absl::StatusOr<v1::CloseResponse> closed = client_.Close(
      handle, mode,
      mode == v1::CLOSE_MODE_COMPLETE ? std::optional<int64_t>(CommsTimeoutMs()) : std::nullopt);
  if (!closed.ok()) {
    // socketd no longer knows the handle (e.g. released by its idle
    // timeout): forget the number rather than keep a dead one.
    if (GetSocketError(closed.status()) == v1::SOCKET_ERROR_INVALID_HANDLE) {
      RemoveSocket(number);
    }
    return Fail(command, closed.status(), Operation::kClose);
  }
  if (option == 1) {
    absl::MutexLock lock(&socket->mu);
    socket->partially_closed = true;
  }
  if (option == 1 && closed->released()) RemoveSocket(number);
  return 0;
}

int32_t WebCommands::TCPClose(int32_t socket, int32_t option) {
  return Close("TCPClose", socket, option);
}

int32_t WebCommands::HTTPClose(int32_t socket, int32_t option) {
  return Close("HTTPClose", socket, option);
}

// HTTPRead → Receive{timeout_ms = comms timeout} until the message is
// complete (omnis_http_framing.h); surplus bytes stay in `pending`.
int32_t WebCommands::HTTPRead(int32_t number, std::string& buffer, int32_t type) {
  constexpr const char* kCommand = "HTTPRead";
  const bool response = type != 0;
  std::shared_ptr<Socket> socket = FindSocket(number);
  if (socket == nullptr) return Result(kCommand, kErrBadSocket);
  std::string data;
  std::string handle;
  {
    absl::MutexLock lock(&socket->mu);
    if (socket->kind != Socket::Kind::kConnection) return Result(kCommand, kErrNotConnected);
    data = socket->TakePending(std::string::npos);
    handle = socket->handle;
  }
  // Hands back what was read but not returned, so no byte is lost.
  auto keep = [&](std::string rest) {
    absl::MutexLock lock(&socket->mu);
    socket->pending = std::move(rest) + socket->pending;
  };
  bool eof = false;
  for (;;) {
    legacy::HttpFrame frame = legacy::FrameHttpMessage(data, response);
    if (frame.status == legacy::HttpFrame::kComplete) {
      keep(data.substr(frame.length));
      data.resize(frame.length);
      buffer = std::move(data);
      return static_cast<int32_t>(buffer.size());
    }
    if (frame.status == legacy::HttpFrame::kBadStartLine) {
      keep(std::move(data));
      return Result(kCommand, kErrBadResponse);
    }
    if (frame.status == legacy::HttpFrame::kBadSyntax) {
      keep(std::move(data));
      return Result(kCommand, kErrResponseSyntax);
    }
    if (eof) {
      if (frame.status == legacy::HttpFrame::kUntilClose) {
        buffer = std::move(data);  // Omnis: a graceful close ends a response.
        return static_cast<int32_t>(buffer.size());
      }
      keep(std::move(data));
      return Result(kCommand, kErrShortResponse);
    }
    if (data.size() > kMaxHttpMessageBytes) {
      keep(std::move(data));
      return Result(kCommand, kErrOutOfMemory);
    }
    absl::StatusOr<v1::ReceiveResponse> received =
        client_.Receive(handle, kNoReceiveLimit, 1, CommsTimeoutMs());
    if (!received.ok()) {
      keep(std::move(data));
      return Fail(kCommand, received.status(), Operation::kReceive);
    }
    data += received->data();
    eof = received->eof();
    if (received->timed_out() && received->data().empty()) {
      keep(std::move(data));
      return Result(kCommand, kErrTimeout);  // Inactive for the comms timeout.
    }
  }
}

}  // namespace socketsvc::omnis
