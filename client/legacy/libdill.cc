// The libdill facade's addresses, TCP sockets and bytestream calls. The HTTP
// layer is in libdill_http.cc, the shared machinery in libdill_internal.cc.
#include "client/legacy/libdill.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "client/legacy/libdill_internal.h"

namespace socketsvc::libdill {
namespace {

using internal::ErrnoFor;
using internal::Exclusive;
using internal::Fail;
using internal::FindAs;
using internal::HandleTable;
using internal::Op;
using internal::OptionsFor;
using internal::TcpConn;
using internal::TcpListener;
using internal::TimeoutMs;

bool ValidMode(int mode) { return mode >= 0 && mode <= IPADDR_PREF_IPV6; }

void SetV4(struct ipaddr* addr, const in_addr& ip, int port) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr = ip;
  sin.sin_port = htons(static_cast<uint16_t>(port));
  memset(addr->_, 0, sizeof(addr->_));
  memcpy(addr->_, &sin, sizeof(sin));
}

void SetV6(struct ipaddr* addr, const in6_addr& ip, int port) {
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  sin6.sin6_addr = ip;
  sin6.sin6_port = htons(static_cast<uint16_t>(port));
  memset(addr->_, 0, sizeof(addr->_));
  memcpy(addr->_, &sin6, sizeof(sin6));
}

// The first IPv4 and the first IPv6 candidate, and the choice `mode` makes.
struct Candidates {
  std::optional<in_addr> v4;
  std::optional<in6_addr> v6;

  void Add(const std::string& text) {
    in_addr a4;
    in6_addr a6;
    if (!v4 && inet_pton(AF_INET, text.c_str(), &a4) == 1) v4 = a4;
    if (!v6 && inet_pton(AF_INET6, text.c_str(), &a6) == 1) v6 = a6;
  }

  bool Pick(struct ipaddr* addr, int port, int mode) const {
    const bool want_v6_first = mode == IPADDR_IPV6 || mode == IPADDR_PREF_IPV6;
    const bool v4_ok = mode != IPADDR_IPV6 && v4.has_value();
    const bool v6_ok = mode != IPADDR_IPV4 && v6.has_value();
    if (v6_ok && (want_v6_first || !v4_ok)) {
      SetV6(addr, *v6, port);
      return true;
    }
    if (v4_ok) {
      SetV4(addr, *v4, port);
      return true;
    }
    return false;
  }
};

std::string AddressText(const struct ipaddr* addr) {
  char text[IPADDR_MAXSTRLEN];
  return ipaddr_str(addr, text);
}

}  // namespace

// --- Addresses ---------------------------------------------------------------

int ipaddr_local(struct ipaddr* addr, const char* name, int port, int mode) {
  if (addr == nullptr || !ValidMode(mode) || port < 0 || port > 65535) return Fail(EINVAL);
  Candidates candidates;
  if (name == nullptr) {
    candidates.v4 = in_addr{htonl(INADDR_ANY)};
    candidates.v6 = in6addr_any;
  } else {
    candidates.Add(name);
  }
  if (!candidates.v4 && !candidates.v6 && name != nullptr) {
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) == 0) {
      for (ifaddrs* it = list; it != nullptr; it = it->ifa_next) {
        if (it->ifa_addr == nullptr || strcmp(it->ifa_name, name) != 0) continue;
        char text[IPADDR_MAXSTRLEN];
        const int family = it->ifa_addr->sa_family;
        const void* ip =
            family == AF_INET
                ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(it->ifa_addr)->sin_addr)
                : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(it->ifa_addr)->sin6_addr);
        if ((family == AF_INET || family == AF_INET6) &&
            inet_ntop(family, ip, text, sizeof(text)) != nullptr) {
          candidates.Add(text);
        }
      }
      freeifaddrs(list);
    }
  }
  return candidates.Pick(addr, port, mode) ? 0 : Fail(ENODEV);
}

int ipaddr_remote(struct ipaddr* addr, const char* name, int port, int mode,
                  int64_t deadline) {
  if (addr == nullptr || name == nullptr || !ValidMode(mode) || port < 0 ||
      port > 65535) {
    return Fail(EINVAL);
  }
  Candidates literal;
  literal.Add(name);
  if (literal.v4 || literal.v6) {
    return literal.Pick(addr, port, mode) ? 0 : Fail(EADDRNOTAVAIL);
  }
  std::optional<Client> client = internal::BoundClient();
  if (!client) return Fail(EADDRNOTAVAIL);
  absl::StatusOr<v1::ResolveResponse> resolved =
      client->Resolve(name, TimeoutMs(deadline), OptionsFor(deadline));
  if (!resolved.ok()) {
    const int e = ErrnoFor(resolved.status(), Op::kResolve);
    return Fail(e == ETIMEDOUT || e == ECANCELED ? e : EADDRNOTAVAIL);
  }
  Candidates found;
  for (const std::string& address : resolved->addresses()) found.Add(address);
  return found.Pick(addr, port, mode) ? 0 : Fail(EADDRNOTAVAIL);
}

