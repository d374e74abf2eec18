// Tibbo BASIC's `sock` object over socketd.
//
// A Tibbo program drives a TCP connection through properties and methods
// that return nothing, and learns what happened from sock.state /
// sock.statesimple and the on_sock_event handler. This facade keeps that
// shape (names, numeric state values, half-second units):
//
//   Tibbo BASIC:                    C++:
//   sock.targetip = "10.0.0.5"      sock.targetip = "10.0.0.5";
//   sock.targetport = 1000          sock.targetport = 1000;
//   sock.connectiontout = 20        sock.connectiontout = 20;   // 10 s
//   sock.connect                    sock.connect();
//   sub on_sock_event(newstate as pl_sock_state, newstatesimple as pl_sock_state_simple)
//                                   sock.on_sock_event = [&](pl_sock_state newstate,
//                                       pl_sock_state_simple newstatesimple) {...};
//   doevents                        sock.doevents();
//   sock.setdata("hi") : sock.send  sock.setdata("hi"); sock.send();
//   s = sock.getdata(255)           s = sock.getdata(255);
//   sock.close / reset / discard    sock.close(); sock.reset(); sock.discard();
//
// One Sock object is one Tibbo socket (Tibbo selects one of its sockets with
// sock.num; here each socket is its own object). Connections are outgoing
// (sock.connect); incoming connections (localportlist/inconmode) are not
// offered.
//
// Asynchronous, as in Tibbo: methods only start work and return at once. A
// worker thread per Sock (Tibbo's "master process") runs the socketd RPCs,
// moves data between socketd and the RX/TX buffers, notices the peer's FIN
// or RST, and enforces connectiontout. State changes are queued as events;
// on_sock_event runs for them on the thread that calls doevents() (or
// WaitForEvent), never on the worker, so a program's handler runs on its
// own thread as on Tibbo's single-threaded VM. As in Tibbo, a new connection
// does not start until the events queued before connect() were delivered
// (while on_sock_event is set).
//
// Thread-safety: every member may be used from any thread; the properties
// and methods are meant for the program's one thread, as on Tibbo.
// docs/legacy.md ("Tibbo") maps each member to RPCs and lists differences.
#ifndef SOCKETSVC_CLIENT_LEGACY_TIBBO_H_
#define SOCKETSVC_CLIENT_LEGACY_TIBBO_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "client/legacy/tibbo_property.h"

namespace socketsvc::tibbo {

// sock.state: values of Tibbo's pl_sock_state (TiOS numbering).
enum pl_sock_state : uint8_t {
  PL_SST_CLOSED = 0,                // never opened
  PL_SST_CL_PCLOSED = 1,            // passive close (the peer's FIN)
  PL_SST_CL_ACLOSED = 2,            // active close (sock.close)
  PL_SST_CL_PRESET_POPENING = 3,    // peer's RST during passive open
  PL_SST_CL_PRESET_AOPENING = 4,    // peer's RST during active open (refused)
  PL_SST_CL_PRESET_EST = 5,         // peer's RST while established
  PL_SST_CL_PRESET_PCLOSING = 6,    // peer's RST during passive close
  PL_SST_CL_PRESET_ACLOSING = 7,    // peer's RST during active close
  PL_SST_CL_PRESET_STRANGE = 8,     // peer's RST, no further details
  PL_SST_CL_ARESET_CMD = 9,         // sock.reset (or close while opening)
  PL_SST_CL_ARESET_RE_PO = 10,      // excessive retransmissions, passive open
  PL_SST_CL_ARESET_RE_AO = 11,      // ... active open (connect timed out)
  PL_SST_CL_ARESET_RE_EST = 12,     // ... established
  PL_SST_CL_ARESET_RE_PC = 13,      // ... passive close
  PL_SST_CL_ARESET_RE_AC = 14,      // ... active close
  PL_SST_CL_ARESET_TOUT = 15,       // reset: connectiontout passed
  PL_SST_CL_ARESET_DERR = 16,       // reset: data exchange error
  PL_SST_CL_DISCARDED_CMD = 17,     // sock.discard
  PL_SST_CL_DISCARDED_PO_WCS = 18,  // discarded: wrong sequence, passive open
  PL_SST_CL_DISCARDED_AO_WCS = 19,  // discarded: active open failed otherwise
  PL_SST_CL_DISCARDED_ARPFL = 20,   // discarded: destination unreachable
  PL_SST_CL_DISCARDED_TOUT = 21,    // discarded: timeout (UDP)
  PL_SST_ARP = 0x20,                // resolving the destination
  PL_SST_PO = 0x40,                 // passive open in progress
  PL_SST_AO = 0x60,                 // active open in progress (sock.connect)
  PL_SST_EST = 0x80,                // established
  PL_SST_EST_POPENED = 0x80,        // established by a passive open
  PL_SST_EST_AOPENED = 0x81,        // established by an active open
  PL_SST_PC = 0xA0,                 // passive close in progress
  PL_SST_AC = 0xC0,                 // active close in progress
};

// sock.statesimple: values of Tibbo's pl_sock_state_simple.
enum pl_sock_state_simple : uint8_t {
  PL_SSTS_CLOSED = 0,
  PL_SSTS_ARP = 1,
  PL_SSTS_PO = 2,
  PL_SSTS_AO = 3,
  PL_SSTS_EST = 4,
  PL_SSTS_PC = 5,
  PL_SSTS_AC = 6,
};

enum no_yes : uint8_t { NO = 0, YES = 1 };

// The simple state a detailed state belongs to.
pl_sock_state_simple SimpleState(pl_sock_state state);

using SockEventHandler =
    std::function<void(pl_sock_state newstate, pl_sock_state_simple newstatesimple)>;

class Sock {
 public:
  struct Options {
    // RX and TX buffer sizes (Tibbo: sock.rxbuffrq / txbuffrq pages).
    size_t rx_buffer_bytes = 64 * 1024;
    size_t tx_buffer_bytes = 64 * 1024;
    // How long sock.connect's active open may take before it fails with
    // PL_SST_CL_ARESET_RE_AO (Tibbo: its retransmission limit).
    int64_t connect_timeout_ms = 30000;
    // Who enforces connectiontout: socketd (SetOptions idle_timeout_ms) or
    // this facade (GetInfo idle_ms, then Close ABORT). kAuto: socketd, or
    // the facade if socketd does not implement SetOptions.
    enum class IdleTimeout { kAuto, kSocketd, kClient };
    IdleTimeout idle_timeout = IdleTimeout::kAuto;
  };

