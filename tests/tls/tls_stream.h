// Internal to //tests/tls:tls_peers: one server-side TLS session over a
// tests/peers PeerConnection, through memory BIOs. OpenSSL never touches the
// socket; every wait is PeerConnection::Read, which also watches the peer's
// stop pipe and tells FIN from RST. Belongs to one connection's thread.
#ifndef SOCKETSVC_TESTS_TLS_TLS_STREAM_H_
#define SOCKETSVC_TESTS_TLS_TLS_STREAM_H_

#include <memory>
#include <string>
#include <string_view>

#include "tests/peers/peers.h"
#include "tests/tls/tls_peers.h"

typedef struct bio_st BIO;
typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace socketsvc::tls {

// Prints `what` and OpenSSL's error queue, then aborts: a peer that cannot
// load its certificate makes every later assertion meaningless, so it fails
// at the cause, as tests/peers does.
[[noreturn]] void DieWithOpenSslError(const std::string& what);

class TlsStream {
 public:
  enum class Result { kOk, kCloseNotify, kEof, kReset, kFailed, kStopped };

  // `recording` (the connection's, outliving the stream) becomes the SSL's
  // app data, where the SNI and ALPN callbacks write; Accept() and the TCP
  // ending fill in the rest.
  TlsStream(peers::PeerConnection& conn, SSL_CTX* ctx, TlsRecording* recording);
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;
  ~TlsStream();

  // Ciphertext that arrived together with the plaintext before TLS began.
  void Feed(std::string_view bytes);
  // The server handshake; true on success. Records the outcome.
  bool Accept();
  // Decrypted bytes (kOk), or how the stream ended.
  Result Read(std::string* out);
  Result Write(std::string_view data);
  // Sends our close_notify. Meant for after the client's was read, so it
  // waits for nothing.
  bool SendCloseNotify();
  bool ReceivedCloseNotify() const;

 private:
  struct SslDeleter {
    void operator()(SSL* ssl) const;
  };

  // Runs `op` until it succeeds, reading from the socket whenever OpenSSL
  // wants more input; everything OpenSSL produced is sent before waiting.
  template <typename Op>
  Result Drive(Op op, int* ret);
  // Moves one chunk from the socket into OpenSSL, or tells it about EOF.
  Result Fill();
  // Sends what OpenSSL wrote; false if the connection broke or stopped.
  bool Flush();

  peers::PeerConnection& conn_;
  TlsRecording* recording_;
  std::unique_ptr<SSL, SslDeleter> ssl_;
  BIO* rbio_ = nullptr;  // Owned by ssl_.
  BIO* wbio_ = nullptr;  // Owned by ssl_.
  bool tcp_eof_ = false;
  std::string error_;  // OpenSSL's last error from Drive.
};

}  // namespace socketsvc::tls

#endif  // SOCKETSVC_TESTS_TLS_TLS_STREAM_H_
