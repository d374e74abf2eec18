// Conversions behind the Synergy facade: error numbers and texts, PEM
// splitting, protocol sets, header strings, the raw log entries.
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/legacy/synergy.h"
#include "client/legacy/synergy_internal.h"
#include "common/socket_error.h"

namespace socketsvc::synergy {

const char* HTTP_ERROR_TEXT(int error_number) {
  switch (error_number) {
    case HTTP_OK: return "";
    case HTTP_ERR_INVALID_INSTANCE: return "Invalid HTTP server instance";
    case HTTP_ERR_INVALID_ARGUMENT: return "Invalid argument";
    case HTTP_ERR_INVALID_PROTOCOL: return "Invalid SSL protocol specified";
    case HTTP_ERR_CERT_FILE: return "Cannot use certificate file";
    case HTTP_ERR_CA_FILE: return "Cannot use CA file";
    case HTTP_ERR_PORT_IN_USE: return "Port already in use";
    case HTTP_ERR_TIMEOUT: return "Timed out waiting for a request";
    case HTTP_ERR_NO_REQUEST: return "No request to respond to";
    case HTTP_ERR_CONNECTION_CLOSED: return "Client closed the connection";
    case HTTP_ERR_REQUEST_EXPIRED: return "Request no longer awaits a response";
    case HTTP_ERR_SERVER_DELETED: return "HTTP server instance was deleted";
    case HTTP_ERR_LOG_FILE: return "Cannot open log file";
    case HTTP_ERR_FORK: return "Cannot create child";
    case HTTP_ERR_PERMISSION_DENIED: return "Not allowed by socketd's policy";
    case HTTP_ERR_RESOURCE_LIMIT: return "Resource limit reached";
    case HTTP_ERR_SEND_FAILED: return "Cannot send the response";
    case HTTP_ERR_SERVICE_UNAVAILABLE: return "Cannot reach socketd";
    case HTTP_ERR_NOT_BOUND: return "socketsvc::synergy::Use was not called";
    case HTTP_ERR_INTERNAL: return "Internal error";
    default: return "Unknown error";
  }
}

namespace internal {

int ErrorFor(const absl::Status& status, Call call) {
  const bool receive = call == Call::kReceive;
  switch (GetSocketError(status)) {
    case v1::SOCKET_ERROR_ADDRESS_IN_USE: return HTTP_ERR_PORT_IN_USE;
    case v1::SOCKET_ERROR_POLICY_DENIED: return HTTP_ERR_PERMISSION_DENIED;
    case v1::SOCKET_ERROR_LIMIT_EXCEEDED: return HTTP_ERR_RESOURCE_LIMIT;
    case v1::SOCKET_ERROR_INVALID_REQUEST: return HTTP_ERR_INVALID_ARGUMENT;
    // A request handle socketd no longer knows was answered already (its
    // response timeout sent 504); a server id, the server is gone.
    case v1::SOCKET_ERROR_INVALID_HANDLE:
      return call == Call::kSend ? HTTP_ERR_REQUEST_EXPIRED : HTTP_ERR_INVALID_INSTANCE;
    // A waiting receive ends so when the server is deleted; a send, when
    // the client left before its answer.
    case v1::SOCKET_ERROR_NOT_CONNECTED:
      return receive ? HTTP_ERR_SERVER_DELETED : HTTP_ERR_CONNECTION_CLOSED;
    case v1::SOCKET_ERROR_CONNECTION_RESET:
    case v1::SOCKET_ERROR_BROKEN_PIPE: return HTTP_ERR_CONNECTION_CLOSED;
    case v1::SOCKET_ERROR_TIMED_OUT:
      return receive ? HTTP_ERR_TIMEOUT : HTTP_ERR_SEND_FAILED;
    case v1::SOCKET_ERROR_SHUTTING_DOWN: return HTTP_ERR_SERVICE_UNAVAILABLE;
    default: break;
  }
  switch (status.code()) {
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnauthenticated: return HTTP_ERR_PERMISSION_DENIED;
    case absl::StatusCode::kUnavailable: return HTTP_ERR_SERVICE_UNAVAILABLE;
    case absl::StatusCode::kDeadlineExceeded:
      return receive ? HTTP_ERR_TIMEOUT : HTTP_ERR_SEND_FAILED;
    case absl::StatusCode::kInvalidArgument: return HTTP_ERR_INVALID_ARGUMENT;
    case absl::StatusCode::kNotFound:
      return call == Call::kSend ? HTTP_ERR_REQUEST_EXPIRED : HTTP_ERR_INVALID_INSTANCE;
    case absl::StatusCode::kResourceExhausted: return HTTP_ERR_RESOURCE_LIMIT;
    case absl::StatusCode::kAborted: return HTTP_ERR_SERVER_DELETED;
    default: return HTTP_ERR_INTERNAL;
  }
}

int SetError(std::string& error, int number, absl::string_view detail) {
  error = HTTP_ERROR_TEXT(number);
  if (number != HTTP_OK && !detail.empty()) absl::StrAppend(&error, ": ", detail);
  return number;
}

bool ValidProtocols(int protocols) {
  constexpr int kKnown = SSLVER_SSL2 | SSLVER_SSL3 | SSLVER_TLS1 | SSLVER_TLS1_1 |
                         SSLVER_TLS1_2 | SSLVER_ALL;
  constexpr int kBelowTls11 = SSLVER_SSL2 | SSLVER_SSL3 | SSLVER_TLS1;
  if (protocols == 0) return true;
  if ((protocols & ~kKnown) != 0 || (protocols & kBelowTls11) != 0) return false;
  // socketd serves TLS 1.2 and newer: a set without them cannot be served.
  return (protocols & (SSLVER_TLS1_2 | SSLVER_ALL)) != 0;
}

Pem SplitPem(absl::string_view text) {
  Pem pem;
  for (;;) {
    const size_t begin = text.find("-----BEGIN ");
    if (begin == absl::string_view::npos) break;
    const size_t label_end = text.find("-----", begin + 11);
    if (label_end == absl::string_view::npos) break;
    const absl::string_view label = text.substr(begin + 11, label_end - begin - 11);
    const std::string end_marker = absl::StrCat("-----END ", label, "-----");
    const size_t end = text.find(end_marker, label_end);
    if (end == absl::string_view::npos) break;
    const absl::string_view block =
        text.substr(begin, end + end_marker.size() - begin);
    if (label == "CERTIFICATE") {
      absl::StrAppend(&pem.certificates, block, "\n");
    } else if (absl::EndsWith(label, "PRIVATE KEY") && pem.private_key.empty()) {
      absl::StrAppend(&pem.private_key, block, "\n");
    }
    text.remove_prefix(end + end_marker.size());
  }
  return pem;
}

std::optional<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return contents.str();
}

std::vector<std::string> HeaderStrings(const v1::ServerReceiveResponse& request) {
  std::vector<std::string> headers;
  headers.reserve(request.headers_size());
  for (const v1::HttpHeader& header : request.headers()) {
    headers.push_back(absl::StrCat(header.name(), ":", header.value()));
  }
  return headers;
}

bool AddHeaders(const std::vector<std::string>& headers, v1::ServerSendRequest* answer,
                std::string* bad) {
  for (const std::string& text : headers) {
    const size_t colon = text.find(':');
    const absl::string_view name =
        absl::StripAsciiWhitespace(absl::string_view(text).substr(0, colon));
    const absl::string_view value =
        colon == std::string::npos
            ? absl::string_view()
            : absl::StripAsciiWhitespace(absl::string_view(text).substr(colon + 1));
    if (name.empty()) {
      *bad = text;
      return false;
    }
    v1::HttpHeader* header = answer->add_headers();
    header->set_name(std::string(name));
    header->set_value(std::string(value));
  }
  return true;
}

std::string RequestText(const v1::ServerReceiveResponse& request) {
  std::string text = absl::StrCat(request.method(), " ", request.uri(), " ",
                                  request.http_version(), "\r\n");
  for (const v1::HttpHeader& header : request.headers()) {
    absl::StrAppend(&text, header.name(), ": ", header.value(), "\r\n");
  }
  absl::StrAppend(&text, "\r\n", request.body());
  return text;
}

std::string ResponseText(const v1::ServerSendRequest& answer) {
  std::string text = absl::StrCat("HTTP/1.1 ", answer.status(), " ", answer.reason(), "\r\n");
  bool has_length = false;
  for (const v1::HttpHeader& header : answer.headers()) {
    absl::StrAppend(&text, header.name(), ": ", header.value(), "\r\n");
    has_length = has_length || absl::EqualsIgnoreCase(header.name(), "Content-Length");
  }
  if (!has_length) absl::StrAppend(&text, "Content-Length: ", answer.body().size(), "\r\n");
  if (answer.close()) absl::StrAppend(&text, "Connection: close\r\n");
  absl::StrAppend(&text, "\r\n", answer.body());
  return text;
}

bool LogFile::Open(const std::string& path) {
  if (path.empty()) return true;
  file_.reset(std::fopen(path.c_str(), "ab"));
  return file_ != nullptr;
}

void LogFile::Append(absl::string_view kind, absl::string_view text,
                     absl::string_view peer) {
  if (file_ == nullptr) return;
  std::string entry = absl::StrCat(
      "--- ", kind, " ",
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()),
      peer.empty() ? "" : " ", peer, "\n", text, "\n");
  std::fwrite(entry.data(), 1, entry.size(), file_.get());
  std::fflush(file_.get());
}

}  // namespace internal
}  // namespace socketsvc::synergy
