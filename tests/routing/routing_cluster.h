// Three socketd processes on loopback that forward to each other, as a
// StatefulSet of three would: replica ids 0, 1 and 2, each with a peer
// listener secured by mutual TLS (certificates of a throwaway peer CA), and
// bearer tokens for two principals. Replica 0 forwards to 1 and 2, replica
// 1 to 2 (each peer address must be known when a replica starts, and the
// peer ports are picked by the kernel: 2 starts first, then 1, then 0).
#ifndef SOCKETSVC_TESTS_ROUTING_ROUTING_CLUSTER_H_
#define SOCKETSVC_TESTS_ROUTING_ROUTING_CLUSTER_H_

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/client.h"
#include "common/socket_error.h"
#include "gtest/gtest.h"
#include "tests/e2e/socketd_process.h"
#include "tests/tls/certificate_authority.h"
#include "tests/tls/subprocess.h"

namespace socketsvc::routing_test {

inline constexpr char kAliceToken[] = "alice-token-0123456789abcdef";
inline constexpr char kBobToken[] = "bob-token-0123456789abcdef";

// Asserts that `status` failed with `code` and carries `error`.
inline ::testing::AssertionResult HasError(const absl::Status& status,
                                           absl::StatusCode code, v1::SocketError error) {
  if (status.code() == code && GetSocketError(status) == error) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "got " << status << " with " << v1::SocketError_Name(GetSocketError(status))
         << ", want " << absl::StatusCodeToString(code) << " with "
         << v1::SocketError_Name(error);
}

class RoutingCluster {
 public:
  RoutingCluster() {
    absl::StatusOr<std::unique_ptr<tls::CertificateAuthority>> ca =
        tls::CertificateAuthority::Create("socketd peer CA");
    if (!ca.ok()) {
      ADD_FAILURE() << ca.status();
      return;
    }
    peer_ca_ = std::move(*ca);
    absl::StatusOr<tls::IssuedCertificate> cert =
        peer_ca_->IssuePeerCert({"localhost"}, {"127.0.0.1"});
    if (!cert.ok()) {
      ADD_FAILURE() << cert.status();
      return;
    }
    peer_cert_ = *std::move(cert);
    tokens_file_ = dir_.File("tokens");
    EXPECT_TRUE(tls::WriteFile(
        tokens_file_, absl::StrCat(kAliceToken, " alice\n", kBobToken, " bob\n")));
    chmod(tokens_file_.c_str(), 0600);
    replicas_.resize(3);
    peer_ports_.resize(3);
    Start(2, "");
    Start(1, absl::StrCat("2=127.0.0.1:", peer_ports_[2]));
    Start(0,
          absl::StrCat("1=127.0.0.1:", peer_ports_[1], ",2=127.0.0.1:", peer_ports_[2]));
  }

  // Stops every replica still running with SIGTERM: each must drain and
  // exit 0 (under ASan also without a leak), forwarding and peer listener
  // included.
  ~RoutingCluster() {
    for (size_t id = 0; id < replicas_.size(); ++id) {
      if (replicas_[id] == nullptr || replicas_[id]->pid() <= 0) continue;
      const int status = replicas_[id]->SignalAndWait(SIGTERM, 20000);
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
          << "replica " << id << " ended with status " << status << ":\n"
          << replicas_[id]->stderr_text();
    }
  }

  bool started() const {
    for (const auto& replica : replicas_) {
      if (replica == nullptr || !replica->started()) return false;
    }
    return true;
  }

  e2e::SocketdProcess& replica(int id) { return *replicas_[id]; }

  // Every replica's stderr, for a failed test's log.
  std::string StderrOfAll() const {
    std::string all;
    for (size_t id = 0; id < replicas_.size(); ++id) {
      if (replicas_[id] == nullptr) continue;
      absl::StrAppend(&all, "--- replica ", id, " stderr:\n",
                      replicas_[id]->stderr_text());
    }
    return all;
  }
  int peer_port(int id) const { return peer_ports_[id]; }
  const tls::CertificateAuthority& peer_ca() const { return *peer_ca_; }
  const tls::IssuedCertificate& peer_cert() const { return peer_cert_; }

  // A client of replica `id` with `token`.
  Client ClientOf(int id, const std::string& token) const {
    ClientCredentialsOptions credentials;
    credentials.bearer_token = token;
    return Client::Create(replicas_[id]->target(), credentials);
  }

 private:
  void Start(int id, const std::string& peers) {
    std::vector<std::string> flags = {
        absl::StrCat("--replica_id=", id),
        "--tokens_file=" + tokens_file_,
        "--peer_listen=127.0.0.1:0",
        "--peer_tls_cert=" + peer_cert_.cert_path,
        "--peer_tls_key=" + peer_cert_.key_path,
        "--peer_ca=" + peer_ca_->cert_path(),
        "--audit_log=false",
        "--drain_timeout_ms=1000",
    };
    if (!peers.empty()) flags.push_back("--peers=" + peers);
    replicas_[id] = std::make_unique<e2e::SocketdProcess>(flags);
    e2e::SocketdProcess& replica = *replicas_[id];
    if (!replica.started() ||
        !replica.WaitForStderr("peer listener on 127.0.0.1:", 10000)) {
      ADD_FAILURE() << "replica " << id << " did not start:\n" << replica.stderr_text();
      return;
    }
    // The line may have arrived in pieces: wait for its end.
    std::string text;
    size_t at = std::string::npos, eol = std::string::npos;
    for (int i = 0; i < 500 && eol == std::string::npos; ++i) {
      if (i > 0) absl::SleepFor(absl::Milliseconds(10));
      text = replica.stderr_text();
      at = text.find("peer listener on 127.0.0.1:") + 27;
      eol = text.find('\n', at);
    }
    if (eol == std::string::npos ||
        !absl::SimpleAtoi(text.substr(at, eol - at), &peer_ports_[id])) {
      ADD_FAILURE() << "no peer port in:\n" << text;
    }
  }

  tls::TempDir dir_{"routing"};
  std::unique_ptr<tls::CertificateAuthority> peer_ca_;
  tls::IssuedCertificate peer_cert_;
  std::string tokens_file_;
  std::vector<std::unique_ptr<e2e::SocketdProcess>> replicas_;
  std::vector<int> peer_ports_;
};

}  // namespace socketsvc::routing_test

#endif  // SOCKETSVC_TESTS_ROUTING_ROUTING_CLUSTER_H_
