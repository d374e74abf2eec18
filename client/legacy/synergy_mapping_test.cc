// The Synergy facade's pure parts, without socketd: the error number of
// every socketd status (also those a test cannot provoke, such as a
// ServerSend timeout), texts, protocol sets, PEM and header conversion, and
// the routines before Use().
#include "absl/strings/match.h"
#include "client/legacy/synergy.h"
#include "client/legacy/synergy_internal.h"
#include "common/socket_error.h"
#include "gtest/gtest.h"

namespace socketsvc::synergy {
namespace {

using internal::Call;
using internal::ErrorFor;

absl::Status Socket(absl::StatusCode code, v1::SocketError error) {
  return SocketErrorStatus(code, error, "detail");
}

TEST(SynergyMappingTest, RoutinesBeforeUseAreNotBound) {
  // No test of this binary calls Use().
  D_HANDLE id = 7;
  std::string error;
  EXPECT_EQ(HTTP_SERVER_CREATE(id, 0, error), HTTP_ERR_NOT_BOUND);
  EXPECT_EQ(error, "socketsvc::synergy::Use was not called");
  EXPECT_EQ(id, 0);
}

TEST(SynergyMappingTest, ErrorNumbersOfSocketdStatuses) {
  using C = absl::StatusCode;
  EXPECT_EQ(ErrorFor(Socket(C::kFailedPrecondition, v1::SOCKET_ERROR_ADDRESS_IN_USE),
                     Call::kCreate),
            HTTP_ERR_PORT_IN_USE);
  EXPECT_EQ(ErrorFor(Socket(C::kPermissionDenied, v1::SOCKET_ERROR_POLICY_DENIED),
                     Call::kCreate),
            HTTP_ERR_PERMISSION_DENIED);
  EXPECT_EQ(ErrorFor(Socket(C::kResourceExhausted, v1::SOCKET_ERROR_LIMIT_EXCEEDED),
                     Call::kCreate),
            HTTP_ERR_RESOURCE_LIMIT);
  EXPECT_EQ(ErrorFor(Socket(C::kInvalidArgument, v1::SOCKET_ERROR_INVALID_REQUEST),
                     Call::kSend),
            HTTP_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(ErrorFor(Socket(C::kNotFound, v1::SOCKET_ERROR_INVALID_HANDLE), Call::kSend),
            HTTP_ERR_REQUEST_EXPIRED);
  EXPECT_EQ(ErrorFor(Socket(C::kNotFound, v1::SOCKET_ERROR_INVALID_HANDLE), Call::kReceive),
            HTTP_ERR_INVALID_INSTANCE);
  EXPECT_EQ(ErrorFor(Socket(C::kAborted, v1::SOCKET_ERROR_NOT_CONNECTED), Call::kReceive),
            HTTP_ERR_SERVER_DELETED);
  EXPECT_EQ(ErrorFor(Socket(C::kUnavailable, v1::SOCKET_ERROR_NOT_CONNECTED), Call::kSend),
            HTTP_ERR_CONNECTION_CLOSED);
  EXPECT_EQ(ErrorFor(Socket(C::kUnavailable, v1::SOCKET_ERROR_CONNECTION_RESET),
                     Call::kSend),
            HTTP_ERR_CONNECTION_CLOSED);
  EXPECT_EQ(ErrorFor(Socket(C::kDeadlineExceeded, v1::SOCKET_ERROR_TIMED_OUT), Call::kSend),
            HTTP_ERR_SEND_FAILED);
  EXPECT_EQ(ErrorFor(Socket(C::kDeadlineExceeded, v1::SOCKET_ERROR_TIMED_OUT),
                     Call::kReceive),
            HTTP_ERR_TIMEOUT);
  EXPECT_EQ(ErrorFor(Socket(C::kUnavailable, v1::SOCKET_ERROR_SHUTTING_DOWN), Call::kCreate),
            HTTP_ERR_SERVICE_UNAVAILABLE);
  // Statuses from gRPC itself, without a socket error.
  EXPECT_EQ(ErrorFor(absl::UnavailableError("connect failed"), Call::kCreate),
            HTTP_ERR_SERVICE_UNAVAILABLE);
  EXPECT_EQ(ErrorFor(absl::UnauthenticatedError("token"), Call::kCreate),
            HTTP_ERR_PERMISSION_DENIED);
  EXPECT_EQ(ErrorFor(absl::InternalError("bug"), Call::kDelete), HTTP_ERR_INTERNAL);
  EXPECT_EQ(ErrorFor(absl::UnknownError("?"), Call::kSend), HTTP_ERR_INTERNAL);
}

TEST(SynergyMappingTest, EveryNumberHasItsText) {
  for (int n = HTTP_ERR_INVALID_INSTANCE; n <= HTTP_ERR_INTERNAL; ++n) {
    EXPECT_STRNE(HTTP_ERROR_TEXT(n), "Unknown error") << n;
    EXPECT_STRNE(HTTP_ERROR_TEXT(n), "") << n;
  }
  EXPECT_STREQ(HTTP_ERROR_TEXT(HTTP_OK), "");
  EXPECT_STREQ(HTTP_ERROR_TEXT(999), "Unknown error");
  std::string error;
  EXPECT_EQ(internal::SetError(error, HTTP_ERR_TIMEOUT, "after 5 s"), HTTP_ERR_TIMEOUT);
  EXPECT_EQ(error, "Timed out waiting for a request: after 5 s");
  EXPECT_EQ(internal::SetError(error, HTTP_OK, "ignored"), HTTP_OK);
  EXPECT_EQ(error, "");
}

TEST(SynergyMappingTest, ProtocolSets) {
  EXPECT_TRUE(internal::ValidProtocols(0));
  EXPECT_TRUE(internal::ValidProtocols(SSLVER_TLS1_2));
  EXPECT_TRUE(internal::ValidProtocols(SSLVER_TLS1_1 + SSLVER_TLS1_2));
  EXPECT_TRUE(internal::ValidProtocols(SSLVER_ALL));
  EXPECT_FALSE(internal::ValidProtocols(SSLVER_TLS1_1));
  EXPECT_FALSE(internal::ValidProtocols(SSLVER_TLS1 + SSLVER_TLS1_2));
  EXPECT_FALSE(internal::ValidProtocols(SSLVER_SSL2));
  EXPECT_FALSE(internal::ValidProtocols(SSLVER_SSL3 + SSLVER_ALL));
  EXPECT_FALSE(internal::ValidProtocols(0x100));
}

TEST(SynergyMappingTest, PemBlocks) {
  const std::string text =
      "junk\n-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n"
      "-----BEGIN PRIVATE KEY-----\nKKK\n-----END PRIVATE KEY-----\n"
      "-----BEGIN CERTIFICATE-----\nBBB\n-----END CERTIFICATE-----\n";
  internal::Pem pem = internal::SplitPem(text);
  EXPECT_EQ(pem.certificates,
            "-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n"
            "-----BEGIN CERTIFICATE-----\nBBB\n-----END CERTIFICATE-----\n");
  EXPECT_EQ(pem.private_key, "-----BEGIN PRIVATE KEY-----\nKKK\n-----END PRIVATE KEY-----\n");
  EXPECT_EQ(internal::SplitPem("-----BEGIN EC PRIVATE KEY-----\nE\n-----END EC PRIVATE KEY-----")
                .private_key,
            "-----BEGIN EC PRIVATE KEY-----\nE\n-----END EC PRIVATE KEY-----\n");
  EXPECT_TRUE(internal::SplitPem("-----BEGIN CERTIFICATE-----\nunterminated").certificates.empty());
}

TEST(SynergyMappingTest, HeaderStrings) {
  v1::ServerReceiveResponse request;
  auto* h = request.add_headers();
  h->set_name("Host");
  h->set_value("example:80");
  EXPECT_EQ(internal::HeaderStrings(request), std::vector<std::string>{"Host:example:80"});
  v1::ServerSendRequest answer;
  std::string bad;
  ASSERT_TRUE(internal::AddHeaders({"A: 1", "B:2", " C : three ", "Flag"}, &answer, &bad));
  ASSERT_EQ(answer.headers_size(), 4);
  EXPECT_EQ(answer.headers(0).name(), "A");
  EXPECT_EQ(answer.headers(0).value(), "1");
  EXPECT_EQ(answer.headers(2).name(), "C");
  EXPECT_EQ(answer.headers(2).value(), "three");
  EXPECT_EQ(answer.headers(3).name(), "Flag");
  EXPECT_EQ(answer.headers(3).value(), "");
  EXPECT_FALSE(internal::AddHeaders({" : x"}, &answer, &bad));
  EXPECT_EQ(bad, " : x");
}

TEST(SynergyMappingTest, LogTexts) {
  v1::ServerReceiveResponse request;
  request.set_method("POST");
  request.set_uri("/a?b");
  request.set_http_version("HTTP/1.0");
  auto* h = request.add_headers();
  h->set_name("Content-Length");
  h->set_value("2");
  request.set_body("hi");
  EXPECT_EQ(internal::RequestText(request),
            "POST /a?b HTTP/1.0\r\nContent-Length: 2\r\n\r\nhi");
  v1::ServerSendRequest answer;
  answer.set_status(404);
  answer.set_reason("Nope");
  answer.set_body("x");
  EXPECT_EQ(internal::ResponseText(answer),
            "HTTP/1.1 404 Nope\r\nContent-Length: 1\r\n\r\nx");
}

}  // namespace
}  // namespace socketsvc::synergy