  explicit Sock(Client client);
  Sock(Client client, Options options);
  Sock(const Sock&) = delete;
  Sock& operator=(const Sock&) = delete;
  // Resets (RST) a connection still open and stops the worker.
  ~Sock();

  // --- Properties (assign and read like Tibbo's) ---------------------------
  Property<Sock, std::string> targetip{this, &Sock::get_targetip, &Sock::set_targetip};
  Property<Sock, uint16_t> targetport{this, &Sock::get_targetport, &Sock::set_targetport};
  // Half-seconds without data either way before the connection is reset
  // (PL_SST_CL_ARESET_TOUT); 0: never. Applies at once, also mid-connection.
  Property<Sock, uint16_t> connectiontout{this, &Sock::get_connectiontout,
                                          &Sock::set_connectiontout};
  // HTTP mode (sticky for the connection): the program's reply is sent with
  // setdata/send; once a whole HTTP response went out the socket closes it
  // gracefully unless httpnoclose = YES. close/reset/discard are ignored.
  Property<Sock, no_yes> httpmode{this, &Sock::get_httpmode, &Sock::set_httpmode};
  Property<Sock, no_yes> httpnoclose{this, &Sock::get_httpnoclose, &Sock::set_httpnoclose};
  Property<Sock, SockEventHandler> on_sock_event{this, &Sock::get_on_sock_event,
                                                 &Sock::set_on_sock_event};

  ReadOnly<Sock, pl_sock_state> state{this, &Sock::get_state};
  ReadOnly<Sock, pl_sock_state_simple> statesimple{this, &Sock::get_statesimple};
  // Half-seconds since data last moved (GetInfo.idle_ms / 500), at most
  // connectiontout (or 1 when connectiontout is 0); after a timeout it stays
  // at connectiontout.
  ReadOnly<Sock, uint16_t> toutcounter{this, &Sock::get_toutcounter};
  ReadOnly<Sock, uint32_t> rxlen{this, &Sock::get_rxlen};        // unread RX bytes
  ReadOnly<Sock, uint32_t> txlen{this, &Sock::get_txlen};        // committed, unsent
  ReadOnly<Sock, uint32_t> newtxlen{this, &Sock::get_newtxlen};  // set, not committed
  ReadOnly<Sock, uint32_t> txfree{this, &Sock::get_txfree};
  ReadOnly<Sock, std::string> remoteip{this, &Sock::get_remoteip};
  ReadOnly<Sock, uint16_t> remoteport{this, &Sock::get_remoteport};

  // --- Methods -------------------------------------------------------------

  // Active open to targetip:targetport (Connect). Only in a closed state.
  void connect();
  // Established: graceful close (committed TX first, then Close PARTIAL,
  // wait for the peer's FIN, release → PL_SST_CL_ACLOSED). Opening or
  // closing: as reset(). Closed: nothing.
  void close();
  // Close ABORT (RST) → PL_SST_CL_ARESET_CMD. Closed: nothing.
  void reset();
  // Close DISCARD → PL_SST_CL_DISCARDED_CMD. Closed: nothing.
  void discard();
  // Adds to the TX buffer, uncommitted (what does not fit is dropped).
  void setdata(const std::string& txdata);
  // Commits what setdata added; the worker sends it.
  void send();
  // Takes (getdata) or copies (peekdata) up to `maxinplen` RX bytes.
  std::string getdata(uint32_t maxinplen);
  std::string peekdata(uint32_t maxinplen);
  void rxclear();
  void txclear();

