// A listening TCP socket (Listen) and its queue of Accept calls.
//
// Accept never takes a connection off the kernel's backlog until a caller is
// there to receive it: the listener waits for readability and then accepts
// without blocking, so a cancelled or timed-out Accept loses no connection.
// Accept calls are served in arrival order. Thread-safe: public methods post
// to the listener's strand; completions run there.
#ifndef SOCKETSVC_SERVICE_SESSIONS_LISTENER_H_
#define SOCKETSVC_SERVICE_SESSIONS_LISTENER_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "service/sessions/pending_call.h"
#include "service/sessions/poll_watch.h"
#include "socketsvc/v1/sockets.pb.h"

namespace socketsvc {

struct AcceptResult {
  boost::asio::ip::tcp::socket socket;
  boost::asio::ip::tcp::endpoint peer;
};

class AcceptCall : public CompletingCall<AcceptResult> {
 public:
  using CompletingCall::CompletingCall;
};

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  // Binds and listens. `backlog` 0 means 128. ADDRESS_IN_USE, EACCES... as
  // errno statuses.
  static absl::StatusOr<std::shared_ptr<Listener>> Create(
      boost::asio::any_io_executor executor, std::string handle, std::string owner,
      const boost::asio::ip::tcp::endpoint& bind, uint32_t backlog,
      size_t max_queued_accepts);

  const std::string& handle() const { return handle_; }
  const std::string& owner() const { return owner_; }
  const boost::asio::ip::tcp::endpoint& local() const { return local_; }

  // Runs once on the strand when Close or Shutdown released the listener.
  void SetReleaseHook(absl::AnyInvocable<void()> hook);

  void StartAccept(std::shared_ptr<AcceptCall> call);
  void Cancel(std::shared_ptr<PendingCall> call);
  // Stops listening; pending Accepts fail ABORTED/NOT_CONNECTED.
  void Close(absl::AnyInvocable<void()> done);
  void GetInfo(absl::AnyInvocable<void(absl::StatusOr<v1::SocketInfo>)> done);
  // Stops listening because socketd stops; pending Accepts fail UNAVAILABLE.
  void Shutdown();
  // Poll: reports POLL_EVENT_ACCEPTABLE while a connection waits in the
  // backlog (seen with poll(2), nothing is accepted), INVALID once released;
  // with `watch` the waiter is woken at the release.
  void CheckPoll(std::shared_ptr<PollWaiter> waiter, size_t target, bool watch);

  // Use Create.
  Listener(boost::asio::any_io_executor executor, std::string handle,
           std::string owner, size_t max_queued_accepts);

 private:
  // Strand only.
  void Pump();
  void WaitAcceptable();
  void OnDeadline(const std::shared_ptr<AcceptCall>& call);
  void Release(const absl::Status& pending_status);

  const std::string handle_;
  const std::string owner_;
  const size_t max_queued_accepts_;
  const absl::Time created_;
  // Accepted sockets get the plain executor: their Sessions make own strands.
  boost::asio::any_io_executor io_executor_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::ip::tcp::endpoint local_;
  // Strand only.
  std::deque<std::shared_ptr<AcceptCall>> accepts_;
  bool wait_armed_ = false;
  bool released_ = false;
  uint64_t accepted_ = 0;
  absl::AnyInvocable<void()> release_hook_;
  PollWatchers poll_watchers_;
};

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_SESSIONS_LISTENER_H_