const char* ipaddr_str(const struct ipaddr* addr, char* ipstr) {
  const int family = ipaddr_family(addr);
  const void* ip =
      family == AF_INET6
          ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in6*>(addr->_)->sin6_addr)
          : static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(addr->_)->sin_addr);
  if (inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, ip, ipstr,
                IPADDR_MAXSTRLEN) == nullptr) {
    ipstr[0] = '\0';
  }
  return ipstr;
}

int ipaddr_family(const struct ipaddr* addr) {
  return reinterpret_cast<const sockaddr*>(addr->_)->sa_family;
}

const struct sockaddr* ipaddr_sockaddr(const struct ipaddr* addr) {
  return reinterpret_cast<const sockaddr*>(addr->_);
}

int ipaddr_len(const struct ipaddr* addr) {
  return ipaddr_family(addr) == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}

int ipaddr_port(const struct ipaddr* addr) {
  return ipaddr_family(addr) == AF_INET6
             ? ntohs(reinterpret_cast<const sockaddr_in6*>(addr->_)->sin6_port)
             : ntohs(reinterpret_cast<const sockaddr_in*>(addr->_)->sin_port);
}

void ipaddr_setport(struct ipaddr* addr, int port) {
  const uint16_t net = htons(static_cast<uint16_t>(port));
  if (ipaddr_family(addr) == AF_INET6) {
    reinterpret_cast<sockaddr_in6*>(addr->_)->sin6_port = net;
  } else {
    reinterpret_cast<sockaddr_in*>(addr->_)->sin_port = net;
  }
}

int ipaddr_equal(const struct ipaddr* addr1, const struct ipaddr* addr2,
                 int ignore_port) {
  if (ipaddr_family(addr1) != ipaddr_family(addr2)) return 0;
  if (!ignore_port && ipaddr_port(addr1) != ipaddr_port(addr2)) return 0;
  return AddressText(addr1) == AddressText(addr2) ? 1 : 0;
}

// --- TCP ---------------------------------------------------------------------

int tcp_connect(const struct ipaddr* addr, int64_t deadline) {
  if (addr == nullptr) return Fail(EINVAL);
  std::optional<Client> client = internal::BoundClient();
  if (!client) return Fail(ENETDOWN);
  // socketd refuses a Connect that may not wait at all; 1 ms still lets a
  // connect that can finish at once (loopback) succeed, as libdill's would.
  int64_t timeout = TimeoutMs(deadline);
  if (timeout == 0) timeout = 1;
  absl::StatusOr<v1::ConnectResponse> connected = client->Connect(
      AddressText(addr), static_cast<uint32_t>(ipaddr_port(addr)), timeout,
      OptionsFor(deadline));
  if (!connected.ok()) return Fail(ErrnoFor(connected.status(), Op::kConnect));
  return HandleTable::Get().Add(std::make_shared<TcpConn>(*client, connected->handle()));
}

int tcp_listen(struct ipaddr* addr, int backlog) {
  if (addr == nullptr) return Fail(EINVAL);
  std::optional<Client> client = internal::BoundClient();
  if (!client) return Fail(ENETDOWN);
  absl::StatusOr<v1::ListenResponse> listening =
      client->Listen(AddressText(addr), static_cast<uint32_t>(ipaddr_port(addr)),
                     backlog > 0 ? static_cast<uint32_t>(backlog) : 0, OptionsFor(0));
  if (!listening.ok()) return Fail(ErrnoFor(listening.status(), Op::kListen));
  if (ipaddr_port(addr) == 0) ipaddr_setport(addr, static_cast<int>(listening->port()));
  return HandleTable::Get().Add(
      std::make_shared<TcpListener>(*client, listening->listener()));
}

