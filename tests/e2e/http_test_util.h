// Helpers for end-to-end tests of socketd's HTTP servers: a raw HTTP/1.1
// client on a plain socket (for what curl will not send: malformed,
// pipelined, half-sent requests), a pool of caller threads that take
// requests with ServerReceive and answer them with ServerSend, and a
// fixture with a gRPC client that takes large messages.
#ifndef SOCKETSVC_TESTS_E2E_HTTP_TEST_UTIL_H_
#define SOCKETSVC_TESTS_E2E_HTTP_TEST_UTIL_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "tests/e2e/e2e_fixture.h"

namespace socketsvc::e2e {

// One response as a client read it.
struct RawResponse {
  std::string status_line;                          // "HTTP/1.1 200 OK"
  std::multimap<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string raw;  // every byte of it
  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? "" : it->second;
  }
};

// A blocking client socket to 127.0.0.1:port. Reads wait at most 10 s.
class RawHttpClient {
 public:
  explicit RawHttpClient(uint16_t port);
  ~RawHttpClient();
  RawHttpClient(const RawHttpClient&) = delete;
  RawHttpClient& operator=(const RawHttpClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  uint16_t local_port() const;
  bool Write(const std::string& data);
  // Reads until `needle` is buffered (returned and consumed up to its end).
  std::optional<std::string> ReadUntil(const std::string& needle);
  // One response with a Content-Length (204/304: no body; neither: up to
  // EOF, as for "Connection: close" answers).
  std::optional<RawResponse> ReadResponse();
  // True if the server closed (EOF or reset) within `timeout`, with no
  // bytes before.
  bool WaitClosed(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // shutdown(SHUT_WR), close() or an RST close.
  void ShutdownWrite();
  void Close();
  void Reset();

 private:
  bool Fill(std::chrono::milliseconds timeout);

  int fd_ = -1;
  std::string buffer_;
  bool eof_ = false;
};

// Sends `request` on a fresh connection and reads one response.
std::optional<RawResponse> OneShot(uint16_t port, const std::string& request);

// Caller threads that loop ServerReceive → handler → ServerSend until
// stopped. Counts deliveries and answers; the handler fills the answer.
class ReceiveLoop {
 public:
  using Handler =
      std::function<void(const v1::ServerReceiveResponse&, v1::ServerSendRequest&)>;
  // Echo: 200, the request's body, X-Path: path, X-Method: method.
  static void Echo(const v1::ServerReceiveResponse& request,
                   v1::ServerSendRequest& answer);

  ReceiveLoop(Client client, std::string server_id, int threads, Handler handler = Echo);
  ~ReceiveLoop();  // Stop().
  void Stop();

  int64_t delivered() const { return delivered_.load(); }
  int64_t answered() const { return answered_.load(); }
  int64_t answer_failures() const { return answer_failures_.load(); }
  int64_t receive_errors() const { return receive_errors_.load(); }
  // Every request delivered, in delivery order (copies without bodies).
  std::vector<v1::ServerReceiveResponse> requests() const;
  std::vector<absl::Status> failures() const;

 private:
  void Run();

  const Client client_;
  const std::string server_id_;
  const Handler handler_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> delivered_{0};
  std::atomic<int64_t> answered_{0};
  std::atomic<int64_t> answer_failures_{0};
  std::atomic<int64_t> receive_errors_{0};
  mutable absl::Mutex mu_;
  std::vector<v1::ServerReceiveResponse> requests_ ABSL_GUARDED_BY(mu_);
  std::vector<absl::Status> failures_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> threads_;
};

// socketd in-process and a client (Client::Create takes messages of any
// size, as request bodies of several MiB need).
class HttpServerTest : public SocketdTest {
 protected:
  void SetUp() override;
  void TearDown() override;

  // ServerCreate on 127.0.0.1:0 with `request`'s other fields.
  std::string CreateServer(v1::ServerCreateRequest request = {});
  uint16_t PortOf(const std::string& server_id);
  v1::ServerInfo ServerInfo(const std::string& server_id);
  // Waits until `pred(ServerInfo)` holds (10 s).
  bool WaitForInfo(const std::string& server_id,
                   const std::function<bool(const v1::ServerInfo&)>& pred);
  // The next request, or nullopt (test failure recorded) if none came.
  std::optional<v1::ServerReceiveResponse> Take(const std::string& server_id,
                                                int64_t timeout_ms = 10000);
  absl::StatusOr<v1::ServerSendResponse> Answer(const std::string& handle,
                                                uint32_t status, std::string body,
                                                bool close = false);

  std::unique_ptr<Client> http_;
  std::map<std::string, uint16_t> ports_;
};

}  // namespace socketsvc::e2e

#endif  // SOCKETSVC_TESTS_E2E_HTTP_TEST_UTIL_H_
