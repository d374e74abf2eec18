// libdill's socket API (TCP, bytestreams, the HTTP head protocol) over
// socketd: programs written against libdill 2.x keep their calls, handles,
// deadlines and errno values while socketd holds the sockets.
//
//   socketsvc::libdill::Use(socketsvc::Client::Create("127.0.0.1:50051"));
//   using namespace socketsvc::libdill;
//   struct ipaddr addr;
//   ipaddr_remote(&addr, "www.example.org", 80, 0, -1);
//   int s = tcp_connect(&addr, now() + 5000);
//   if (s < 0) perror("tcp_connect");        // errno: ECONNREFUSED, ETIMEDOUT...
//   s = http_attach(s);
//   http_sendrequest(s, "GET", "/", -1);
//   ...
//
// Every function has libdill's name, argument order, defaults and return
// convention: a handle (>= 0) or 0 on success, -1 with errno set to one of
// the values of libdill's man page on failure. Deadlines are absolute points
// in time in milliseconds from now(): 0 means "do it now or fail with
// ETIMEDOUT", -1 means "no deadline". What differs from libdill, and why, is
// in docs/legacy.md ("libdill").
//
// Handles are small positive ints from a process-wide table that maps them to
// socketd handles ("s1.…", "l1.…"). A closed number is never valid again:
// numbers are not reused (libdill reuses them).
//
// Thread-safety: every function may be called from any thread. One bsend (or
// one HTTP send) and one brecv (or one HTTP receive) may run on a handle at
// once; a second call of the same direction while one runs fails with EBUSY,
// as a second coroutine does in libdill. tcp_accept is exclusive in the same
// way. hclose from another thread ends a pending call with ECANCELED.
#ifndef SOCKETSVC_CLIENT_LEGACY_LIBDILL_H_
#define SOCKETSVC_CLIENT_LEGACY_LIBDILL_H_

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>

#include "client/client.h"

