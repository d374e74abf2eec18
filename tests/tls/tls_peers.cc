#include "tests/tls/tls_peers.h"

#include <openssl/ssl.h>

#include <cctype>
#include <functional>
#include <string_view>
#include <utility>

#include "tests/tls/tls_stream.h"

namespace socketsvc::tls {
namespace {

using peers::PeerConnection;

struct SslCtxDeleter {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};

// Called during the handshake, in the connection's thread; the SSL's app
// data is that connection's TlsRecording.
int OnServerName(SSL* ssl, int* /*alert*/, void* /*arg*/) {
  auto* recording = static_cast<TlsRecording*>(SSL_get_app_data(ssl));
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (recording != nullptr && name != nullptr) recording->sni = name;
  return SSL_TLSEXT_ERR_OK;
}

int OnAlpn(SSL* ssl, const unsigned char** out, unsigned char* out_len,
           const unsigned char* in, unsigned int in_len, void* arg) {
  auto* recording = static_cast<TlsRecording*>(SSL_get_app_data(ssl));
  const auto* preferences = static_cast<const std::vector<std::string>*>(arg);
  // `in` is the wire format: length-prefixed protocol names.
  std::vector<std::pair<const unsigned char*, unsigned char>> offered;
  for (unsigned int i = 0; i < in_len && i + 1 + in[i] <= in_len;
       i += 1 + in[i]) {
    offered.emplace_back(in + i + 1, in[i]);
    if (recording != nullptr) {
      recording->alpn_offered.emplace_back(
          reinterpret_cast<const char*>(in + i + 1), in[i]);
    }
  }
  for (const std::string& wanted : *preferences) {
    for (const auto& [name, len] : offered) {
      if (wanted ==
          std::string_view(reinterpret_cast<const char*>(name), len)) {
        *out = name;  // Must point into `in`, which outlives the callback.
        *out_len = len;
        return SSL_TLSEXT_ERR_OK;
      }
    }
  }
  return SSL_TLSEXT_ERR_NOACK;
}

}  // namespace

struct TlsPeer::State {
  TlsServerOptions options;
  std::unique_ptr<SSL_CTX, SslCtxDeleter> ctx;
  peers::Guarded<std::vector<TlsRecording>> recordings;
};

namespace {

// A connection's recording, owned by its handler thread, published (copied)
// to the peer's State whenever a test might want to see the change. The
// received bytes are appended to the State directly instead, so that a bulk
// transfer does not copy everything received so far for every chunk.
class Recorder {
 public:
  Recorder(TlsPeer::State& state, int index) : state_(state), index_(index) {}
  TlsRecording& rec() { return rec_; }  // Everything but `received`.
  void Publish() {
    Update([this](TlsRecording& shared) {
      std::string received = std::move(shared.received);
      shared = rec_;
      shared.received = std::move(received);
    });
  }
  void AppendReceived(std::string_view data) {
    Update([data](TlsRecording& shared) { shared.received.append(data); });
  }
  void End() {
    rec_.ended = true;
    Publish();
  }

 private:
  template <typename F>
  void Update(F&& f) {
    state_.recordings.Update([&](std::vector<TlsRecording>& all) {
      if (all.size() <= static_cast<size_t>(index_)) all.resize(index_ + 1);
      f(all[index_]);
    });
  }

  TlsPeer::State& state_;
  const int index_;
  TlsRecording rec_;
};

// Serves an established session until it ends: `respond` maps received
// bytes to the reply; the client's close_notify is answered as the options
// say, after which the peer reads until the client's EOF so that closing
// its socket cannot turn into an RST.
void Serve(TlsStream& tls, PeerConnection& conn, Recorder& recorder,
           const TlsServerOptions& options,
           const std::function<std::string(std::string_view)>& respond) {
  using Result = TlsStream::Result;
  for (;;) {
    std::string data;
    const Result result = tls.Read(&data);
    if (result == Result::kOk) {
      recorder.AppendReceived(data);
      // A failed write (the client reset) shows up in the next Read.
      const std::string reply = respond(data);
      if (!reply.empty()) tls.Write(reply);
      continue;
    }
    if (result == Result::kCloseNotify) {
      recorder.rec().close_notify_received = tls.ReceivedCloseNotify();
      recorder.Publish();
      if (!options.farewell.empty()) tls.Write(options.farewell);
      if (options.reply_close_notify) tls.SendCloseNotify();
      conn.ShutdownWrite();
      for (;;) {
        PeerConnection::ReadResult read = conn.Read();
        if (read.stopped) break;
        if (read.data.empty()) {
          recorder.rec().tcp_ending = read.ending;
          break;
        }
      }
    }
    break;  // Otherwise TlsStream recorded how TCP ended (or we stopped).
  }
  recorder.End();
}

}  // namespace

TlsPeer::TlsPeer(std::shared_ptr<State> state, Handler handler)
    : Peer(std::move(handler)), state_(std::move(state)) {}

std::shared_ptr<TlsPeer::State> TlsPeer::MakeState(
    const TlsServerOptions& options) {
  auto state = std::make_shared<State>();
  state->options = options;
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) DieWithOpenSslError("SSL_CTX_new");
  state->ctx.reset(ctx);
  if (SSL_CTX_use_certificate_chain_file(ctx, options.cert_path.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx, options.key_path.c_str(),
                                  SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    DieWithOpenSslError("cannot load " + options.cert_path + " / " +
                        options.key_path);
  }
  if (options.max_version != 0) {
    SSL_CTX_set_max_proto_version(ctx, options.max_version);
  }
  if (!options.session_tickets) SSL_CTX_set_num_tickets(ctx, 0);
  SSL_CTX_set_tlsext_servername_callback(ctx, OnServerName);
  // The options live in the State, which owns (and so outlives) the ctx.
  SSL_CTX_set_alpn_select_cb(ctx, OnAlpn, &state->options.alpn);
  if (!options.ca_path.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, options.ca_path.c_str(), nullptr) !=
        1) {
      DieWithOpenSslError("cannot load " + options.ca_path);
    }
    // Tells the client which CA we trust, so it picks the right cert.
    SSL_CTX_set_client_CA_list(
        ctx, SSL_load_client_CA_file(options.ca_path.c_str()));
    SSL_CTX_set_verify(
        ctx,
        SSL_VERIFY_PEER |
            (options.require_client_cert ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
        nullptr);
  }
  return state;
}

