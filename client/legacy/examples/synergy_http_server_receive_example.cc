// Seed example: Synergy/DE Language Reference, %HTTP_SERVER_RECEIVE: "Call
// %HTTP_SERVER_RECEIVE in a loop with the %HTTP_SERVER_SEND method to
// retrieve and handle client requests. Then format the responses and send
// them back to the client." The page has no code; this is that loop as a
// DBL program would write it,
//
//   status = %HTTP_SERVER_CREATE(id, port, error)
//   repeat
//     begin
//       status = %HTTP_SERVER_RECEIVE(id, uri, method, 30, handle, length,
//   &                                  error, headers, "http.log")
//       if (status) exitloop
//       ... format the response ...
//       status = %HTTP_SERVER_SEND(id, 200, "OK", rhandle, rlength, error,
//   &                               rheaders, "http.log", "1.1")
//       if (uri .eq. "/quit") exitloop
//     end
//   status = %HTTP_SERVER_DELETE(id)
//
// in C++ against an in-process socketd, with curl as the client.
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "client/legacy/synergy_test_util.h"

namespace socketsvc::synergy {
namespace {

struct Served {
  int requests = 0;
  int last_status = -1;
  std::string last_error;
};

// The DBL loop. `on_created` gets the instance once it listens.
Served RunServer(const std::string& log_file, const std::function<void(D_HANDLE)>& on_created) {
  Served served;
  D_HANDLE id;
  std::string error;
  served.last_status = HTTP_SERVER_CREATE(id, 0, error);
  if (served.last_status != 0) {
    served.last_error = error;
    return served;
  }
  on_created(id);
  for (;;) {
    std::string uri, method, handle;
    int length;
    std::vector<std::string> headers;
    served.last_status = HTTP_SERVER_RECEIVE(id, uri, method, 30, handle, length, error,
                                             &headers, log_file);
    if (served.last_status != 0) break;
    ++served.requests;
    // Format the response.
    std::string agent = "nobody";
    for (const std::string& header : headers) {
      if (absl::StartsWithIgnoreCase(header, "User-Agent:")) agent = header.substr(11);
    }
    std::string rhandle;
    if (uri == "/hello") rhandle = "Hello, " + agent;
    else if (method == "POST") rhandle = absl::AsciiStrToUpper(handle.substr(0, length));
    else rhandle = "bye";
    std::vector<std::string> rheaders = {"Content-Type: text/plain", "X-Served-By: DBL"};
    served.last_status = HTTP_SERVER_SEND(id, 200, "OK", rhandle, rhandle.size(), error,
                                          rheaders, log_file, "1.1");
    if (served.last_status != 0) break;
    if (uri == "/quit") break;
  }
  served.last_error = error;
  HTTP_SERVER_DELETE(id);
  return served;
}

TEST_F(SynergyTest, ReceiveSendLoopServesCurl) {
  tls::TempDir dir("synergy");
  const std::string log = dir.File("http.log");
  std::string hello, echo, quit;
  std::thread clients;
  Served served = RunServer(log, [&](D_HANDLE id) {
    // The clients, one request after another, while the loop answers.
    clients = std::thread([&, id] {
      hello = Finish(StartCurl({"-A", "curl-example", Url(id, "/hello")}));
      echo = Finish(StartCurl({"--data-binary", "shout this", Url(id, "/echo")}));
      quit = Finish(StartCurl({"-i", Url(id, "/quit")}));
    });
  });
  if (clients.joinable()) clients.join();
  EXPECT_EQ(served.requests, 3);
  EXPECT_EQ(served.last_status, HTTP_OK) << served.last_error;
  EXPECT_EQ(hello, "Hello, curl-example");
  EXPECT_EQ(echo, "SHOUT THIS");
  EXPECT_TRUE(absl::StartsWith(quit, "HTTP/1.1 200 OK\r\n")) << quit;
  EXPECT_TRUE(absl::StrContains(quit, "X-Served-By: DBL\r\n")) << quit;
  EXPECT_TRUE(absl::EndsWith(quit, "\r\n\r\nbye")) << quit;
  const std::string logged = tls::ReadFile(log).value_or("");
  EXPECT_TRUE(absl::StrContains(logged, "GET /hello HTTP/1.1\r\n")) << logged;
  EXPECT_TRUE(absl::StrContains(logged, "\r\n\r\nshout this\n--- SEND ")) << logged;
  EXPECT_TRUE(absl::StrContains(logged, "X-Served-By: DBL\r\nContent-Length: 3\r\n"
                                        "Connection: close\r\n\r\nbye\n"))
      << logged;
}

}  // namespace
}  // namespace socketsvc::synergy
