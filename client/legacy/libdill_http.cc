// libdill's HTTP layer (http_*(3)) over the facade's TCP connections: the
// request/response head as CRLF-terminated lines, ended by a blank line,
// exactly as libdill frames it (its suffix "\r\n" and empty-terminator
// layers). The body is left to the bytestream after http_detach.
#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"
#include "client/legacy/libdill.h"
#include "client/legacy/libdill_internal.h"

namespace socketsvc::libdill {
namespace {

using internal::Exclusive;
using internal::Fail;
using internal::FindAs;
using internal::HandleTable;
using internal::HttpConn;
using internal::TcpConn;

// libdill reads a head line into a 1024-byte buffer with room for a NUL.
constexpr size_t kMaxLine = 1023;

int SendLine(HttpConn& http, std::string line, int64_t deadline) {
  if (http.outerr) return ECONNRESET;
  line += "\r\n";
  const int e = internal::SendAll(*http.tcp, line, deadline);
  if (e != 0) http.outerr = true;
  return e;
}

// Reads one line (without CRLF) of at most `max` bytes. A blank line is the
// end of the head: EPIPE, then and forever after (libdill's term layer).
int ReceiveLine(HttpConn& http, std::string* line, int64_t deadline,
                size_t max = kMaxLine) {
  if (http.indone) return EPIPE;
  if (http.inerr) return ECONNRESET;
  TcpConn& tcp = *http.tcp;
  for (;;) {
    const size_t end = tcp.rx.find("\r\n");
    if (end != std::string::npos && end <= max) {
      line->assign(tcp.rx, 0, end);
      tcp.rx.erase(0, end + 2);
      if (line->empty()) {
        http.indone = true;
        return EPIPE;
      }
      return 0;
    }
    if (end != std::string::npos || tcp.rx.size() > max + 1) {
      http.inerr = true;
      return EMSGSIZE;
    }
    const int e = internal::ReceiveMore(tcp, deadline);
    if (e != 0) {
      http.inerr = true;
      return e;
    }
  }
}

// Splits off the next space-separated token of `line` (leading spaces
// skipped); false if there is none.
bool NextToken(absl::string_view& line, absl::string_view* token) {
  while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
  const size_t end = std::min(line.find(' '), line.size());
  *token = line.substr(0, end);
  line.remove_prefix(end);
  return !token->empty();
}

// Copies `text` with a NUL into `buf` of `size` bytes; false if it does not fit.
bool CopyOut(absl::string_view text, char* buf, size_t size) {
  if (buf == nullptr || text.size() + 1 > size) return false;
  memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  return true;
}

bool IsHttpVersion(absl::string_view token) {
  return token.size() == 8 && token.substr(0, 7) == "HTTP/1." &&
         absl::ascii_isdigit(token[7]);
}

bool HasAny(const char* text, const char* chars) {
  return strpbrk(text, chars) != nullptr;
}

// One receive on an HTTP handle: finds it, takes the receive direction.
template <typename F>
int OnReceive(int s, F&& body) {
  std::shared_ptr<HttpConn> http = FindAs<HttpConn>(s);
  if (http == nullptr) return -1;
  Exclusive exclusive(http->tcp->receiving);
  if (!exclusive.ok()) return Fail(EBUSY);
  return body(*http);
}

template <typename F>
int OnSend(int s, F&& body) {
  std::shared_ptr<HttpConn> http = FindAs<HttpConn>(s);
  if (http == nullptr) return -1;
  Exclusive exclusive(http->tcp->sending);
  if (!exclusive.ok()) return Fail(EBUSY);
  return body(*http);
}

int Sent(int e) { return e == 0 ? 0 : Fail(e); }

}  // namespace

int http_attach(int s) {
  std::shared_ptr<TcpConn> tcp = FindAs<TcpConn>(s);
  if (tcp == nullptr) return -1;
  if (HandleTable::Get().Remove(s) == nullptr) return Fail(EBADF);
  return HandleTable::Get().Add(std::make_shared<HttpConn>(std::move(tcp)));
}

int http_detach(int s, int64_t deadline) {
  std::shared_ptr<HttpConn> http = FindAs<HttpConn>(s);
  if (http == nullptr) return -1;
  Exclusive sending(http->tcp->sending);
  Exclusive receiving(http->tcp->receiving);
  if (!sending.ok() || !receiving.ok()) return Fail(EBUSY);
  if (HandleTable::Get().Remove(s) == nullptr) return Fail(EBADF);
  int e = 0;
  if (!http->outdone) {
    e = SendLine(*http, "", deadline);
    if (e == 0) http->outdone = true;
  }
  std::string line;
  while (e == 0 && !http->indone) {
    e = ReceiveLine(*http, &line, deadline, std::numeric_limits<size_t>::max() - 2);
    if (e == EPIPE && http->indone) e = 0;
  }
  if (e != 0) {
    // Closed even on error, with everything under it.
    internal::Abort(http->tcp->client, http->tcp->handle);
    return Fail(e);
  }
  return HandleTable::Get().Add(http->tcp);
}

int http_sendrequest(int s, const char* command, const char* resource,
                     int64_t deadline) {
  return OnSend(s, [&](HttpConn& http) {
    if (command == nullptr || resource == nullptr || *command == '\0' ||
        *resource == '\0' || HasAny(command, " \t\r\n") || HasAny(resource, " \t\r\n")) {
      return Fail(EINVAL);
    }
    return Sent(SendLine(http, std::string(command) + " " + resource + " HTTP/1.1",
                         deadline));
  });
}

int http_sendstatus(int s, int status, const char* reason, int64_t deadline) {
  return OnSend(s, [&](HttpConn& http) {
    if (status < 100 || status > 599 || reason == nullptr || HasAny(reason, "\r\n")) {
      return Fail(EINVAL);
    }
    return Sent(SendLine(http, "HTTP/1.1 " + std::to_string(status) + " " + reason,
                         deadline));
  });
}

int http_sendfield(int s, const char* name, const char* value, int64_t deadline) {
  return OnSend(s, [&](HttpConn& http) {
    if (name == nullptr || value == nullptr || *name == '\0' ||
        HasAny(name, "(),/:;<=>?@[\\]{}\" \t\r\n") || HasAny(value, "\r\n")) {
      return Fail(EINVAL);
    }
    absl::string_view trimmed = value;
    while (!trimmed.empty() && trimmed.front() == ' ') trimmed.remove_prefix(1);
    while (!trimmed.empty() && trimmed.back() == ' ') trimmed.remove_suffix(1);
    if (trimmed.empty()) return Fail(EINVAL);
    return Sent(SendLine(http, std::string(name) + ": " + std::string(trimmed), deadline));
  });
}

int http_done(int s, int64_t deadline) {
  return OnSend(s, [&](HttpConn& http) {
    if (http.outdone) return Fail(EPIPE);
    const int e = SendLine(http, "", deadline);
    if (e != 0) return Fail(e);
    http.outdone = true;
    return 0;
  });
}

int http_recvrequest(int s, char* command, size_t commandlen, char* resource,
                     size_t resourcelen, int64_t deadline) {
  return OnReceive(s, [&](HttpConn& http) {
    std::string received;
    const int e = ReceiveLine(http, &received, deadline);
    if (e != 0) return Fail(e);
    absl::string_view line = received;
    absl::string_view method, target, version, rest;
    if (!NextToken(line, &method) || !NextToken(line, &target) ||
        !NextToken(line, &version) || !IsHttpVersion(version) || NextToken(line, &rest)) {
      return Fail(EPROTO);
    }
    if (!CopyOut(method, command, commandlen) || !CopyOut(target, resource, resourcelen)) {
      return Fail(EMSGSIZE);
    }
    return 0;
  });
}

int http_recvstatus(int s, char* reason, size_t reasonlen, int64_t deadline) {
  return OnReceive(s, [&](HttpConn& http) {
    std::string received;
    const int e = ReceiveLine(http, &received, deadline);
    if (e != 0) return Fail(e);
    absl::string_view line = received;
    absl::string_view version, code;
    if (!NextToken(line, &version) || !IsHttpVersion(version) ||
        !NextToken(line, &code) || code.size() != 3 || !absl::ascii_isdigit(code[0]) ||
        !absl::ascii_isdigit(code[1]) || !absl::ascii_isdigit(code[2])) {
      return Fail(EPROTO);
    }
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    if (!CopyOut(line, reason, reasonlen)) return Fail(EMSGSIZE);
    return (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
  });
}

int http_recvfield(int s, char* name, size_t namelen, char* value, size_t valuelen,
                   int64_t deadline) {
  return OnReceive(s, [&](HttpConn& http) {
    std::string received;
    const int e = ReceiveLine(http, &received, deadline);
    if (e != 0) return Fail(e);
    absl::string_view line = received;
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    const size_t name_end = std::min(line.find_first_of(" :"), line.size());
    absl::string_view field = line.substr(0, name_end);
    line.remove_prefix(name_end);
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    if (field.empty() || line.empty() || line.front() != ':') return Fail(EPROTO);
    line.remove_prefix(1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
      line.remove_prefix(1);
    }
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) {
      line.remove_suffix(1);
    }
    if (!CopyOut(field, name, namelen) || !CopyOut(line, value, valuelen)) {
      return Fail(EMSGSIZE);
    }
    return 0;
  });
}

}  // namespace socketsvc::libdill