TlsRecording TlsPeer::recording(int conn) const {
  return state_->recordings.Read([conn](const std::vector<TlsRecording>& all) {
    return static_cast<size_t>(conn) < all.size() ? all[conn] : TlsRecording{};
  });
}

std::string TlsPeer::received(int conn) const {
  return recording(conn).received;
}

bool TlsPeer::WaitForHandshake(std::chrono::milliseconds timeout,
                               int conn) const {
  state_->recordings.WaitFor(timeout, [conn](const auto& all) {
    return static_cast<size_t>(conn) < all.size() &&
           (all[conn].handshake_done || all[conn].handshake_failed ||
            all[conn].ended);
  });
  return recording(conn).handshake_done;
}

bool TlsPeer::WaitForReceived(size_t bytes, std::chrono::milliseconds timeout,
                              int conn) const {
  return state_->recordings.WaitFor(timeout, [conn, bytes](const auto& all) {
    return static_cast<size_t>(conn) < all.size() &&
           all[conn].received.size() >= bytes;
  });
}

bool TlsPeer::WaitForEnded(std::chrono::milliseconds timeout, int conn) const {
  return state_->recordings.WaitFor(timeout, [conn](const auto& all) {
    return static_cast<size_t>(conn) < all.size() && all[conn].ended;
  });
}

// ---------------------------------------------------------------------------

TlsEchoPeer::TlsEchoPeer(const TlsServerOptions& options)
    : TlsEchoPeer(MakeState(options)) {}

TlsEchoPeer::TlsEchoPeer(std::shared_ptr<State> state)
    : TlsPeer(state, [state](PeerConnection& conn) {
        Recorder recorder(*state, conn.index());
        TlsStream tls(conn, state->ctx.get(), &recorder.rec());
        const bool ok = tls.Accept();
        recorder.Publish();
        if (!ok) return recorder.End();
        Serve(tls, conn, recorder, state->options,
              [](std::string_view data) { return std::string(data); });
      }) {}

StartTlsPeer::StartTlsPeer(const TlsServerOptions& options)
    : StartTlsPeer(MakeState(options)) {}

StartTlsPeer::StartTlsPeer(std::shared_ptr<State> state)
    : TlsPeer(state, [state](PeerConnection& conn) {
        Recorder recorder(*state, conn.index());
        recorder.Publish();
        if (!conn.SendAll("220 ready\r\n")) return recorder.End();
        std::string buffer;  // Plaintext not yet split into lines.
        for (;;) {
          const size_t eol = buffer.find('\n');
          if (eol == std::string::npos) {
            PeerConnection::ReadResult read = conn.Read();
            if (read.stopped) return recorder.End();
            if (read.data.empty()) {
              recorder.rec().tcp_ending = read.ending;
              return recorder.End();
            }
            buffer += read.data;
            continue;
          }
          const std::string line = buffer.substr(0, eol + 1);
          buffer.erase(0, eol + 1);
          recorder.rec().plaintext_received += line;
          recorder.Publish();
          std::string command = line.substr(0, line.find_first_of("\r\n"));
          for (char& c : command)
            c = std::toupper(static_cast<unsigned char>(c));
          if (command == "STARTTLS") break;
          const std::string verb = command.substr(0, command.find(' '));
          conn.SendAll(verb == "EHLO" || verb == "HELO"
                           ? "250 ok\r\n"
                           : "502 unknown command\r\n");
        }
        if (!conn.SendAll("220 go ahead\r\n")) return recorder.End();
        TlsStream tls(conn, state->ctx.get(), &recorder.rec());
        tls.Feed(buffer);  // A client may send its ClientHello right away.
        const bool ok = tls.Accept();
        recorder.Publish();
        if (!ok) return recorder.End();
        std::string partial;  // Decrypted bytes short of a full line.
        Serve(tls, conn, recorder, state->options,
              [&partial](std::string_view data) {
                partial.append(data);
                std::string reply;
                for (size_t eol;
                     (eol = partial.find('\n')) != std::string::npos;) {
                  reply += "tls:" + partial.substr(0, eol + 1);
                  partial.erase(0, eol + 1);
                }
                return reply;
              });
      }) {}

}  // namespace socketsvc::tls
