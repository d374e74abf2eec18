// The bare gRPC baseline: an Echo service (bench_echo/v1/echo.proto) on the
// callback API, like socketd's, answering each request's bytes. It runs as a
// child process of the benchmark (the bench binary with --serve_grpc_echo),
// so that it sits exactly where socketd sits: another process across a
// loopback TCP connection, on the same gRPC build.
#ifndef SOCKETSVC_BENCH_GRPC_ECHO_H_
#define SOCKETSVC_BENCH_GRPC_ECHO_H_

namespace socketsvc::bench {

// The child's main: listens on 127.0.0.1:0, prints "port N" on stdout, and
// serves until SIGTERM or SIGINT. Returns the exit status.
int ServeGrpcEcho();

}  // namespace socketsvc::bench

#endif  // SOCKETSVC_BENCH_GRPC_ECHO_H_
