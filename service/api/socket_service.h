// gRPC edge of socketd: SocketService over the callback API.
//
// Each handler validates its request, finds the caller's session, starts the
// operation and returns; the operation completes the RPC later from the
// session's strand. No handler blocks and no pending call holds a thread.
// Thread-safe.
#ifndef SOCKETSVC_SERVICE_API_SOCKET_SERVICE_H_
#define SOCKETSVC_SERVICE_API_SOCKET_SERVICE_H_

#include <cstdint>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "absl/functional/any_invocable.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "service/http/http_server_table.h"
#include "service/net/resolver.h"
#include "service/policy/policy_store.h"
#include "service/ops/audit_log.h"
#include "service/sessions/listener_table.h"
#include "service/sessions/poll_quota.h"
#include "service/sessions/session_table.h"
#include "service/tls/tls_client_context.h"
#include "socketsvc/v1/sockets.grpc.pb.h"

namespace socketsvc {

class CallReactor;

struct ServiceOptions {
  // Wait limit of a blocking call that gives no timeout_ms.
  absl::Duration max_wait = absl::Minutes(5);
  // Drain limit of Close(COMPLETE) when it gives no timeout_ms.
  absl::Duration close_drain_timeout = absl::Seconds(10);
  // Receive with max_bytes 0 reads up to this much.
  uint32_t default_receive_bytes = 64 * 1024;
  // Receive never returns more than this. The default leaves room for the
  // response's framing under gRPC's default 4 MiB client receive limit, so
  // clients in every language take the largest answer without settings.
  uint32_t max_receive_bytes = 4 * 1024 * 1024 - 64 * 1024;
  // Send refuses larger data with RESOURCE_EXHAUSTED.
  uint32_t max_send_bytes = 4 * 1024 * 1024;
  // One JSON line on stderr per Connect/Listen/Accept/ServerCreate.
  bool audit_log = true;
};

class SocketServiceImpl final : public v1::SocketService::CallbackService {
 public:
  // `executor` runs socket I/O; the tables, `resolver`, `tls_context` and
  // `policy` must outlive the service.
  SocketServiceImpl(boost::asio::any_io_executor executor, SessionTable& table,
                    ListenerTable& listeners, Resolver& resolver,
                    const TlsClientContext& tls_context, ServiceOptions options,
                    HttpServerTable& http_servers, const PolicyStore& policy);

  grpc::ServerUnaryReactor* Connect(grpc::CallbackServerContext* context,
                                    const v1::ConnectRequest* request,
                                    v1::ConnectResponse* response) override;
  grpc::ServerUnaryReactor* Send(grpc::CallbackServerContext* context,
                                 const v1::SendRequest* request,
                                 v1::SendResponse* response) override;
  grpc::ServerUnaryReactor* Receive(grpc::CallbackServerContext* context,
                                    const v1::ReceiveRequest* request,
                                    v1::ReceiveResponse* response) override;
  grpc::ServerUnaryReactor* Close(grpc::CallbackServerContext* context,
                                  const v1::CloseRequest* request,
                                  v1::CloseResponse* response) override;
  grpc::ServerUnaryReactor* GetInfo(grpc::CallbackServerContext* context,
                                    const v1::GetInfoRequest* request,
                                    v1::SocketInfo* response) override;
  // start_tls_rpc.cc
  grpc::ServerUnaryReactor* StartTls(grpc::CallbackServerContext* context,
                                     const v1::StartTlsRequest* request,
                                     v1::StartTlsResponse* response) override;
  // resolve_rpc.cc
  grpc::ServerUnaryReactor* Resolve(grpc::CallbackServerContext* context,
                                    const v1::ResolveRequest* request,
                                    v1::ResolveResponse* response) override;
  // listen_rpc.cc
  grpc::ServerUnaryReactor* Listen(grpc::CallbackServerContext* context,
                                   const v1::ListenRequest* request,
                                   v1::ListenResponse* response) override;
  grpc::ServerUnaryReactor* Accept(grpc::CallbackServerContext* context,
                                   const v1::AcceptRequest* request,
                                   v1::AcceptResponse* response) override;
  // options_rpc.cc
  grpc::ServerUnaryReactor* SetOptions(grpc::CallbackServerContext* context,
                                       const v1::SetOptionsRequest* request,
                                       v1::SocketOptions* response) override;
  grpc::ServerUnaryReactor* GetOptions(grpc::CallbackServerContext* context,
                                       const v1::GetOptionsRequest* request,
                                       v1::SocketOptions* response) override;
  // pipe_rpc.cc
  grpc::ServerBidiReactor<v1::PipeRequest, v1::PipeResponse>* Pipe(
      grpc::CallbackServerContext* context) override;
  // http_server_rpc.cc
  grpc::ServerUnaryReactor* ServerCreate(grpc::CallbackServerContext* context,
                                         const v1::ServerCreateRequest* request,
                                         v1::ServerCreateResponse* response) override;
  grpc::ServerUnaryReactor* ServerReceive(grpc::CallbackServerContext* context,
                                          const v1::ServerReceiveRequest* request,
                                          v1::ServerReceiveResponse* response) override;
  grpc::ServerUnaryReactor* ServerSend(grpc::CallbackServerContext* context,
                                       const v1::ServerSendRequest* request,
                                       v1::ServerSendResponse* response) override;
  grpc::ServerUnaryReactor* ServerDelete(grpc::CallbackServerContext* context,
                                         const v1::ServerDeleteRequest* request,
                                         v1::ServerDeleteResponse* response) override;
  grpc::ServerUnaryReactor* GetServerInfo(grpc::CallbackServerContext* context,
                                          const v1::GetServerInfoRequest* request,
                                          v1::ServerInfo* response) override;
  // poll_rpc.cc
  grpc::ServerUnaryReactor* Poll(grpc::CallbackServerContext* context,
                                 const v1::PollRequest* request,
                                 v1::PollResponse* response) override;

 private:
  // listen_rpc.cc: Close and GetInfo of a listener handle.
  grpc::ServerUnaryReactor* CloseListener(grpc::CallbackServerContext* context,
                                          const v1::CloseRequest* request,
                                          v1::CloseResponse* response);
  grpc::ServerUnaryReactor* GetListenerInfo(grpc::CallbackServerContext* context,
                                            const v1::GetInfoRequest* request,
                                            v1::SocketInfo* response);

  // options_rpc.cc: writes the audit line of `op` when `reactor` completes;
  // `outcome` (may be null) fills in what a successful call handed out.
  // Call it in the handler, before anything can complete the reactor.
  void Audit(CallReactor* reactor, const grpc::CallbackServerContext& context,
             absl::string_view op, std::string target,
             absl::AnyInvocable<void(AuditEvent&)> outcome);

  boost::asio::any_io_executor executor_;
  SessionTable& table_;
  ListenerTable& listeners_;
  Resolver& resolver_;
  const TlsClientContext& tls_context_;
  const ServiceOptions options_;
  HttpServerTable& http_servers_;
  // Egress and listen policy; each call judges by the snapshot it took.
  const PolicyStore& policy_;
  const AuditLog audit_{options_.audit_log};
  // Pending Polls, each holding an epoll descriptor (poll_rpc.cc).
  PollQuota poll_quota_;
};

}  // namespace socketsvc

#endif  // SOCKETSVC_SERVICE_API_SOCKET_SERVICE_H_
