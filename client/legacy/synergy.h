// Synergy DBL's HTTP document transport API, server side
// (%HTTP_SERVER_CREATE, %HTTP_SERVER_RECEIVE, %HTTP_SERVER_SEND,
// %HTTP_SERVER_DELETE), over socketd's HTTP server instances: socketd
// listens, parses and keeps the connections; these routines take requests
// and answer them.
//
//   socketsvc::synergy::Use(socketsvc::Client::Create("127.0.0.1:50051"));
//   using namespace socketsvc::synergy;
//   D_HANDLE id;
//   std::string error, uri, method, body;
//   int length;
//   if (HTTP_SERVER_CREATE(id, 8080, error) != 0) { /* error says why */ }
//   while (HTTP_SERVER_RECEIVE(id, uri, method, 0, body, length, error) == 0) {
//     std::string page = "hello " + uri;
//     HTTP_SERVER_SEND(id, 200, "OK", page, page.size(), error);
//   }
//   HTTP_SERVER_DELETE(id);
//
// The routines keep DBL's names, argument order, optional arguments (as C++
// default arguments or overloads) and return convention: 0 on success,
// otherwise one of the error numbers below, with `error` set to its text
// (blank on success). Output arguments are references; "memory handles" are
// std::string values that own their bytes (nothing to free). What differs
// from Synergy, and why, is in docs/legacy.md ("Synergy").
//
// Thread-safety: every routine may be called from any thread. Several
// threads may call HTTP_SERVER_RECEIVE on one instance at once ("fork" as
// concurrent receivers): each request goes to exactly one of them, and
// HTTP_SERVER_SEND answers the request the *calling thread* received last.
#ifndef SOCKETSVC_CLIENT_LEGACY_SYNERGY_H_
#define SOCKETSVC_CLIENT_LEGACY_SYNERGY_H_

#include <functional>
#include <string>
#include <vector>

#include "client/client.h"

