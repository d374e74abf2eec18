// The socketd binary's /metrics (scraped with curl) and its JSON log lines
// on stderr, after real traffic through real loopback peers.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/client_context.h>
#include <signal.h>

#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/client.h"
#include "client/pipe_stream.h"
#include "common/socket_error.h"
#include "gtest/gtest.h"
#include "tests/e2e/socketd_process.h"
#include "tests/peers/peers.h"
#include "tests/tls/subprocess.h"

namespace socketsvc::e2e {
namespace {

using google::protobuf::Struct;

constexpr char kToken[] = "alice-0123456789abcdef";

// GET /metrics with the curl binary.
std::string Scrape(int port) {
  const tls::CommandResult curl = tls::RunCommand(
      {"curl", "-sS", "--max-time", "10", absl::StrCat("http://127.0.0.1:", port, "/metrics")});
  EXPECT_TRUE(curl.ok()) << curl.output;
  return curl.output;
}

// The sum of the samples of `name` whose labels include every one of
// `labels`; -1 if there is none.
double Sample(const std::string& exposition, const std::string& name,
              const std::map<std::string, std::string>& labels = {}) {
  double sum = -1;
  for (absl::string_view line : absl::StrSplit(exposition, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    if (space == absl::string_view::npos) continue;
    const absl::string_view series = line.substr(0, space);
    const size_t brace = series.find('{');
    if (series.substr(0, brace) != name) continue;
    const absl::string_view label_text =
        brace == absl::string_view::npos ? "" : series.substr(brace);
    bool match = true;
    for (const auto& [key, value] : labels) {
      const std::string wanted = absl::StrCat(key, "=\"", value, "\"");
      match = match && (absl::StrContains(label_text, absl::StrCat("{", wanted)) ||
                        absl::StrContains(label_text, absl::StrCat(",", wanted)));
    }
    double value = 0;
    if (!match || !absl::SimpleAtod(line.substr(space + 1), &value)) continue;
    sum = (sum < 0 ? 0 : sum) + value;
  }
  return sum;
}

std::string Field(const Struct& line, const std::string& key) {
  auto it = line.fields().find(key);
  if (it == line.fields().end()) return "<absent>";
  if (it->second.has_bool_value()) return it->second.bool_value() ? "true" : "false";
  return it->second.string_value();
}

// Every line socketd wrote on stderr, parsed; the readiness lines
// ("socketd: listening on ...") are the only ones that are not JSON.
std::vector<Struct> LogLines(const std::string& stderr_text) {
  std::vector<Struct> lines;
  for (absl::string_view text : absl::StrSplit(stderr_text, '\n')) {
    if (text.empty() || absl::StartsWith(text, "socketd: ")) continue;
    Struct line;
    auto status = google::protobuf::util::JsonStringToMessage(std::string(text), &line);
    EXPECT_TRUE(status.ok()) << status.ToString() << ": " << text;
    EXPECT_NE(Field(line, "ts"), "<absent>") << text;
    EXPECT_NE(Field(line, "level"), "<absent>") << text;
    EXPECT_NE(Field(line, "msg"), "<absent>") << text;
    lines.push_back(std::move(line));
  }
  return lines;
}

class ObservabilityMetricsTest : public ::testing::Test {
 protected:
  std::string TokensFile() {
    const std::string path = dir_.File("tokens");
    EXPECT_TRUE(tls::WriteFile(path, absl::StrCat(kToken, " alice\n")));
    return path;
  }
  tls::TempDir dir_{"obsmetrics"};
};

TEST_F(ObservabilityMetricsTest, MetricsAndLogsAfterTraffic) {
  const uint16_t metrics_port = tls::PickFreePort();
  SocketdProcess socketd({"--tokens_file=" + TokensFile(),
                          absl::StrCat("--metrics_port=", metrics_port)});
  ASSERT_TRUE(socketd.started()) << socketd.stderr_text();
  const Client client = Client::Create(socketd.target()).WithBearerToken(kToken);
  peers::RecordingPeer peer(peers::RecordingPeer::Options{"abcdef", false});

  // 11 bytes out, 6 in.
  absl::StatusOr<v1::ConnectResponse> connected = client.Connect("127.0.0.1", peer.port(), 5000);
  ASSERT_TRUE(connected.ok()) << connected.status();
  ASSERT_TRUE(client.Send(connected->handle(), "hello world", 5000).ok());
  absl::StatusOr<v1::ReceiveResponse> received =
      client.Receive(connected->handle(), 1024, 6, 5000);
  ASSERT_TRUE(received.ok()) << received.status();
  ASSERT_EQ(received->data(), "abcdef");
  ASSERT_TRUE(peer.WaitForReceived(11));

  // NOT_FOUND, with the client's request id.
  {
    grpc::ClientContext context;
    context.AddMetadata("authorization", absl::StrCat("Bearer ", kToken));
    context.AddMetadata("x-request-id", "test-req-42");
    v1::GetInfoRequest request;
    request.set_handle("s1.doesnotexist");
    v1::SocketInfo info;
    const grpc::Status status = client.stub()->GetInfo(&context, request, &info);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
    const auto echoed = context.GetServerInitialMetadata().find("x-request-id");
    ASSERT_NE(echoed, context.GetServerInitialMetadata().end());
    EXPECT_EQ(std::string(echoed->second.data(), echoed->second.size()), "test-req-42");
  }
  // Refused by the built-in policy: socketd's own port.
  EXPECT_EQ(GetSocketError(client.Connect("127.0.0.1", socketd.port(), 5000).status()),
            v1::SOCKET_ERROR_POLICY_DENIED);
  ASSERT_TRUE(client.Listen("", 0).ok());
  // A second socket, reaped by a 200 ms idle timeout.
  absl::StatusOr<v1::ConnectResponse> idle = client.Connect("127.0.0.1", peer.port(), 5000);
  ASSERT_TRUE(idle.ok()) << idle.status();
  v1::SocketOptions short_idle;
  short_idle.set_idle_timeout_ms(200);
  ASSERT_TRUE(client.SetOptions(idle->handle(), short_idle).ok());
  const absl::Time limit = absl::Now() + absl::Seconds(10);
  while (client.GetInfo(idle->handle()).ok() && absl::Now() < limit) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  // A third socket driven by a Pipe stream: 14 bytes out, 6 in.
  absl::StatusOr<v1::ConnectResponse> piped = client.Connect("127.0.0.1", peer.port(), 5000);
  ASSERT_TRUE(piped.ok()) << piped.status();
  {
    absl::StatusOr<std::unique_ptr<PipeStream>> pipe = client.OpenPipe(piped->handle());
    ASSERT_TRUE(pipe.ok()) << pipe.status();
    ASSERT_TRUE((*pipe)->Write("through a pipe"));
    std::string read;
    while (read.size() < 6) {
      std::optional<PipeChunk> chunk = (*pipe)->Read();
      ASSERT_TRUE(chunk.has_value()) << (*pipe)->Finish();
      read += chunk->data;
    }
    EXPECT_EQ(read, "abcdef");
    ASSERT_TRUE(peer.WaitForReceived(14, peers::kDefaultWait, 2));
    (*pipe)->Cancel();
    (*pipe)->Finish();
  }

  const std::string text = Scrape(metrics_port);
  const std::map<std::string, std::string> kService{
      {"grpc_service", "socketsvc.v1.SocketService"}};
  auto rpc = [&](const std::string& method, const std::string& code) {
    std::map<std::string, std::string> labels = kService;
    labels["grpc_method"] = method;
    labels["grpc_code"] = code;
    return Sample(text, "grpc_server_handled_total", labels);
  };
  EXPECT_EQ(Sample(text, "socketd_socket_bytes_total", {{"direction", "out"}}), 11 + 14) << text;
  EXPECT_EQ(Sample(text, "socketd_socket_bytes_total", {{"direction", "in"}}), 6 + 6) << text;
  EXPECT_EQ(rpc("Connect", "OK"), 3) << text;
  EXPECT_EQ(rpc("Connect", "PERMISSION_DENIED"), 1) << text;
  EXPECT_EQ(rpc("Send", "OK"), 1) << text;
  EXPECT_EQ(rpc("Receive", "OK"), 1) << text;
  EXPECT_EQ(rpc("Listen", "OK"), 1) << text;
  EXPECT_GE(rpc("GetInfo", "NOT_FOUND"), 2) << text;  // The bogus handle, the reaped one.
  EXPECT_EQ(Sample(text, "grpc_server_started_total",
                   {{"grpc_method", "Send"}, {"grpc_type", "unary"}}),
            1)
      << text;
  EXPECT_EQ(Sample(text, "grpc_server_handling_seconds_count", {{"grpc_method", "Receive"}}), 1)
      << text;
  EXPECT_EQ(Sample(text, "grpc_server_started_total",
                   {{"grpc_method", "Pipe"}, {"grpc_type", "bidi_stream"}}),
            1)
      << text;
  EXPECT_EQ(Sample(text, "grpc_server_handled_total", {{"grpc_method", "Pipe"}}), 1) << text;
  EXPECT_EQ(Sample(text, "grpc_server_handling_seconds_bucket",
                   {{"grpc_method", "Receive"}, {"le", "+Inf"}}),
            1)
      << text;
  EXPECT_GT(Sample(text, "grpc_server_handling_seconds_sum", {{"grpc_method", "Receive"}}), 0)
      << text;
  EXPECT_GE(Sample(text, "socketd_rpc_errors_total",
                   {{"grpc_method", "GetInfo"},
                    {"grpc_code", "NOT_FOUND"},
                    {"socket_error", "SOCKET_ERROR_INVALID_HANDLE"}}),
            2)
      << text;
  EXPECT_EQ(Sample(text, "socketd_policy_denials_total", {{"grpc_method", "Connect"}}), 1)
      << text;
  EXPECT_EQ(Sample(text, "socketd_idle_reaps_total"), 1) << text;
  EXPECT_EQ(Sample(text, "socketd_sessions", {{"state", "open"}}), 2) << text;
  EXPECT_EQ(Sample(text, "socketd_sessions"), 2) << text;  // Over all states.
  EXPECT_EQ(Sample(text, "socketd_listeners"), 1) << text;
  EXPECT_EQ(Sample(text, "socketd_http_servers"), 0) << text;
  EXPECT_EQ(Sample(text, "socketd_serving"), 1) << text;

  // A Close(PARTIAL) shows in the state counts at the next scrape.
  ASSERT_TRUE(client.Close(connected->handle(), v1::CLOSE_MODE_PARTIAL).ok());
  const std::string after = Scrape(metrics_port);
  EXPECT_EQ(Sample(after, "socketd_sessions", {{"state", "half_closed"}}), 1) << after;
  EXPECT_EQ(Sample(after, "socketd_sessions", {{"state", "open"}}), 1) << after;

  // The log: every line JSON; the failed GetInfo with its request id and
  // principal; audit lines in the same envelope; no payload, no token.
  ASSERT_TRUE(socketd.WaitForStderr("test-req-42", 5000)) << socketd.stderr_text();
  const std::string stderr_text = socketd.stderr_text();
  EXPECT_FALSE(absl::StrContains(stderr_text, kToken));
  EXPECT_FALSE(absl::StrContains(stderr_text, "hello world"));
  EXPECT_FALSE(absl::StrContains(stderr_text, "abcdef"));
  int failed_getinfo = 0;
  int audited_connects = 0;
  int rpc_lines = 0;
  for (const Struct& line : LogLines(stderr_text)) {
    if (Field(line, "msg") == "rpc failed") {
      ++rpc_lines;
      EXPECT_EQ(Field(line, "level"), "info");
      EXPECT_EQ(Field(line, "principal"), "alice");
      EXPECT_NE(Field(line, "request_id"), "<absent>");
      EXPECT_NE(Field(line, "code"), "<absent>");
    }
    if (Field(line, "request_id") == "test-req-42") {
      ++failed_getinfo;
      EXPECT_EQ(Field(line, "msg"), "rpc failed");
      EXPECT_EQ(Field(line, "method"), "/socketsvc.v1.SocketService/GetInfo");
      EXPECT_EQ(Field(line, "code"), "NOT_FOUND");
      EXPECT_EQ(Field(line, "error"), "SOCKET_ERROR_INVALID_HANDLE");
      EXPECT_NE(Field(line, "caller").find("127.0.0.1"), std::string::npos);
    }
    if (Field(line, "type") == "audit" && Field(line, "op") == "Connect") {
      ++audited_connects;
      EXPECT_EQ(Field(line, "principal"), "alice");
      EXPECT_EQ(Field(line, "method"), "/socketsvc.v1.SocketService/Connect");
      EXPECT_EQ(Field(line, "request_id").size(), 16u);
    }
  }
  EXPECT_EQ(failed_getinfo, 1) << stderr_text;
  EXPECT_EQ(audited_connects, 4) << stderr_text;
  // Failed so far: the bogus GetInfo, the denied Connect, GetInfo of the
  // reaped socket (at least once). Successes are not logged at info.
  EXPECT_GE(rpc_lines, 3) << stderr_text;
  EXPECT_EQ(socketd.SignalAndWait(SIGTERM, 10000), 0);
}

TEST_F(ObservabilityMetricsTest, LogLevelSelectsLines) {
  // error: no info line (audit lines are not subject to the level).
  {
    SocketdProcess socketd({"--log_level=error"});
    ASSERT_TRUE(socketd.started());
    const Client client = Client::Create(socketd.target());
    EXPECT_FALSE(client.GetInfo("s1.doesnotexist").ok());
    peers::RecordingPeer peer;
    ASSERT_TRUE(client.Connect("127.0.0.1", peer.port(), 5000).ok());
    EXPECT_EQ(socketd.SignalAndWait(SIGTERM, 10000), 0);
    int audit = 0;
    for (const Struct& line : LogLines(socketd.stderr_text())) {
      if (Field(line, "type") == "audit") {
        ++audit;
        continue;
      }
      EXPECT_EQ(Field(line, "level"), "error") << socketd.stderr_text();
    }
    EXPECT_EQ(audit, 1) << socketd.stderr_text();
    EXPECT_FALSE(absl::StrContains(socketd.stderr_text(), "rpc failed"));
  }
  // debug: successful calls too.
  {
    SocketdProcess socketd({"--log_level=debug", "--audit_log=false"});
    ASSERT_TRUE(socketd.started());
    const Client client = Client::Create(socketd.target());
    ASSERT_TRUE(client.Resolve("127.0.0.1").ok());
    ASSERT_TRUE(socketd.WaitForStderr("\"msg\":\"rpc done\"", 5000)) << socketd.stderr_text();
    bool resolve_logged = false;
    for (const Struct& line : LogLines(socketd.stderr_text())) {
      if (Field(line, "method") == "/socketsvc.v1.SocketService/Resolve") {
        resolve_logged = true;
        EXPECT_EQ(Field(line, "level"), "debug");
        EXPECT_EQ(Field(line, "code"), "OK");
        EXPECT_EQ(Field(line, "principal"), "anonymous");
      }
    }
    EXPECT_TRUE(resolve_logged) << socketd.stderr_text();
    EXPECT_EQ(socketd.SignalAndWait(SIGTERM, 10000), 0);
  }
  // A metrics port already taken: socketd does not start.
  {
    peers::EchoPeer holder;  // A loopback listener: its port is taken.
    const tls::CommandResult busy = tls::RunCommand(
        {RunfilePath("service/socketd"), "--listen=127.0.0.1:0",
         absl::StrCat("--metrics_port=", holder.port())},
        "", std::chrono::seconds(20));
    EXPECT_EQ(busy.exit_code, 1) << busy.output;
    EXPECT_TRUE(absl::StrContains(busy.output, "cannot serve metrics on 127.0.0.1:"))
        << busy.output;
  }
  // Anything else refuses to start.
  const tls::CommandResult refused =
      tls::RunCommand({RunfilePath("service/socketd"), "--log_level=loud"}, "",
                      std::chrono::seconds(20));
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_TRUE(absl::StrContains(refused.output, "\"level\":\"error\",\"msg\":\"cannot start\""))
      << refused.output;
}

}  // namespace
}  // namespace socketsvc::e2e