namespace socketsvc::libdill {

// Binds the facade to `client`: sockets opened from now on go through it
// (sockets already open keep the client they were opened with). Call once at
// start-up, before any other function; calls that need socketd before it
// fail (tcp_connect/tcp_listen with ENETDOWN, name lookups with
// EADDRNOTAVAIL).
void Use(const Client& client);

// --- Time ------------------------------------------------------------------

// Milliseconds on a monotonic clock; never 0 or -1. Deadlines are now() + ms.
int64_t now();

// --- IP addresses (ipaddr_*(3)) --------------------------------------------

inline constexpr int IPADDR_IPV4 = 1;
inline constexpr int IPADDR_IPV6 = 2;
inline constexpr int IPADDR_PREF_IPV4 = 3;
inline constexpr int IPADDR_PREF_IPV6 = 4;
inline constexpr int IPADDR_MAXSTRLEN = 46;

// An IPv4 or IPv6 address and port (a sockaddr_in/sockaddr_in6 inside).
struct ipaddr {
  alignas(8) char _[32];
};

// `name` is an address literal ("127.0.0.1", "::1"), an interface name of
// this machine ("lo", "eth0") or NULL (any address). Mode 0 is
// IPADDR_PREF_IPV4. -1/ENODEV if no such interface (or address of the mode).
int ipaddr_local(struct ipaddr* addr, const char* name, int port, int mode);
// `name` is an address literal or a host name, which socketd resolves (the
// names socketd's network knows). -1/EADDRNOTAVAIL if it does not resolve to
// an address of the mode, ETIMEDOUT at the deadline.
int ipaddr_remote(struct ipaddr* addr, const char* name, int port, int mode,
                  int64_t deadline);
// Writes the address (no port) to `ipstr` (IPADDR_MAXSTRLEN bytes); returns it.
const char* ipaddr_str(const struct ipaddr* addr, char* ipstr);
int ipaddr_family(const struct ipaddr* addr);  // AF_INET or AF_INET6
const struct sockaddr* ipaddr_sockaddr(const struct ipaddr* addr);
int ipaddr_len(const struct ipaddr* addr);
int ipaddr_port(const struct ipaddr* addr);
void ipaddr_setport(struct ipaddr* addr, int port);
int ipaddr_equal(const struct ipaddr* addr1, const struct ipaddr* addr2,
                 int ignore_port);

// --- TCP (tcp_*(3)) --------------------------------------------------------

// Connects; returns a bytestream handle. errno: ECONNREFUSED, ECONNRESET,
// EHOSTUNREACH, ENETUNREACH, ETIMEDOUT, EINVAL, EMFILE, EACCES (socketd's
// policy), ENETDOWN (socketd unreachable).
int tcp_connect(const struct ipaddr* addr, int64_t deadline);
// Listens on `addr` (bound on socketd's host); port 0 picks a free port,
// which is written back into `addr`. errno: EADDRINUSE, EADDRNOTAVAIL,
// EINVAL, EMFILE, EACCES, ENETDOWN.
int tcp_listen(struct ipaddr* addr, int backlog);
// The next connection on listener `s`; its peer goes to `addr` (may be NULL).
// errno: EBADF, ENOTSUP (not a listener), ETIMEDOUT, EBUSY, EMFILE, ECANCELED.
int tcp_accept(int s, struct ipaddr* addr, int64_t deadline);
// Half-close: sends FIN; receiving still works. errno: EBADF, ENOTSUP,
// EPIPE (already done), ECONNRESET (the connection failed before).
int tcp_done(int s, int64_t deadline);
// Orderly close: tcp_done if not done, then reads and drops inbound data
// until the peer's FIN, then frees the handle, which is gone even on error.
// errno: EBADF, ENOTSUP, ECONNRESET (also at once if the connection had
// failed before), ETIMEDOUT (the peer did not close in time). On a listener
// it is hclose. The deadline defaults to -1 so that libdill 1.x-style
// tcp_close(s) compiles.
int tcp_close(int s, int64_t deadline = -1);

// --- Handles and bytestreams (hclose(3), bsend(3), brecv(3)) -------------

// Hard close of any handle and everything under it: the peer of a TCP
// connection gets RST (libdill closes with SO_LINGER 0). Never fails but
// with EBADF.
int hclose(int h);

// Sends all `len` bytes or fails: no partial send. After any failure,
// including ETIMEDOUT, the handle cannot send any more (later bsend:
// ECONNRESET). errno: EBADF, EBUSY, ECANCELED, ECONNRESET, EINVAL (NULL buf
// with len > 0), ENOTSUP (not a bytestream), EPIPE (after tcp_done),
// ETIMEDOUT.
int bsend(int s, const void* buf, size_t len, int64_t deadline);
// Receives exactly `len` bytes or fails: no partial receive; buf NULL drops
// them. After any failure the handle cannot receive any more: bytes that had
// arrived are lost, later brecv fail ECONNRESET, or EPIPE after the peer's
// end of stream. errno: EBADF, EBUSY, ECANCELED, ECONNRESET, ENOTSUP, EPIPE
// (the peer closed before `len` bytes), ETIMEDOUT.
int brecv(int s, void* buf, size_t len, int64_t deadline);
// Message sockets: no handle of this facade is one (TCP is a bytestream, the
// HTTP handle exchanges only its head), so these fail ENOTSUP, or EBADF.
int msend(int s, const void* buf, size_t len, int64_t deadline);
ssize_t mrecv(int s, void* buf, size_t len, int64_t deadline);

// --- HTTP (http_*(3), RFC 7230 request/response head only) ----------------

// Takes over bytestream `s` (the number `s` becomes invalid) and returns an
// HTTP handle. errno: EBADF, ENOTSUP (not a bytestream).
int http_attach(int s);
// Finishes the head exchange (sends the blank line if http_done was not
// called, reads up to the peer's blank line) and returns the bytestream
// under it as a new handle: the body follows there. The HTTP handle is
// closed even on error (then everything under it too). errno: EBADF,
// ECANCELED, ECONNRESET, ENOTSUP, ETIMEDOUT.
int http_detach(int s, int64_t deadline);
// "GET /index.html HTTP/1.1". EINVAL if command or resource holds a space,
// tab or newline.
int http_sendrequest(int s, const char* command, const char* resource,
                     int64_t deadline);
// "HTTP/1.1 404 Not found". EINVAL unless 100 <= status <= 599.
int http_sendstatus(int s, int status, const char* reason, int64_t deadline);
// "Host: www.example.org" (value without leading and trailing spaces).
// EINVAL for a name with separators or an empty value.
int http_sendfield(int s, const char* name, const char* value,
                   int64_t deadline);
// Sends the blank line that ends the head. EPIPE if already sent.
int http_done(int s, int64_t deadline);
// Reads "GET /index.html HTTP/1.1". EMSGSIZE if a part does not fit its
// buffer, EPROTO for a malformed line.
int http_recvrequest(int s, char* command, size_t commandlen, char* resource,
                     size_t resourcelen, int64_t deadline);
// Reads the status line; returns the status code (e.g. 200) and the reason.
int http_recvstatus(int s, char* reason, size_t reasonlen, int64_t deadline);
// Reads one field; -1/EPIPE at the blank line that ends the head (and after).
int http_recvfield(int s, char* name, size_t namelen, char* value,
                   size_t valuelen, int64_t deadline);

}  // namespace socketsvc::libdill

#endif  // SOCKETSVC_CLIENT_LEGACY_LIBDILL_H_