int tcp_accept(int s, struct ipaddr* addr, int64_t deadline) {
  std::shared_ptr<TcpListener> listener = FindAs<TcpListener>(s);
  if (listener == nullptr) return -1;
  Exclusive exclusive(listener->accepting);
  if (!exclusive.ok()) return Fail(EBUSY);
  absl::StatusOr<v1::AcceptResponse> accepted = listener->client.Accept(
      listener->handle, TimeoutMs(deadline), OptionsFor(deadline));
  if (!accepted.ok()) return Fail(ErrnoFor(accepted.status(), Op::kAccept));
  if (accepted->timed_out()) return Fail(ETIMEDOUT);
  if (addr != nullptr) {
    Candidates peer;
    peer.Add(accepted->peer_address());
    peer.Pick(addr, static_cast<int>(accepted->peer_port()), IPADDR_PREF_IPV4);
  }
  return HandleTable::Get().Add(
      std::make_shared<TcpConn>(listener->client, accepted->handle()));
}

int tcp_done(int s, int64_t deadline) {
  std::shared_ptr<TcpConn> conn = FindAs<TcpConn>(s);
  if (conn == nullptr) return -1;
  if (conn->outdone) return Fail(EPIPE);
  if (conn->outerr) return Fail(ECONNRESET);
  absl::StatusOr<v1::CloseResponse> closed = conn->client.Close(
      conn->handle, v1::CLOSE_MODE_PARTIAL, std::nullopt, OptionsFor(deadline));
  if (!closed.ok()) {
    conn->outerr = true;
    return Fail(ErrnoFor(closed.status(), Op::kSend));
  }
  conn->outdone = true;
  return 0;
}

int tcp_close(int s, int64_t deadline) {
  std::shared_ptr<internal::Object> object = HandleTable::Get().Find(s);
  if (object == nullptr) return Fail(EBADF);
  if (std::dynamic_pointer_cast<TcpListener>(object) != nullptr) return hclose(s);
  std::shared_ptr<TcpConn> conn = std::dynamic_pointer_cast<TcpConn>(object);
  if (conn == nullptr) return Fail(ENOTSUP);
  if (HandleTable::Get().Remove(s) == nullptr) return Fail(EBADF);
  if (conn->inerr || conn->outerr) {
    internal::Abort(conn->client, conn->handle);
    return Fail(ECONNRESET);
  }
  absl::StatusOr<v1::CloseResponse> closed = conn->client.Close(
      conn->handle, v1::CLOSE_MODE_COMPLETE, TimeoutMs(deadline), OptionsFor(deadline));
  if (!closed.ok()) {
    internal::Abort(conn->client, conn->handle);
    return Fail(ErrnoFor(closed.status(), Op::kClose));
  }
  // socketd released the socket either way; the peer never closed in time.
  if (closed->drain_timed_out()) return Fail(ETIMEDOUT);
  return 0;
}

// --- Handles and bytestreams ---------------------------------------------------

int hclose(int h) {
  std::shared_ptr<internal::Object> object = HandleTable::Get().Remove(h);
  if (object == nullptr) return Fail(EBADF);
  if (auto conn = std::dynamic_pointer_cast<TcpConn>(object)) {
    internal::Abort(conn->client, conn->handle);
  } else if (auto listener = std::dynamic_pointer_cast<TcpListener>(object)) {
    internal::Abort(listener->client, listener->handle);
  } else if (auto http = std::dynamic_pointer_cast<internal::HttpConn>(object)) {
    internal::Abort(http->tcp->client, http->tcp->handle);
  }
  return 0;
}

int bsend(int s, const void* buf, size_t len, int64_t deadline) {
  std::shared_ptr<TcpConn> conn = FindAs<TcpConn>(s);
  if (conn == nullptr) return -1;
  if (buf == nullptr && len > 0) return Fail(EINVAL);
  Exclusive exclusive(conn->sending);
  if (!exclusive.ok()) return Fail(EBUSY);
  const int e = internal::SendAll(
      *conn, absl::string_view(static_cast<const char*>(buf), len), deadline);
  return e == 0 ? 0 : Fail(e);
}

int brecv(int s, void* buf, size_t len, int64_t deadline) {
  std::shared_ptr<TcpConn> conn = FindAs<TcpConn>(s);
  if (conn == nullptr) return -1;
  Exclusive exclusive(conn->receiving);
  if (!exclusive.ok()) return Fail(EBUSY);
  const int e = internal::ReceiveExact(*conn, static_cast<char*>(buf), len, deadline);
  return e == 0 ? 0 : Fail(e);
}

int msend(int s, const void* /*buf*/, size_t /*len*/, int64_t /*deadline*/) {
  return Fail(HandleTable::Get().Find(s) == nullptr ? EBADF : ENOTSUP);
}

ssize_t mrecv(int s, void* /*buf*/, size_t /*len*/, int64_t /*deadline*/) {
  return Fail(HandleTable::Get().Find(s) == nullptr ? EBADF : ENOTSUP);
}

}  // namespace socketsvc::libdill
