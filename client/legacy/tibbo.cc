// Tibbo sock object: properties, methods and event delivery. The worker
// thread that talks to socketd is in tibbo_worker.cc.
#include "client/legacy/tibbo.h"

#include <algorithm>
#include <utility>

namespace socketsvc::tibbo {

pl_sock_state_simple SimpleState(pl_sock_state state) {
  switch (state & 0xE0) {
    case PL_SST_ARP:
      return PL_SSTS_ARP;
    case PL_SST_PO:
      return PL_SSTS_PO;
    case PL_SST_AO:
      return PL_SSTS_AO;
    case PL_SST_EST:
      return PL_SSTS_EST;
    case PL_SST_PC:
      return PL_SSTS_PC;
    case PL_SST_AC:
      return PL_SSTS_AC;
    default:
      return PL_SSTS_CLOSED;
  }
}

Sock::Sock(Client client) : Sock(std::move(client), Options()) {}

Sock::Sock(Client client, Options options)
    : client_(std::move(client)), options_(options), worker_([this] { WorkerMain(); }) {}

Sock::~Sock() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    CommandLocked(Command::kStop);
  }
  worker_.join();
}

// --- Properties -----------------------------------------------------------------

std::string Sock::get_targetip() const {
  absl::MutexLock lock(&mu_);
  return targetip_;
}
void Sock::set_targetip(std::string value) {
  absl::MutexLock lock(&mu_);
  targetip_ = std::move(value);
}
uint16_t Sock::get_targetport() const {
  absl::MutexLock lock(&mu_);
  return targetport_;
}
void Sock::set_targetport(uint16_t value) {
  absl::MutexLock lock(&mu_);
  targetport_ = value;
}
uint16_t Sock::get_connectiontout() const {
  absl::MutexLock lock(&mu_);
  return connectiontout_;
}

// connectiontout → SetOptions{idle_timeout_ms = value × 500} while
// connected (socketd enforces it), or the worker's own deadline.
void Sock::set_connectiontout(uint16_t value) {
  std::string handle;
  {
    absl::MutexLock lock(&mu_);
    connectiontout_ = value;
    if (!ConnectedLocked()) return;
    if (!idle_by_socketd_) {
      if (rpc_ == Rpc::kReceive && rpc_cancel_) rpc_cancel_->Cancel();  // Re-arm.
      return;
    }
    handle = handle_;
  }
  v1::SocketOptions socket_options;
  socket_options.set_idle_timeout_ms(int64_t{value} * 500);
  client_.SetOptions(handle, socket_options).IgnoreError();  // Gone: nothing to set.
}

no_yes Sock::get_httpmode() const {
  absl::MutexLock lock(&mu_);
  return httpmode_;
}
void Sock::set_httpmode(no_yes value) {
  absl::MutexLock lock(&mu_);
  // Sticky: once YES it stays for the connection; only while connected.
  if (value == YES && SimpleState(state_) == PL_SSTS_EST) httpmode_ = YES;
}
no_yes Sock::get_httpnoclose() const {
  absl::MutexLock lock(&mu_);
  return httpnoclose_;
}
void Sock::set_httpnoclose(no_yes value) {
  absl::MutexLock lock(&mu_);
  httpnoclose_ = value;
}
SockEventHandler Sock::get_on_sock_event() const {
  absl::MutexLock lock(&mu_);
  return handler_;
}
void Sock::set_on_sock_event(SockEventHandler handler) {
  absl::MutexLock lock(&mu_);
  handler_ = std::move(handler);
}
pl_sock_state Sock::get_state() const {
  absl::MutexLock lock(&mu_);
  return state_;
}
pl_sock_state_simple Sock::get_statesimple() const { return SimpleState(get_state()); }

// toutcounter → GetInfo.idle_ms / 500, capped as Tibbo caps it.
uint16_t Sock::get_toutcounter() const {
  std::string handle;
  uint16_t cap = 1;
  {
    absl::MutexLock lock(&mu_);
    if (!ConnectedLocked()) return toutcounter_;
    handle = handle_;
    cap = connectiontout_ == 0 ? 1 : connectiontout_;
  }
  absl::StatusOr<v1::SocketInfo> info = client_.GetInfo(handle);
  absl::MutexLock lock(&mu_);
  if (info.ok() && handle == handle_) {
    toutcounter_ = static_cast<uint16_t>(std::min<int64_t>(info->idle_ms() / 500, cap));
  }
  return toutcounter_;
}

