// Resolves a host and connects to it, asynchronously, within one deadline.
//
// Names are resolved by the Resolver's own threads, never on a gRPC or I/O
// thread. Every address is then tried, Happy Eyeballs style (RFC 8305):
// addresses are ordered alternating IPv6 and IPv4, IPv6 first; the first
// attempt starts at once, the next one kStagger later or as soon as the
// previous one failed, and so on; attempts that have started keep running
// side by side. The first connection wins and the others are closed.
//
// Every resolved address is first put to the connector's check (the egress
// policy), before any connect: an address it refuses is never tried, so a
// name cannot resolve its way past the policy. If it refuses every address,
// the connector fails with the first refusal (PERMISSION_DENIED/
// POLICY_DENIED, naming the rule) without opening a socket.
//
// When every address fails, the error reported is the first failure
// (in address order) among those that the remote end caused (refused, reset,
// host unreachable, timed out), else the first failure at all: a refusal
// from 127.0.0.1 tells more than "no IPv6 route" for ::1.
//
// Thread-safe: Start and Cancel may be called from any thread; the
// completion runs once on the connector's strand, at once on timeout or
// cancellation (a lookup or connect still in flight ends later, unheard).
#ifndef SOCKETSVC_SERVICE_NET_CONNECTOR_H_
#define SOCKETSVC_SERVICE_NET_CONNECTOR_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "service/net/resolver.h"

namespace socketsvc {

// Judges one resolved address before it is tried: OK, or why not (the
// egress policy, service/policy/). Called on the connector's strand.
using EndpointCheck =
    std::function<absl::Status(const boost::asio::ip::tcp::endpoint&)>;

class Connector : public std::enable_shared_from_this<Connector> {
 public:
  using Done =
      absl::AnyInvocable<void(absl::StatusOr<boost::asio::ip::tcp::socket>)>;

  // Delay before the next address is tried while earlier attempts still
  // wait (RFC 8305 §5 recommends 250 ms).
  static constexpr absl::Duration kStagger = absl::Milliseconds(250);

  // `service` is a port number or a name from /etc/services ("http").
  // `resolver` must outlive the connector's work (the I/O threads). An empty
  // `check` allows every address.
  static std::shared_ptr<Connector> Create(Resolver& resolver,
                                           boost::asio::any_io_executor executor,
                                           std::string host, std::string service,
                                           Done done, EndpointCheck check = {});

  // Begins the attempt; `deadline` may be absl::InfiniteFuture().
  void Start(absl::Time deadline);

  // Ends the attempt with CANCELLED unless it already finished; works before
  // Start too.
  void Cancel();

  // Use Create.
  Connector(Resolver& resolver, boost::asio::any_io_executor executor,
            std::string host, std::string service, Done done,
            EndpointCheck check = {});

  // Alternates IPv6 and IPv4 addresses, IPv6 first, each family in the
  // resolver's order (RFC 8305 §4).
  static Endpoints Interleave(const Endpoints& endpoints);

 private:
  struct Attempt {
    boost::asio::ip::tcp::endpoint endpoint;
    std::unique_ptr<boost::asio::ip::tcp::socket> socket;
    boost::system::error_code error;  // Set once the attempt failed.
  };

  void Begin(absl::Time deadline);
  void OnResolved(absl::StatusOr<Endpoints> endpoints);
  // Starts the attempt on the next untried address, if any.
  void StartNextAttempt();
  void OnAttemptDone(size_t index, const boost::system::error_code& ec);
  // Gives up (timeout or cancellation) and answers at once.
  void Abandon();
  void CloseAttempts();
  void Finish(absl::StatusOr<boost::asio::ip::tcp::socket> result);
  absl::Status ErrorStatus() const;

  Resolver& resolver_;
  const std::string host_;
  const std::string service_;
  const EndpointCheck check_;
  // Sockets are made on the plain executor: a connected one outlives the
  // connector inside a Session, which makes its own strand.
  const boost::asio::any_io_executor executor_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  boost::asio::steady_timer timer_;    // The deadline.
  boost::asio::steady_timer stagger_;  // The next attempt.
  // Strand only.
  Resolver::LookupId lookup_ = 0;
  Endpoints endpoints_;
  std::vector<Attempt> attempts_;  // Started so far, in address order.
  size_t denied_ = 0;              // Addresses check_ refused.
  absl::Status first_denial_;      // The first refusal, if any.
  size_t stagger_generation_ = 0;
  bool finished_ = false;
  bool timed_out_ = false;
  bool cancelled_ = false;
  Done done_;
};

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_NET_CONNECTOR_H_
