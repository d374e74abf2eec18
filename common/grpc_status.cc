#include "common/grpc_status.h"

#include <algorithm>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "common/socket_error.h"
#include "socketsvc/v1/errors.pb.h"

namespace socketsvc {
namespace {

// Length of the well-formed UTF-8 character at the start of `text`
// (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF), or
// 0 if there is none.
size_t Utf8CharLength(absl::string_view text) {
  const auto byte = [&text](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  size_t length = 0;
  unsigned char low = 0x80, high = 0xbf;  // Range of the second byte.
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead == 0xe0) low = 0xa0;
    if (lead == 0xed) high = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead == 0xf0) low = 0x90;
    if (lead == 0xf4) high = 0x8f;
  } else {
    return 0;
  }
  if (text.size() < length || byte(1) < low || byte(1) > high) return 0;
  for (size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xbf) return 0;
  }
  return length;
}

}  // namespace

std::string EdgeMessage(absl::string_view message) {
  std::string out;
  size_t at = 0;
  while (at < message.size()) {
    const size_t length = Utf8CharLength(message.substr(at));
    if (out.size() + std::max<size_t>(length, 1) > kMaxEdgeMessageBytes) break;
    if (length == 0) {
      out.push_back('?');
      ++at;
    } else {
      out.append(message.data() + at, length);
      at += length;
    }
  }
  if (at < message.size()) absl::StrAppend(&out, "...(", message.size(), " bytes)");
  return out;
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const auto code = static_cast<grpc::StatusCode>(status.code());
  const std::string message = EdgeMessage(status.message());
  std::optional<v1::ErrorDetail> detail = GetErrorDetail(status);
  if (!detail) return grpc::Status(code, message);
  v1::Status wire;
  wire.set_code(static_cast<int>(status.code()));
  wire.set_message(message);
  wire.add_details()->PackFrom(*detail);
  return grpc::Status(code, message, wire.SerializeAsString());
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  absl::Status result(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
  v1::Status wire;
  if (status.error_details().empty() ||
      !wire.ParseFromString(status.error_details())) {
    return result;
  }
  for (const auto& any : wire.details()) {
    v1::ErrorDetail detail;
    if (any.UnpackTo(&detail)) {
      result.SetPayload(kErrorDetailTypeUrl,
                        absl::Cord(detail.SerializeAsString()));
      break;
    }
  }
  return result;
}

}  // namespace socketsvc