uint32_t Sock::get_rxlen() const {
  absl::MutexLock lock(&mu_);
  return static_cast<uint32_t>(rx_.size());
}
uint32_t Sock::get_txlen() const {
  absl::MutexLock lock(&mu_);
  return static_cast<uint32_t>(tx_.size());
}
uint32_t Sock::get_newtxlen() const {
  absl::MutexLock lock(&mu_);
  return static_cast<uint32_t>(newtx_.size());
}
uint32_t Sock::get_txfree() const {
  absl::MutexLock lock(&mu_);
  return static_cast<uint32_t>(options_.tx_buffer_bytes - tx_.size() - newtx_.size());
}
std::string Sock::get_remoteip() const {
  absl::MutexLock lock(&mu_);
  return remoteip_;
}
uint16_t Sock::get_remoteport() const {
  absl::MutexLock lock(&mu_);
  return remoteport_;
}

// --- Methods -----------------------------------------------------------------------

bool Sock::ConnectedLocked() const { return !handle_.empty(); }

void Sock::SetStateLocked(pl_sock_state state) {
  state_ = state;
  // Without a handler there is nobody to deliver to, and nothing to wait for.
  if (handler_) events_.push_back({state, next_event_seq_++});
}

void Sock::CommandLocked(Command command) {
  command_ = command;
  // Wake the worker: a pending Receive, or (for these commands) a Connect.
  if (rpc_cancel_ != nullptr) rpc_cancel_->Cancel();
}

void Sock::connect() {
  absl::MutexLock lock(&mu_);
  if (SimpleState(state_) != PL_SSTS_CLOSED || connect_requested_ || stopping_) return;
  connect_gate_ = next_event_seq_;  // Events before this one go first.
  connect_requested_ = true;
  rx_.clear();
  tx_.clear();
  newtx_.clear();
  http_out_.clear();
  httpmode_ = NO;
  toutcounter_ = 0;
  SetStateLocked(PL_SST_AO);
}

void Sock::close() {
  absl::MutexLock lock(&mu_);
  const pl_sock_state_simple simple = SimpleState(state_);
  if (simple == PL_SSTS_CLOSED || httpmode_ == YES) return;
  // Graceful only when established; opening or closing: reset.
  CommandLocked(simple == PL_SSTS_EST ? Command::kClose : Command::kReset);
}

void Sock::reset() {
  absl::MutexLock lock(&mu_);
  if (SimpleState(state_) == PL_SSTS_CLOSED || httpmode_ == YES) return;
  CommandLocked(Command::kReset);
}

void Sock::discard() {
  absl::MutexLock lock(&mu_);
  if (SimpleState(state_) == PL_SSTS_CLOSED || httpmode_ == YES) return;
  CommandLocked(Command::kDiscard);
}

void Sock::setdata(const std::string& txdata) {
  absl::MutexLock lock(&mu_);
  const size_t free = options_.tx_buffer_bytes - tx_.size() - newtx_.size();
  newtx_.append(txdata, 0, std::min(free, txdata.size()));
}

void Sock::send() {
  absl::MutexLock lock(&mu_);
  tx_ += newtx_;
  newtx_.clear();
  if (rpc_ == Rpc::kReceive && rpc_cancel_ != nullptr) rpc_cancel_->Cancel();
}

std::string Sock::getdata(uint32_t maxinplen) {
  absl::MutexLock lock(&mu_);
  std::string data = rx_.substr(0, maxinplen);
  rx_.erase(0, data.size());
  return data;  // The worker waits on the RX space this frees.
}

std::string Sock::peekdata(uint32_t maxinplen) {
  absl::MutexLock lock(&mu_);
  return rx_.substr(0, maxinplen);
}

void Sock::rxclear() {
  absl::MutexLock lock(&mu_);
  rx_.clear();
}

void Sock::txclear() {
  absl::MutexLock lock(&mu_);
  tx_.clear();
  newtx_.clear();
}

// --- Events ------------------------------------------------------------------------

void Sock::doevents() {
  for (;;) {
    SockEventHandler handler;
    Event event;
    {
      absl::MutexLock lock(&mu_);
      if (events_.empty()) return;
      event = events_.front();
      events_.pop_front();
      handler = handler_;
    }
    if (handler) handler(event.state, SimpleState(event.state));
    absl::MutexLock lock(&mu_);
    delivered_seq_ = std::max(delivered_seq_, event.seq + 1);
  }
}

bool Sock::WaitForEvent(absl::Duration timeout) {
  {
    absl::MutexLock lock(&mu_);
    auto has_event = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !events_.empty(); };
    if (!mu_.AwaitWithTimeout(absl::Condition(&has_event), timeout)) return false;
  }
  doevents();
  return true;
}

}  // namespace socketsvc::tibbo
