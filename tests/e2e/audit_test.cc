// The audit log of the socketd process: one JSON line on stderr per
// Connect, Listen, Accept and ServerCreate, with principal, target, result
// and handle. Lines are parsed back with protobuf's JSON parser.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/client.h"
#include "gtest/gtest.h"
#include "tests/e2e/socket_probe.h"
#include "tests/e2e/socketd_process.h"
#include "tests/peers/peers.h"

namespace socketsvc::e2e {
namespace {

using google::protobuf::Struct;

std::string Field(const Struct& line, const std::string& key) {
  auto it = line.fields().find(key);
  if (it == line.fields().end()) return "<absent>";
  if (it->second.has_bool_value()) return it->second.bool_value() ? "true" : "false";
  return it->second.string_value();
}

// Every audit line socketd wrote so far, parsed.
std::vector<Struct> AuditLines(const SocketdProcess& socketd) {
  std::vector<Struct> lines;
  for (absl::string_view text : absl::StrSplit(socketd.stderr_text(), '\n')) {
    if (text.find("\"type\":\"audit\"") == absl::string_view::npos) continue;
    Struct line;
    auto status = google::protobuf::util::JsonStringToMessage(std::string(text), &line);
    EXPECT_TRUE(status.ok()) << status.ToString() << ": " << text;
    EXPECT_EQ(Field(line, "audit"), "true");
    lines.push_back(std::move(line));
  }
  return lines;
}

// The audit lines of `op` once `count` of them are there.
std::vector<Struct> WaitForLines(SocketdProcess& socketd, const std::string& op,
                                 size_t count) {
  std::vector<Struct> of_op;
  const absl::Time limit = absl::Now() + absl::Seconds(5);
  do {
    of_op.clear();
    for (Struct& line : AuditLines(socketd)) {
      if (Field(line, "op") == op) of_op.push_back(std::move(line));
    }
    if (of_op.size() >= count) break;
    absl::SleepFor(absl::Milliseconds(20));
  } while (absl::Now() < limit);
  EXPECT_EQ(of_op.size(), count) << socketd.stderr_text();
  return of_op;
}

TEST(AuditTest, EveryConnectListenAcceptAndServerCreateIsLogged) {
  SocketdProcess socketd;
  ASSERT_TRUE(socketd.started());
  Client client = Client::Create(socketd.target());
  peers::RecordingPeer peer;

  // Connect: OK, refused, invalid.
  absl::StatusOr<v1::ConnectResponse> connected =
      client.Connect("127.0.0.1", peer.port(), 5000);
  ASSERT_TRUE(connected.ok()) << connected.status();
  const uint16_t closed = peers::ClosedPort();
  EXPECT_FALSE(client.Connect("127.0.0.1", closed, 5000).ok());
  EXPECT_FALSE(client.Connect("", 80, 5000).ok());
  std::vector<Struct> connects = WaitForLines(socketd, "Connect", 3);
  ASSERT_EQ(connects.size(), 3u);
  const std::string peer_address = absl::StrCat("127.0.0.1:", peer.port());
  EXPECT_EQ(Field(connects[0], "type"), "audit");
  EXPECT_EQ(Field(connects[0], "principal"), "anonymous");
  EXPECT_EQ(Field(connects[0], "target"), peer_address);
  EXPECT_EQ(Field(connects[0], "result"), "OK");
  EXPECT_EQ(Field(connects[0], "handle"), connected->handle());
  EXPECT_EQ(Field(connects[0], "address"), peer_address);
  EXPECT_NE(Field(connects[0], "caller").find("127.0.0.1"), std::string::npos);
  EXPECT_NE(Field(connects[0], "ts"), "<absent>");
  // The envelope of every log line, with the RPC's request id.
  EXPECT_EQ(Field(connects[0], "level"), "info");
  EXPECT_EQ(Field(connects[0], "method"), "/socketsvc.v1.SocketService/Connect");
  EXPECT_EQ(Field(connects[0], "request_id").size(), 16u);
  EXPECT_NE(Field(connects[0], "request_id"), Field(connects[1], "request_id"));
  EXPECT_EQ(Field(connects[1], "target"), absl::StrCat("127.0.0.1:", closed));
  EXPECT_EQ(Field(connects[1], "result"), "UNAVAILABLE");
  EXPECT_EQ(Field(connects[1], "error"), "SOCKET_ERROR_CONNECTION_REFUSED");
  EXPECT_EQ(Field(connects[1], "errno"), "ECONNREFUSED");
  EXPECT_EQ(Field(connects[1], "handle"), "<absent>");
  EXPECT_EQ(Field(connects[2], "result"), "INVALID_ARGUMENT");
  EXPECT_EQ(Field(connects[2], "error"), "SOCKET_ERROR_INVALID_REQUEST");

  // Listen, then Accept: OK and timed out.
  absl::StatusOr<v1::ListenResponse> listening = client.Listen("127.0.0.1", 0);
  ASSERT_TRUE(listening.ok()) << listening.status();
  const int fd = ConnectLoopback(static_cast<uint16_t>(listening->port()));
  absl::StatusOr<v1::AcceptResponse> accepted =
      client.Accept(listening->listener(), 5000);
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  absl::StatusOr<v1::AcceptResponse> none = client.Accept(listening->listener(), 0);
  ASSERT_TRUE(none.ok()) << none.status();
  ASSERT_TRUE(none->timed_out());
  std::vector<Struct> listens = WaitForLines(socketd, "Listen", 1);
  ASSERT_EQ(listens.size(), 1u);
  EXPECT_EQ(Field(listens[0], "target"), "127.0.0.1:0");
  EXPECT_EQ(Field(listens[0], "result"), "OK");
  EXPECT_EQ(Field(listens[0], "handle"), listening->listener());
  EXPECT_EQ(Field(listens[0], "address"), absl::StrCat("127.0.0.1:", listening->port()));
  std::vector<Struct> accepts = WaitForLines(socketd, "Accept", 2);
  ASSERT_EQ(accepts.size(), 2u);
  EXPECT_EQ(Field(accepts[0], "target"), listening->listener());
  EXPECT_EQ(Field(accepts[0], "result"), "OK");
  EXPECT_EQ(Field(accepts[0], "handle"), accepted->handle());
  EXPECT_EQ(Field(accepts[0], "address"),
            absl::StrCat(accepted->peer_address(), ":", accepted->peer_port()));
  EXPECT_EQ(Field(accepts[1], "timed_out"), "true");
  EXPECT_EQ(Field(accepts[1], "handle"), "<absent>");

  // ServerCreate: OK, and refused on a port in use.
  v1::ServerCreateRequest create;
  absl::StatusOr<v1::ServerCreateResponse> server = client.ServerCreate(create);
  ASSERT_TRUE(server.ok()) << server.status();
  create.set_port(listening->port());
  EXPECT_FALSE(client.ServerCreate(create).ok());
  std::vector<Struct> creates = WaitForLines(socketd, "ServerCreate", 2);
  ASSERT_EQ(creates.size(), 2u);
  EXPECT_EQ(Field(creates[0], "result"), "OK");
  EXPECT_EQ(Field(creates[0], "handle"), server->server_id());
  EXPECT_EQ(Field(creates[0], "address"), absl::StrCat("127.0.0.1:", server->port()));
  EXPECT_EQ(Field(creates[1], "target"), absl::StrCat("127.0.0.1:", listening->port()));
  EXPECT_EQ(Field(creates[1], "result"), "FAILED_PRECONDITION");
  EXPECT_EQ(Field(creates[1], "error"), "SOCKET_ERROR_ADDRESS_IN_USE");

  // Other calls are not audited.
  ASSERT_TRUE(client.Send(connected->handle(), "x", 1000).ok());
  ASSERT_TRUE(client.GetInfo(connected->handle()).ok());
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_EQ(AuditLines(socketd).size(), 8u) << socketd.stderr_text();
  close(fd);
}

TEST(AuditTest, CanBeTurnedOff) {
  SocketdProcess socketd({"--audit_log=false"});
  ASSERT_TRUE(socketd.started());
  Client client = Client::Create(socketd.target());
  ASSERT_TRUE(client.Listen("127.0.0.1", 0).ok());
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_TRUE(AuditLines(socketd).empty()) << socketd.stderr_text();
}

}  // namespace
}  // namespace socketsvc::e2e
