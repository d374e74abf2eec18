// Seed example: Synergy/DE Language Reference, %HTTP_SERVER_RECEIVE with
// `fork` (UNIX): "If fork is passed with a value of 1, the parent will go
// back to accept the next connection request. When the child finishes the
// request, it should stop. ... If the returned fork value is 1, the accept
// returned and the parent is running, taking the timeout parameter into
// account." A DBL server of that shape,
//
//   fork = 1
//   status = %HTTP_SERVER_RECEIVE(id, uri, method, 5, handle, length, error,
//   &                              headers, , fork)
//   if (fork .eq. 0)    ; the child: handle this request, answer, stop
//     begin
//       ... slow work ...
//       status = %HTTP_SERVER_SEND(id, 200, "OK", rhandle, rlength, error)
//       stop
//     end
//   ; the parent: the timeout passed; housekeeping, then receive again
//
// in C++: the child's branch is the ChildRoutine, run on a thread of its
// own for each request (see docs/legacy.md, "fork"). Four clients whose
// requests each take a second are all served in about one second.
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "client/legacy/synergy_test_util.h"

namespace socketsvc::synergy {
namespace {

TEST_F(SynergyTest, ForkedChildrenServeSlowRequestsInParallel) {
  D_HANDLE id;
  std::string error;
  ASSERT_EQ(HTTP_SERVER_CREATE(id, 0, error), 0) << error;

  std::atomic<int> children{0};
  ChildRoutine child = [&](const ChildRequest& request) {
    ++children;
    std::this_thread::sleep_for(std::chrono::seconds(1));  // slow work
    const std::string rhandle = "done " + request.uri;
    std::string child_error;
    HTTP_SERVER_SEND(id, 200, "OK", rhandle, rhandle.size(), child_error);
  };

  constexpr int kClients = 4;
  std::vector<std::unique_ptr<tls::Subprocess>> curls;
  const absl::Time start = absl::Now();
  for (int i = 0; i < kClients; ++i) {
    curls.push_back(StartCurl({Url(id, "/job" + std::to_string(i))}));
  }
  absl::Time all_served;
  std::thread clients([&] {
    for (int i = 0; i < kClients; ++i) {
      EXPECT_EQ(Finish(curls[i]), "done /job" + std::to_string(i));
    }
    all_served = absl::Now();
  });

  // The parent: back once the 3-second timeout has passed.
  int fork = 1;
  std::string uri, method, handle;
  int length;
  std::vector<std::string> headers;
  const int status = HTTP_SERVER_RECEIVE(id, uri, method, 3, handle, length, error,
                                         &headers, "", fork, child);
  clients.join();
  EXPECT_EQ(status, HTTP_OK) << error;
  EXPECT_EQ(fork, 1);
  EXPECT_EQ(children.load(), kClients);
  // Served side by side: far less than the four seconds of one at a time.
  EXPECT_LT(all_served - start, absl::Milliseconds(3500));
  EXPECT_EQ(HTTP_SERVER_DELETE(id), 0);
}

}  // namespace
}  // namespace socketsvc::synergy
