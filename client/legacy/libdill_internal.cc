#include "client/legacy/libdill_internal.h"

#include <time.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "client/legacy/libdill.h"
#include "common/socket_error.h"

namespace socketsvc::libdill {
namespace internal {
namespace {

// Largest piece one Send or Receive RPC carries: well under socketd's
// --max_send_bytes and --max_receive_bytes defaults.
constexpr size_t kChunk = 1 << 20;
// Extra time a call with a deadline gives socketd to answer (gRPC deadline).
constexpr int64_t kRpcSlackMs = 10000;
// What one read for the HTTP layer asks for at most.
constexpr uint32_t kReadAhead = 16 * 1024;

ABSL_CONST_INIT absl::Mutex bound_mu(absl::kConstInit);
std::optional<Client>* bound ABSL_GUARDED_BY(bound_mu) = nullptr;

bool IsDataOp(Op op) { return op == Op::kSend || op == Op::kReceive || op == Op::kClose; }

}  // namespace

int Fail(int e) {
  errno = e;
  return -1;
}

std::optional<Client> BoundClient() {
  absl::MutexLock lock(&bound_mu);
  if (bound == nullptr) return std::nullopt;
  return *bound;
}

int64_t TimeoutMs(int64_t deadline) {
  if (deadline == -1) return -1;
  if (deadline == 0) return 0;
  return std::max<int64_t>(0, deadline - now());
}

CallOptions OptionsFor(int64_t deadline) {
  CallOptions options;
  if (deadline != -1) {
    options.rpc_timeout = absl::Milliseconds(TimeoutMs(deadline) + kRpcSlackMs);
  }
  return options;
}

int ErrnoFor(const absl::Status& status, Op op) {
  const bool setup = op == Op::kConnect || op == Op::kListen;
  std::optional<v1::ErrorDetail> detail = GetErrorDetail(status);
  if (detail.has_value()) {
    switch (detail->os_errno()) {
      case ECONNREFUSED: case ECONNRESET: case ETIMEDOUT: case ENETUNREACH:
      case ENETDOWN: case EHOSTUNREACH: case EADDRINUSE: case EADDRNOTAVAIL:
      case EMFILE: case ENFILE: case ENOMEM: case EACCES:
        return detail->os_errno();
      case EPIPE: case ECONNABORTED: case ENOTCONN:
        return ECONNRESET;  // libdill's fd.c reports a kernel EPIPE so
      case EHOSTDOWN:
        return EHOSTUNREACH;
      default:
        break;
    }
    switch (detail->error()) {
      case v1::SOCKET_ERROR_CONNECTION_REFUSED: return ECONNREFUSED;
      case v1::SOCKET_ERROR_CONNECTION_RESET: return ECONNRESET;
      case v1::SOCKET_ERROR_BROKEN_PIPE: return ECONNRESET;
      case v1::SOCKET_ERROR_TIMED_OUT: return ETIMEDOUT;
      case v1::SOCKET_ERROR_NETWORK_UNREACHABLE: return ENETUNREACH;
      case v1::SOCKET_ERROR_HOST_UNREACHABLE: return EHOSTUNREACH;
      case v1::SOCKET_ERROR_HOST_NOT_FOUND: return EADDRNOTAVAIL;
      case v1::SOCKET_ERROR_ADDRESS_IN_USE: return EADDRINUSE;
      case v1::SOCKET_ERROR_LIMIT_EXCEEDED: return IsDataOp(op) ? ENOMEM : EMFILE;
      case v1::SOCKET_ERROR_HANDLE_BUSY: return EBUSY;
      case v1::SOCKET_ERROR_INVALID_REQUEST: return EINVAL;
      case v1::SOCKET_ERROR_POLICY_DENIED: return EACCES;
      // The call waited while the handle was closed (hclose elsewhere).
      case v1::SOCKET_ERROR_CANCELLED: return ECANCELED;
      case v1::SOCKET_ERROR_NOT_CONNECTED: return ECANCELED;
      // socketd no longer knows the socket (idle timeout, restart): the
      // connection is gone; a listener is no valid handle any more.
      case v1::SOCKET_ERROR_INVALID_HANDLE:
        return op == Op::kAccept ? EBADF : ECONNRESET;
      case v1::SOCKET_ERROR_SHUTTING_DOWN: return setup ? ENETDOWN : ECONNRESET;
      default: break;
    }
  }
  switch (status.code()) {
    case absl::StatusCode::kDeadlineExceeded: return ETIMEDOUT;
    case absl::StatusCode::kCancelled: return ECANCELED;
    case absl::StatusCode::kInvalidArgument: return EINVAL;
    case absl::StatusCode::kResourceExhausted: return ENOMEM;
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnauthenticated: return EACCES;
    default:
      // Above all UNAVAILABLE without a detail: socketd cannot be reached.
      // For a new socket the network is down; an open one is broken.
      if (setup) return ENETDOWN;
      if (op == Op::kAccept) return ECANCELED;
      return ECONNRESET;
  }
}

HandleTable& HandleTable::Get() {
  static HandleTable* table = new HandleTable();
  return *table;
}

int HandleTable::Add(std::shared_ptr<Object> object) {
  absl::MutexLock lock(&mu_);
  const int h = next_++;
  objects_.emplace(h, std::move(object));
  return h;
}

std::shared_ptr<Object> HandleTable::Find(int h) const {
  absl::MutexLock lock(&mu_);
  auto it = objects_.find(h);
  return it == objects_.end() ? nullptr : it->second;
}

std::shared_ptr<Object> HandleTable::Remove(int h) {
  absl::MutexLock lock(&mu_);
  auto it = objects_.find(h);
  if (it == objects_.end()) return nullptr;
  std::shared_ptr<Object> object = std::move(it->second);
  objects_.erase(it);
  return object;
}

int SendAll(TcpConn& conn, absl::string_view data, int64_t deadline) {
  if (conn.outdone) return EPIPE;
  if (conn.outerr) return ECONNRESET;
  while (!data.empty()) {
    absl::StatusOr<v1::SendResponse> sent =
        conn.client.Send(conn.handle, data.substr(0, kChunk), TimeoutMs(deadline),
                         OptionsFor(deadline));
    if (!sent.ok()) {
      conn.outerr = true;
      return ErrnoFor(sent.status(), Op::kSend);
    }
    data.remove_prefix(std::min<size_t>(sent->bytes_sent(), data.size()));
    if (sent->timed_out()) {
      conn.outerr = true;
      return ETIMEDOUT;
    }
  }
  return 0;
}

int ReceiveExact(TcpConn& conn, char* out, size_t len, int64_t deadline) {
  if (conn.inerr) return ECONNRESET;
  size_t have = std::min(len, conn.rx.size());
  if (out != nullptr && have > 0) memcpy(out, conn.rx.data(), have);
  conn.rx.erase(0, have);
  while (have < len) {
    if (conn.indone) return EPIPE;
    const uint32_t want = static_cast<uint32_t>(std::min(len - have, kChunk));
    absl::StatusOr<v1::ReceiveResponse> got = conn.client.Receive(
        conn.handle, want, want, TimeoutMs(deadline), OptionsFor(deadline));
    if (!got.ok()) {
      conn.inerr = true;
      return ErrnoFor(got.status(), Op::kReceive);
    }
    const size_t n = std::min(got->data().size(), len - have);
    if (out != nullptr && n > 0) memcpy(out + have, got->data().data(), n);
    have += n;
    if (got->eof()) conn.indone = true;
    if (have == len) break;
    if (got->eof()) return EPIPE;  // The bytes that came are lost, as in libdill.
    if (got->timed_out()) {
      conn.inerr = true;
      return ETIMEDOUT;
    }
  }
  return 0;
}

int ReceiveMore(TcpConn& conn, int64_t deadline) {
  if (conn.inerr) return ECONNRESET;
  if (conn.indone) return EPIPE;
  absl::StatusOr<v1::ReceiveResponse> got = conn.client.Receive(
      conn.handle, kReadAhead, 1, TimeoutMs(deadline), OptionsFor(deadline));
  if (!got.ok()) {
    conn.inerr = true;
    return ErrnoFor(got.status(), Op::kReceive);
  }
  conn.rx += got->data();
  if (got->eof()) conn.indone = true;
  if (!got->data().empty()) return 0;
  if (got->eof()) return EPIPE;
  conn.inerr = true;
  return ETIMEDOUT;
}

void Abort(const Client& client, const std::string& handle) {
  CallOptions options;
  options.rpc_timeout = absl::Milliseconds(kRpcSlackMs);
  (void)client.Close(handle, v1::CLOSE_MODE_ABORT, std::nullopt, options);
}

}  // namespace internal

void Use(const Client& client) {
  absl::MutexLock lock(&internal::bound_mu);
  if (internal::bound == nullptr) internal::bound = new std::optional<Client>();
  *internal::bound = client;
}

int64_t now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  const int64_t ms = static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
  return ms > 0 ? ms : 1;  // 0 and -1 mean "immediately" and "never".
}

}  // namespace socketsvc::libdill
