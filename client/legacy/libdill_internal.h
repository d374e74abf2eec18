// Internals of the libdill facade (libdill.h): the handle table, the objects
// behind handles, deadline and errno conversion, and the bytestream
// primitives that both the TCP and the HTTP layer use. Not part of the API.
#ifndef SOCKETSVC_CLIENT_LEGACY_LIBDILL_INTERNAL_H_
#define SOCKETSVC_CLIENT_LEGACY_LIBDILL_INTERNAL_H_

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "client/client.h"

namespace socketsvc::libdill::internal {

// Sets errno to `e` and returns -1: `return Fail(EBADF);`.
int Fail(int e);

// The client Use() bound, if any.
std::optional<Client> BoundClient();

// socketd's timeout_ms for an absolute libdill deadline: -1 stays -1, 0 and
// deadlines already past become 0, others the milliseconds left.
int64_t TimeoutMs(int64_t deadline);
// Call options for an operation with `deadline`: a gRPC deadline some
// seconds after it, so that a socketd that stops answering cannot hang a
// call that has a deadline.
CallOptions OptionsFor(int64_t deadline);

// Which call failed: the same socketd status means different errno values
// to different libdill functions.
enum class Op { kConnect, kListen, kAccept, kSend, kReceive, kClose, kResolve };
// The errno libdill would report for a failed socketd call.
int ErrnoFor(const absl::Status& status, Op op);

// Holds a one-at-a-time flag for the life of a call. ok() is false (and the
// flag untouched) if another call holds it: libdill's EBUSY.
class Exclusive {
 public:
  explicit Exclusive(std::atomic<bool>& flag)
      : flag_(flag), ok_(!flag.exchange(true)) {}
  ~Exclusive() {
    if (ok_) flag_.store(false);
  }
  Exclusive(const Exclusive&) = delete;
  Exclusive& operator=(const Exclusive&) = delete;
  bool ok() const { return ok_; }

 private:
  std::atomic<bool>& flag_;
  const bool ok_;
};

// What a handle stands for. Objects are shared: a call keeps its object
// alive while hclose removes the number from the table.
struct Object {
  explicit Object(Client c) : client(std::move(c)) {}
  virtual ~Object() = default;
  const Client client;  // The client the socket was opened with.
};

// A TCP connection (bytestream). The sticky flags are libdill's tcp.c
// states: once set they decide every later call of that direction.
struct TcpConn : Object {
  TcpConn(Client c, std::string h) : Object(std::move(c)), handle(std::move(h)) {}
  const std::string handle;  // socketd's "s1.…"
  std::atomic<bool> sending{false};    // a send runs (EBUSY for another)
  std::atomic<bool> receiving{false};  // a receive runs
  std::atomic<bool> outdone{false};    // tcp_done: bsend → EPIPE
  std::atomic<bool> outerr{false};     // a send failed: bsend → ECONNRESET
  std::atomic<bool> indone{false};     // end of stream seen: brecv → EPIPE
  std::atomic<bool> inerr{false};      // a receive failed: brecv → ECONNRESET
  // Bytes received but not yet consumed (what the HTTP layer read beyond a
  // head line, left for the body). Only the thread holding `receiving`
  // touches it.
  std::string rx;
};

// A listener (tcp_listen).
struct TcpListener : Object {
  TcpListener(Client c, std::string h) : Object(std::move(c)), handle(std::move(h)) {}
  const std::string handle;  // socketd's "l1.…"
  std::atomic<bool> accepting{false};
};

// An HTTP handle over a TCP connection (http_attach). Like libdill's term
// layer: `outdone` once the blank line was sent, `indone` once the peer's
// was received; like its suffix layer, `inerr`/`outerr` after a failure.
struct HttpConn : Object {
  explicit HttpConn(std::shared_ptr<TcpConn> t)
      : Object(t->client), tcp(std::move(t)) {}
  const std::shared_ptr<TcpConn> tcp;
  std::atomic<bool> outdone{false};
  std::atomic<bool> indone{false};
  std::atomic<bool> inerr{false};
  std::atomic<bool> outerr{false};
};

// handle number → object. Thread-safe.
class HandleTable {
 public:
  static HandleTable& Get();  // The process-wide table.
  int Add(std::shared_ptr<Object> object) ABSL_LOCKS_EXCLUDED(mu_);
  std::shared_ptr<Object> Find(int h) const ABSL_LOCKS_EXCLUDED(mu_);
  // Removes and returns the object (null if `h` is unknown).
  std::shared_ptr<Object> Remove(int h) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  int next_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<int, std::shared_ptr<Object>> objects_ ABSL_GUARDED_BY(mu_);
};

// Finds handle `h` as a T: EBADF if unknown, ENOTSUP if another kind.
// Returns null with errno set on failure.
template <typename T>
std::shared_ptr<T> FindAs(int h) {
  std::shared_ptr<Object> object = HandleTable::Get().Find(h);
  if (object == nullptr) {
    Fail(EBADF);
    return nullptr;
  }
  std::shared_ptr<T> typed = std::dynamic_pointer_cast<T>(object);
  if (typed == nullptr) Fail(ENOTSUP);
  return typed;
}

// Bytestream primitives on a connection; the caller holds the direction's
// Exclusive. They return 0, or an errno (not -1) and set the sticky flags.
//
// Writes all of `data` before `deadline`.
int SendAll(TcpConn& conn, absl::string_view data, int64_t deadline);
// Fills `out` (nullptr: drop) with exactly `len` bytes, buffered ones first.
int ReceiveExact(TcpConn& conn, char* out, size_t len, int64_t deadline);
// Appends at least one more byte to conn.rx.
int ReceiveMore(TcpConn& conn, int64_t deadline);
// Hard close of a socketd handle (RST for connections), errors ignored.
void Abort(const Client& client, const std::string& handle);

}  // namespace socketsvc::libdill::internal

#endif  // SOCKETSVC_CLIENT_LEGACY_LIBDILL_INTERNAL_H_
