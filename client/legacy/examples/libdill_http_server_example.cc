// The server half of libdill's HTTP man pages (http_recvrequest(3),
// http_sendstatus(3)): a libdill-style program that listens, accepts, reads
// a request head, answers it and sends the body on the bytestream, written
// the way libdill code is, against socketd. curl is the real client.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/legacy/libdill.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/tls/subprocess.h"

namespace {

using namespace socketsvc::libdill;  // NOLINT: the example reads like C.

// Answers one request on connection `s`: "You asked for <resource>" and the
// number of fields the client sent. Returns 0, or -1 with errno.
int Serve(int s) {
  s = http_attach(s);
  if (s < 0) return -1;
  char command[16];
  char resource[256];
  int rc = http_recvrequest(s, command, sizeof(command), resource, sizeof(resource),
                            now() + 5000);
  if (rc != 0) return -1;
  int fields = 0;
  while (1) {
    char name[256];
    char value[1024];
    rc = http_recvfield(s, name, sizeof(name), value, sizeof(value), now() + 5000);
    if (rc == -1 && errno == EPIPE) break;
    if (rc != 0) return -1;
    ++fields;
  }
  const std::string body =
      absl::StrCat("You asked for ", resource, " with ", command, " and ", fields,
                   " fields\n");
  http_sendstatus(s, 200, "OK", -1);
  http_sendfield(s, "Content-Type", "text/plain", -1);
  http_sendfield(s, "Content-Length", std::to_string(body.size()).c_str(), -1);
  http_sendfield(s, "Connection", "close", -1);
  http_done(s, -1);
  s = http_detach(s, now() + 5000);
  if (s < 0) return -1;
  if (bsend(s, body.data(), body.size(), now() + 5000) != 0) return -1;
  return tcp_close(s, now() + 5000);
}

// Listens on 127.0.0.1 (any port, reported through `port`) and serves
// `requests` connections one after another.
int RunServer(int requests, int* port, const std::function<void()>& ready) {
  struct ipaddr addr;
  ipaddr_local(&addr, "127.0.0.1", 0, 0);
  int ls = tcp_listen(&addr, 10);
  if (ls < 0) return -1;
  *port = ipaddr_port(&addr);
  ready();
  for (int i = 0; i < requests; ++i) {
    int s = tcp_accept(ls, NULL, now() + 10000);
    if (s < 0 || Serve(s) != 0) {
      hclose(ls);
      return -1;
    }
  }
  return hclose(ls);
}

class HttpServerExample : public socketsvc::e2e::SocketdTest {
 protected:
  void SetUp() override {
    SocketdTest::SetUp();
    Use(*client_);
  }
};

TEST_F(HttpServerExample, ServesCurl) {
  int port = 0;
  std::vector<std::unique_ptr<socketsvc::tls::Subprocess>> curls;
  const int rc = RunServer(2, &port, [&] {
    for (const std::string path : {"/first", "/second?x=1"}) {
      auto curl = socketsvc::tls::Subprocess::Start(
          {"curl", "-sS", "-i", "--max-time", "20", "-H", "X-Extra: 1",
           absl::StrCat("http://127.0.0.1:", port, path)});
      ASSERT_TRUE(curl.ok()) << curl.status();
      curls.push_back(std::move(*curl));
    }
  });
  EXPECT_EQ(rc, 0) << strerror(errno);
  ASSERT_EQ(curls.size(), 2u);
  std::vector<std::string> bodies;
  for (auto& curl : curls) {
    ASSERT_TRUE(curl->WaitForExit(std::chrono::seconds(20)).has_value());
    curl->Stop(std::chrono::milliseconds(0));  // Collects the rest of the output.
    const std::string out = curl->Output();
    EXPECT_TRUE(absl::StartsWith(out, "HTTP/1.1 200 OK\r\n")) << out;
    EXPECT_TRUE(absl::StrContains(out, "Content-Type: text/plain\r\n")) << out;
    bodies.push_back(out.substr(out.find("\r\n\r\n") + 4));
  }
  // curl sends Host, User-Agent, Accept and our X-Extra: four fields. The
  // two connections may be accepted in either order.
  std::sort(bodies.begin(), bodies.end());
  EXPECT_EQ(bodies, (std::vector<std::string>{
                        "You asked for /first with GET and 4 fields\n",
                        "You asked for /second?x=1 with GET and 4 fields\n"}));
}

}  // namespace