namespace socketsvc::synergy {

// An HTTP server instance, as %HTTP_SERVER_CREATE returns it (> 0).
using D_HANDLE = int;

// Where instances listen. Synergy listens on every interface; socketd's
// listen policy may allow less, so the addresses are settable.
struct Options {
  std::string ipv4_bind_address = "0.0.0.0";  // IP_flag = 0
  std::string any_bind_address = "::";        // IP_flag != 0 (IPv4 and IPv6)
};

// Binds the routines to `client` (once, at start-up). Instances keep the
// client and options they were created with.
void Use(const Client& client, Options options = {});

// Error numbers (the return value) and the text `error` starts with; a
// detail from socketd may follow after ": ".
enum HttpError : int {
  HTTP_OK = 0,
  HTTP_ERR_INVALID_INSTANCE = 1,     // "Invalid HTTP server instance"
  HTTP_ERR_INVALID_ARGUMENT = 2,     // "Invalid argument"
  HTTP_ERR_INVALID_PROTOCOL = 3,     // "Invalid SSL protocol specified"
  HTTP_ERR_CERT_FILE = 4,            // "Cannot use certificate file"
  HTTP_ERR_CA_FILE = 5,              // "Cannot use CA file"
  HTTP_ERR_PORT_IN_USE = 6,          // "Port already in use"
  HTTP_ERR_TIMEOUT = 7,              // "Timed out waiting for a request"
  HTTP_ERR_NO_REQUEST = 8,           // "No request to respond to"
  HTTP_ERR_CONNECTION_CLOSED = 9,    // "Client closed the connection"
  HTTP_ERR_REQUEST_EXPIRED = 10,     // "Request no longer awaits a response"
  HTTP_ERR_SERVER_DELETED = 11,      // "HTTP server instance was deleted"
  HTTP_ERR_LOG_FILE = 12,            // "Cannot open log file"
  HTTP_ERR_FORK = 13,                // "Cannot create child"
  HTTP_ERR_PERMISSION_DENIED = 14,   // "Not allowed by socketd's policy"
  HTTP_ERR_RESOURCE_LIMIT = 15,      // "Resource limit reached"
  HTTP_ERR_SEND_FAILED = 16,         // "Cannot send the response"
  HTTP_ERR_SERVICE_UNAVAILABLE = 17, // "Cannot reach socketd"
  HTTP_ERR_NOT_BOUND = 18,           // "socketsvc::synergy::Use was not called"
  HTTP_ERR_INTERNAL = 19,            // "Internal error"
};

// SSL/TLS versions for HTTP_SERVER_CREATE's `protocols`, added as in DBL
// (SSLVER_TLS1_1+SSLVER_TLS1_2). The values are this SDK's own: Synergy's
// synxml.def could not be consulted. 0 means the default (SSLVER_TLS1_2).
inline constexpr int SSLVER_SSL2 = 0x01;
inline constexpr int SSLVER_SSL3 = 0x02;
inline constexpr int SSLVER_TLS1 = 0x04;
inline constexpr int SSLVER_TLS1_1 = 0x08;
inline constexpr int SSLVER_TLS1_2 = 0x10;
inline constexpr int SSLVER_ALL = 0x20;  // every version socketd serves

// The text of an error number ("" for HTTP_OK, "Unknown error" otherwise).
const char* HTTP_ERROR_TEXT(int error_number);

// %HTTP_SERVER_CREATE: starts an HTTP server on `port` (0: any free port,
// see BoundPort). `cert_file` (PEM: certificate chain and private key)
// makes it HTTPS-only; `CA_file` (PEM) then requires client certificates
// issued by those CAs. `protocols`: SSLVER_* constants added
// together; one below SSLVER_TLS1_1 is HTTP_ERR_INVALID_PROTOCOL. `ciphers` is accepted and not applied.
// IP_flag 0: IPv4 only; otherwise IPv4 and IPv6.
int HTTP_SERVER_CREATE(D_HANDLE& instance_id, int port, std::string& error,
                       int protocols = 0,
                       const std::string& ciphers = "",
                       const std::string& cert_file = "",
                       const std::string& CA_file = "", int IP_flag = 0);

// %HTTP_SERVER_RECEIVE: waits up to `timeout` seconds (0: forever) for the
// next request. `handle` receives the request body, `length` its size,
// `headers` (if given) one "name:value" string per header in arrival
// order. `log_file` (if not empty) gets the request appended, raw.
int HTTP_SERVER_RECEIVE(D_HANDLE instance_id, std::string& uri, std::string& method,
                        int timeout, std::string& handle, int& length,
                        std::string& error, std::vector<std::string>* headers = nullptr,
                        const std::string& log_file = "");
// The same with `timeout` omitted (0: wait forever).
int HTTP_SERVER_RECEIVE(D_HANDLE instance_id, std::string& uri, std::string& method,
                        std::string& handle, int& length, std::string& error,
                        std::vector<std::string>* headers = nullptr,
                        const std::string& log_file = "");

// What a child gets: the output arguments of HTTP_SERVER_RECEIVE.
struct ChildRequest {
  std::string uri;
  std::string method;
  std::string handle;  // the body
  int length = 0;
  std::vector<std::string> headers;
};
// The code a forked child runs after HTTP_SERVER_RECEIVE returned 0 with
// fork = 0. It answers with HTTP_SERVER_SEND(instance_id, ...) on its own
// thread.
using ChildRoutine = std::function<void(const ChildRequest&)>;

// With `fork` (UNIX only in Synergy): 0 behaves as above. 1 and 2 make the
// calling thread the parent that keeps taking requests, running `child`
// for each on a new thread (the "child process"). With 1 the parent
// returns 0 with fork = 1 once `timeout` seconds have passed since the call
// (timeout 0: it never returns, like 2); with 2 it returns only on an
// error. fork = -1 when a child could not be started (HTTP_ERR_FORK).
int HTTP_SERVER_RECEIVE(D_HANDLE instance_id, std::string& uri, std::string& method,
                        int timeout, std::string& handle, int& length,
                        std::string& error, std::vector<std::string>* headers,
                        const std::string& log_file, int& fork,
                        const ChildRoutine& child);

// %HTTP_SERVER_SEND: answers the calling thread's current request with
// `status` and `reason`; the body is the first `length` bytes of `handle`
// (0: none). `headers`: "name:value" strings. `version` "1.0" (default) or
// "1.1"; `dont_close` nonzero keeps the connection open (keep-alive),
// otherwise it closes after the response.
int HTTP_SERVER_SEND(D_HANDLE instance_id, int status, const std::string& reason,
                     const std::string& handle, int length, std::string& error,
                     const std::vector<std::string>& headers = {},
                     const std::string& log_file = "",
                     const std::string& version = "1.0", int dont_close = 0);

// %HTTP_SERVER_DELETE: stops the server; requests not yet answered get 503;
// waits for the instance's children to finish.
int HTTP_SERVER_DELETE(D_HANDLE instance_id);
int HTTP_SERVER_DELETE(D_HANDLE instance_id, std::string& error);

// Not in Synergy: the port an instance listens on (useful with port 0), or
// -1 for an unknown instance.
int BoundPort(D_HANDLE instance_id);

}  // namespace socketsvc::synergy

#endif  // SOCKETSVC_CLIENT_LEGACY_SYNERGY_H_
