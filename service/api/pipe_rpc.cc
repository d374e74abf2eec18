// Pipe: one socket streamed both ways over one bidi RPC (pipe_reactor.h).
#include <algorithm>
#include <cstdint>

#include "service/api/pipe_reactor.h"
#include "service/api/principal.h"
#include "service/api/socket_service.h"

namespace socketsvc {

grpc::ServerBidiReactor<v1::PipeRequest, v1::PipeResponse>* SocketServiceImpl::Pipe(
    grpc::CallbackServerContext* context) {
  PipeLimits limits;
  // sockets.proto: max_chunk_bytes 0 means 64 KiB (not --default_receive_bytes).
  limits.default_chunk_bytes = std::min<uint32_t>(64 * 1024, options_.max_receive_bytes);
  limits.max_chunk_bytes = options_.max_receive_bytes;
  limits.max_data_bytes = options_.max_send_bytes;
  return new PipeReactor(context, table_, PrincipalOf(*context), limits);
}

}  // namespace socketsvc
