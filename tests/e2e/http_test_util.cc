#include "tests/e2e/http_test_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace socketsvc::e2e {

RawHttpClient::RawHttpClient(uint16_t port) {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd_);
    fd_ = -1;
  }
}

RawHttpClient::~RawHttpClient() { Close(); }

uint16_t RawHttpClient::local_port() const {
  sockaddr_in addr{};
  socklen_t len = sizeof(addr);
  getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  return ntohs(addr.sin_port);
}

bool RawHttpClient::Write(const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

bool RawHttpClient::Fill(std::chrono::milliseconds timeout) {
  if (eof_ || fd_ < 0) return false;
  pollfd p{fd_, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
  char chunk[65536];
  const ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
  if (n <= 0) {
    eof_ = true;
    return false;
  }
  buffer_.append(chunk, static_cast<size_t>(n));
  return true;
}

std::optional<std::string> RawHttpClient::ReadUntil(const std::string& needle) {
  const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    const size_t at = buffer_.find(needle);
    if (at != std::string::npos) {
      std::string out = buffer_.substr(0, at + needle.size());
      buffer_.erase(0, at + needle.size());
      return out;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        limit - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !Fill(left)) return std::nullopt;
  }
}

std::optional<RawResponse> RawHttpClient::ReadResponse() {
  std::optional<std::string> head = ReadUntil("\r\n\r\n");
  if (!head) return std::nullopt;
  RawResponse response;
  response.raw = *head;
  std::vector<std::string> lines =
      absl::StrSplit(head->substr(0, head->size() - 4), "\r\n");
  response.status_line = lines[0];
  for (size_t i = 1; i < lines.size(); ++i) {
    const size_t colon = lines[i].find(':');
    if (colon == std::string::npos) continue;
    response.headers.emplace(
        absl::AsciiStrToLower(lines[i].substr(0, colon)),
        std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1))));
  }
  size_t length = 0;
  const std::string content_length = response.Header("content-length");
  const bool bodiless = absl::StrContains(response.status_line, " 204 ") ||
                        absl::StrContains(response.status_line, " 304 ");
  const bool until_eof = content_length.empty() && !bodiless;
  if (!content_length.empty() && !absl::SimpleAtoi(content_length, &length)) {
    return std::nullopt;
  }
  const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (until_eof ? !eof_ : buffer_.size() < length) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        limit - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    if (!Fill(left) && !eof_) return std::nullopt;
    if (eof_ && !until_eof && buffer_.size() < length) return std::nullopt;
  }
  if (until_eof) length = buffer_.size();
  response.body = buffer_.substr(0, length);
  buffer_.erase(0, length);
  response.raw += response.body;
  return response;
}

bool RawHttpClient::WaitClosed(std::chrono::milliseconds timeout) {
  const auto limit = std::chrono::steady_clock::now() + timeout;
  while (!eof_) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        limit - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    if (!Fill(left) && !eof_) return false;
  }
  return buffer_.empty();
}

void RawHttpClient::ShutdownWrite() { shutdown(fd_, SHUT_WR); }

void RawHttpClient::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

void RawHttpClient::Reset() {
  linger abort{1, 0};
  setsockopt(fd_, SOL_SOCKET, SO_LINGER, &abort, sizeof(abort));
  Close();
}

std::optional<RawResponse> OneShot(uint16_t port, const std::string& request) {
  RawHttpClient client(port);
  if (!client.connected() || !client.Write(request)) return std::nullopt;
  return client.ReadResponse();
}

void ReceiveLoop::Echo(const v1::ServerReceiveResponse& request,
                       v1::ServerSendRequest& answer) {
  answer.set_status(200);
  answer.set_body(request.body());
  v1::HttpHeader* path = answer.add_headers();
  path->set_name("X-Path");
  path->set_value(request.path());
  v1::HttpHeader* method = answer.add_headers();
  method->set_name("X-Method");
  method->set_value(request.method());
}

