// socketctl's TLS side: TlsOptions from the --tls_* flags (reading the PEM
// files locally) and the text shown for a TlsInfo.
#ifndef SOCKETSVC_CLIENT_SOCKETCTL_TLS_H_
#define SOCKETSVC_CLIENT_SOCKETCTL_TLS_H_

#include <string>

#include "absl/status/statusor.h"
#include "socketsvc/v1/sockets.pb.h"

namespace socketsvc::socketctl {

// True if any TLS setting other than --tls is given (--tls_skip_verify,
// --tls_server_name, --tls_ca, --tls_cert, --tls_key, --alpn,
// --tls_min_version).
bool TlsSettingsGiven();

// TlsOptions (enabled = true) from the flags. --tls_ca, --tls_cert and
// --tls_key name PEM files that are read here and sent by value. Fails with
// INVALID_ARGUMENT and a message for people (a usage error) on an unreadable
// or empty file, --tls_cert without --tls_key or the other way round, an
// empty --alpn entry or a bad --tls_min_version.
absl::StatusOr<v1::TlsOptions> TlsOptionsFromFlags();

// One line, no newline: "tls TLSv1.3 TLS_AES_256_GCM_SHA384 verified
// peer=CN=example.test alpn=h2" ("unverified" under --tls_skip_verify;
// " alpn=..." only when one was negotiated).
std::string TlsSummary(const v1::TlsInfo& tls);

// "tls.KEY: VALUE" lines, each ending in a newline, for `info`: version,
// cipher, alpn (when negotiated), server_name, verified, peer_subject,
// peer_issuer, peer_sans (comma-separated), peer_not_before/after (UTC).
std::string TlsInfoLines(const v1::TlsInfo& tls);

}  // namespace socketsvc::socketctl

#endif  // SOCKETSVC_CLIENT_SOCKETCTL_TLS_H_