  // Runs on_sock_event, on this thread, for every queued event (Tibbo's
  // doevents, in which the VM delivers events).
  void doevents();
  // Waits up to `timeout` for an event, then doevents(). False if none came.
  bool WaitForEvent(absl::Duration timeout);

 private:
  struct Event {
    pl_sock_state state;
    uint64_t seq;
  };
  enum class Command { kNone, kClose, kReset, kDiscard, kStop };
  enum class Rpc { kNone, kConnect, kReceive };

  // Property accessors (tibbo.cc).
  std::string get_targetip() const;
  void set_targetip(std::string value);
  uint16_t get_targetport() const;
  void set_targetport(uint16_t value);
  uint16_t get_connectiontout() const;
  void set_connectiontout(uint16_t value);
  no_yes get_httpmode() const;
  void set_httpmode(no_yes value);
  no_yes get_httpnoclose() const;
  void set_httpnoclose(no_yes value);
  SockEventHandler get_on_sock_event() const;
  void set_on_sock_event(SockEventHandler handler);
  pl_sock_state get_state() const;
  pl_sock_state_simple get_statesimple() const;
  uint16_t get_toutcounter() const;
  uint32_t get_rxlen() const;
  uint32_t get_txlen() const;
  uint32_t get_newtxlen() const;
  uint32_t get_txfree() const;
  std::string get_remoteip() const;
  uint16_t get_remoteport() const;

  void SetStateLocked(pl_sock_state state) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CommandLocked(Command command) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool ConnectedLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Worker thread (tibbo_worker.cc).
  void WorkerMain();
  void RunConnection();
  void Converse(const std::string& handle);
  bool SendPending(const std::string& handle);
  bool IdleTimedOut(const std::string& handle, uint16_t tout);
  void Finish(const std::string& handle, v1::CloseMode mode, pl_sock_state state);
  void ApplyIdleTimeout(const std::string& handle);
  bool HttpReplyDoneLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Client client_;
  const Options options_;
  mutable absl::Mutex mu_;
  std::string targetip_ ABSL_GUARDED_BY(mu_) = "0.0.0.0";
  uint16_t targetport_ ABSL_GUARDED_BY(mu_) = 0;
  uint16_t connectiontout_ ABSL_GUARDED_BY(mu_) = 0;
  no_yes httpmode_ ABSL_GUARDED_BY(mu_) = NO;
  no_yes httpnoclose_ ABSL_GUARDED_BY(mu_) = NO;
  SockEventHandler handler_ ABSL_GUARDED_BY(mu_);
  pl_sock_state state_ ABSL_GUARDED_BY(mu_) = PL_SST_CLOSED;
  mutable uint16_t toutcounter_ ABSL_GUARDED_BY(mu_) = 0;
  std::string rx_ ABSL_GUARDED_BY(mu_);
  std::string tx_ ABSL_GUARDED_BY(mu_);        // Committed, not yet sent.
  std::string newtx_ ABSL_GUARDED_BY(mu_);     // setdata, not yet committed.
  std::string http_out_ ABSL_GUARDED_BY(mu_);  // HTTP mode: reply sent so far.
  std::string handle_ ABSL_GUARDED_BY(mu_);    // socketd handle while connected.
  std::string remoteip_ ABSL_GUARDED_BY(mu_);
  uint16_t remoteport_ ABSL_GUARDED_BY(mu_) = 0;
  bool connect_requested_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t connect_gate_ ABSL_GUARDED_BY(mu_) = 0;  // Events to deliver first.
  Command command_ ABSL_GUARDED_BY(mu_) = Command::kNone;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool idle_by_socketd_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time last_activity_ ABSL_GUARDED_BY(mu_);
  // The RPC the worker is in, and how to cancel it to wake the worker.
  Rpc rpc_ ABSL_GUARDED_BY(mu_) = Rpc::kNone;
  std::shared_ptr<CancelToken> rpc_cancel_ ABSL_GUARDED_BY(mu_);
  std::deque<Event> events_ ABSL_GUARDED_BY(mu_);
  uint64_t next_event_seq_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t delivered_seq_ ABSL_GUARDED_BY(mu_) = 0;  // Events handled so far.
  std::thread worker_;  // Last member: starts after everything above exists.
};

}  // namespace socketsvc::tibbo

#endif  // SOCKETSVC_CLIENT_LEGACY_TIBBO_H_