ReceiveLoop::ReceiveLoop(Client client, std::string server_id, int threads,
                         Handler handler)
    : client_(std::move(client)),
      server_id_(std::move(server_id)),
      handler_(std::move(handler)) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Run(); });
}

ReceiveLoop::~ReceiveLoop() { Stop(); }

void ReceiveLoop::Stop() {
  stop_ = true;
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
}

void ReceiveLoop::Run() {
  while (!stop_) {
    absl::StatusOr<v1::ServerReceiveResponse> request =
        client_.ServerReceive(server_id_, /*timeout_ms=*/200);
    if (!request.ok()) {
      ++receive_errors_;
      absl::MutexLock lock(&mu_);
      failures_.push_back(request.status());
      if (stop_) return;
      continue;
    }
    if (request->timed_out()) continue;
    ++delivered_;
    v1::ServerSendRequest answer;
    answer.set_request_handle(request->request_handle());
    handler_(*request, answer);
    {
      v1::ServerReceiveResponse copy = *request;
      copy.clear_body();
      absl::MutexLock lock(&mu_);
      requests_.push_back(std::move(copy));
    }
    absl::StatusOr<v1::ServerSendResponse> sent = client_.ServerSend(answer);
    if (sent.ok()) {
      ++answered_;
    } else {
      ++answer_failures_;
      absl::MutexLock lock(&mu_);
      failures_.push_back(sent.status());
    }
  }
}

std::vector<v1::ServerReceiveResponse> ReceiveLoop::requests() const {
  absl::MutexLock lock(&mu_);
  return requests_;
}

std::vector<absl::Status> ReceiveLoop::failures() const {
  absl::MutexLock lock(&mu_);
  return failures_;
}

void HttpServerTest::SetUp() {
  SocketdTest::SetUp();
  if (client_) http_ = std::make_unique<Client>(*client_);
}

void HttpServerTest::TearDown() {
  http_.reset();
  SocketdTest::TearDown();
}

std::string HttpServerTest::CreateServer(v1::ServerCreateRequest request) {
  absl::StatusOr<v1::ServerCreateResponse> created = http_->ServerCreate(request);
  EXPECT_TRUE(created.ok()) << created.status();
  if (!created.ok()) return "";
  ports_[created->server_id()] = static_cast<uint16_t>(created->port());
  return created->server_id();
}

uint16_t HttpServerTest::PortOf(const std::string& server_id) {
  return ports_[server_id];
}

v1::ServerInfo HttpServerTest::ServerInfo(const std::string& server_id) {
  absl::StatusOr<v1::ServerInfo> info = http_->GetServerInfo(server_id);
  EXPECT_TRUE(info.ok()) << info.status();
  return info.ok() ? *info : v1::ServerInfo();
}

bool HttpServerTest::WaitForInfo(const std::string& server_id,
                                 const std::function<bool(const v1::ServerInfo&)>& pred) {
  const absl::Time limit = absl::Now() + absl::Seconds(10);
  while (absl::Now() < limit) {
    absl::StatusOr<v1::ServerInfo> info = http_->GetServerInfo(server_id);
    if (info.ok() && pred(*info)) return true;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return false;
}

std::optional<v1::ServerReceiveResponse> HttpServerTest::Take(
    const std::string& server_id, int64_t timeout_ms) {
  absl::StatusOr<v1::ServerReceiveResponse> request =
      http_->ServerReceive(server_id, timeout_ms);
  EXPECT_TRUE(request.ok()) << request.status();
  if (!request.ok()) return std::nullopt;
  EXPECT_FALSE(request->timed_out());
  if (request->timed_out()) return std::nullopt;
  return *request;
}

absl::StatusOr<v1::ServerSendResponse> HttpServerTest::Answer(const std::string& handle,
                                                              uint32_t status,
                                                              std::string body,
                                                              bool close) {
  v1::ServerSendRequest answer;
  answer.set_request_handle(handle);
  answer.set_status(status);
  answer.set_body(std::move(body));
  answer.set_close(close);
  return http_->ServerSend(answer);
}

}  // namespace socketsvc::e2e
