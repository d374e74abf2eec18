// Malformed request bytes for every field type of a SocketService request:
// garbage handles, out-of-range numbers, unknown enum values, empty, huge,
// NUL- and non-UTF-8 strings, random bytes and mutilated encodings. Seeded,
// so a failure can be reproduced.
#ifndef SOCKETSVC_TESTS_E2E_GARBAGE_REQUESTS_H_
#define SOCKETSVC_TESTS_E2E_GARBAGE_REQUESTS_H_

#include <climits>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/reflection.h>

#include "absl/strings/str_cat.h"

namespace socketsvc::e2e {

namespace pb = google::protobuf;

// Values that are wrong in every way a field can be wrong, or right, for the
// request to get further into socketd before it fails.
class Garbage {
 public:
  Garbage(uint64_t seed, std::vector<std::string> real_handles)
      : rng_(seed), real_handles_(std::move(real_handles)) {}

  bool OneIn(int n) { return Below(n) == 0; }
  uint64_t Below(uint64_t n) { return rng_() % n; }

  std::string Bytes(size_t max) {
    std::string out(Below(max + 1), '\0');
    for (char& c : out) c = static_cast<char>(rng_());
    return out;
  }

  std::string Handle() {
    static const char* const kKinds[] = {"s", "l", "h", "r", "x", ""};
    switch (Below(8)) {
      case 0:
        return "";
      case 1:
      case 2: {  // Well-formed, unknown, sometimes another replica's.
        std::string hex;
        for (int i = 0; i < 32; ++i) hex.push_back("0123456789abcdef"[Below(16)]);
        return absl::StrCat(kKinds[Below(6)], OneIn(4) ? "2" : "1", ".", hex);
      }
      case 3:
        if (!real_handles_.empty()) return real_handles_[Below(real_handles_.size())];
        return "s1.";
      case 4:  // A real handle, slightly off.
        if (!real_handles_.empty()) {
          std::string h = real_handles_[Below(real_handles_.size())];
          h[Below(h.size())] ^= static_cast<char>(1 + Below(127));
          return h;
        }
        return "l";
      default:
        return String();
    }
  }

  std::string Host() {
    static const char* const kHosts[] = {
        "127.0.0.1", "::1",       "[::1]",   "0.0.0.0", "::",  "localhost",
        "999.1.1.1", "127.0.0.1:80", "[::1", "fe80::1%lo", "1.2.3", "-",
    };
    if (OneIn(3)) return String();
    return kHosts[Below(sizeof(kHosts) / sizeof(kHosts[0]))];
  }

  // Any string: empty, short text, control bytes, NUL, invalid UTF-8, huge.
  std::string String() {
    switch (Below(10)) {
      case 0:
        return "";
      case 1:
        return std::string(Below(3) + 1, '\0');
      case 2:
        return "\xff\xfe\xc3";  // Not UTF-8: gRPC refuses the request.
      case 3:
        return std::string(256 + Below(2000), 'a');
      case 4:
        if (OneIn(20)) return std::string(1 << 20, 'z');  // 1 MiB
        return std::string(70000, 'b');
      case 5:
        return "http";
      case 6:
        return "\r\n\t :/?#[]@!$&'()*+,;=%00";
      default: {
        std::string out = Bytes(24);
        // Mostly printable, so that it stays UTF-8 and reaches the handler.
        if (!OneIn(4)) {
          for (char& c : out) c = static_cast<char>(0x20 + (c & 0x3f));
        }
        return out;
      }
    }
  }

  int64_t Int64() {
    static const int64_t kValues[] = {0,        1,         -1,       -2,
                                      65535,    65536,     INT32_MAX, INT32_MIN,
                                      UINT32_MAX, INT64_MAX, INT64_MIN, 100};
    if (OneIn(4)) return static_cast<int64_t>(rng_());
    return kValues[Below(sizeof(kValues) / sizeof(kValues[0]))];
  }

  // Fills `message` with garbage: each field set with some probability,
  // recursing into sub-messages.
  void Fill(pb::Message& message, int depth = 0) {
    const pb::Descriptor* type = message.GetDescriptor();
    const pb::Reflection* reflection = message.GetReflection();
    for (int i = 0; i < type->field_count(); ++i) {
      const pb::FieldDescriptor* field = type->field(i);
      if (OneIn(3)) continue;
      if (field->is_repeated()) {
        const int n = OneIn(10) ? 200 : static_cast<int>(Below(4));
        // Requests stay "huge (up to 1 MiB)": 200 entries of 70 KB strings
        // (Poll items, ServerSend headers) would make 14 MB messages, whose
        // decoding alone raises socketd's RSS high-water mark above what
        // the flood's RSS check allows for.
        for (int k = 0; k < n && message.ByteSizeLong() <= (1u << 20); ++k) {
          Add(message, *reflection, field, depth);
        }
      } else {
        Set(message, *reflection, field, depth);
      }
    }
  }

  // Raw bytes for one request of `type`: garbage through reflection,
  // mutilated encodings, or random bytes.
  std::string Request(const pb::Message& prototype) {
    switch (Below(10)) {
      case 0:
        return Bytes(OneIn(10) ? 4096 : 48);
      case 1:
      case 2: {
        std::unique_ptr<pb::Message> message(prototype.New());
        Fill(*message);
        std::string wire = message->SerializeAsString();
        if (wire.empty()) return Bytes(16);
        switch (Below(3)) {
          case 0:  // Truncated.
            wire.resize(Below(wire.size()));
            break;
          case 1:  // Bytes flipped.
            for (int k = 0; k < 3; ++k) wire[Below(wire.size())] ^= 1 << Below(8);
            break;
          default:  // Garbage inserted.
            wire.insert(Below(wire.size()), Bytes(8));
            break;
        }
        return wire;
      }
      default: {
        std::unique_ptr<pb::Message> message(prototype.New());
        Fill(*message);
        return message->SerializeAsString();
      }
    }
  }

 private:
  static bool IsHandleField(const pb::FieldDescriptor* field) {
    const std::string& name = field->name();
    return name == "handle" || name == "listener" || name == "server_id" ||
           name == "request_handle";
  }
  static bool IsHostField(const pb::FieldDescriptor* field) {
    const std::string& name = field->name();
    return name == "host" || name == "name" || name == "bind_address" ||
           name == "server_name";
  }

  std::string StringFor(const pb::FieldDescriptor* field) {
    if (IsHandleField(field)) return Handle();
    if (IsHostField(field) && !OneIn(4)) return Host();
    if (field->type() == pb::FieldDescriptor::TYPE_BYTES && OneIn(2)) {
      return Bytes(OneIn(10) ? 65536 : 64);
    }
    return String();
  }

  int EnumNumber(const pb::FieldDescriptor* field) {
    const pb::EnumDescriptor* e = field->enum_type();
    if (OneIn(2)) return e->value(static_cast<int>(Below(e->value_count())))->number();
    static const int kInvalid[] = {-1, 99, INT_MAX, INT_MIN, 4, 5};
    return kInvalid[Below(6)];
  }

  void Set(pb::Message& m, const pb::Reflection& r, const pb::FieldDescriptor* f,
           int depth) {
    using F = pb::FieldDescriptor;
    switch (f->cpp_type()) {
      case F::CPPTYPE_INT32:
        r.SetInt32(&m, f, static_cast<int32_t>(Int64()));
        break;
      case F::CPPTYPE_INT64:
        r.SetInt64(&m, f, Int64());
        break;
      case F::CPPTYPE_UINT32:
        r.SetUInt32(&m, f, static_cast<uint32_t>(Int64()));
        break;
      case F::CPPTYPE_UINT64:
        r.SetUInt64(&m, f, static_cast<uint64_t>(Int64()));
        break;
      case F::CPPTYPE_DOUBLE:
        r.SetDouble(&m, f, static_cast<double>(Int64()));
        break;
      case F::CPPTYPE_FLOAT:
        r.SetFloat(&m, f, static_cast<float>(Int64()));
        break;
      case F::CPPTYPE_BOOL:
        r.SetBool(&m, f, OneIn(2));
        break;
      case F::CPPTYPE_ENUM:
        r.SetEnumValue(&m, f, EnumNumber(f));
        break;
      case F::CPPTYPE_STRING:
        r.SetString(&m, f, StringFor(f));
        break;
      case F::CPPTYPE_MESSAGE:
        if (depth < 3) Fill(*r.MutableMessage(&m, f), depth + 1);
        break;
    }
  }

  void Add(pb::Message& m, const pb::Reflection& r, const pb::FieldDescriptor* f,
           int depth) {
    using F = pb::FieldDescriptor;
    switch (f->cpp_type()) {
      case F::CPPTYPE_INT32:
        r.AddInt32(&m, f, static_cast<int32_t>(Int64()));
        break;
      case F::CPPTYPE_INT64:
        r.AddInt64(&m, f, Int64());
        break;
      case F::CPPTYPE_UINT32:
        r.AddUInt32(&m, f, static_cast<uint32_t>(Int64()));
        break;
      case F::CPPTYPE_UINT64:
        r.AddUInt64(&m, f, static_cast<uint64_t>(Int64()));
        break;
      case F::CPPTYPE_DOUBLE:
        r.AddDouble(&m, f, static_cast<double>(Int64()));
        break;
      case F::CPPTYPE_FLOAT:
        r.AddFloat(&m, f, static_cast<float>(Int64()));
        break;
      case F::CPPTYPE_BOOL:
        r.AddBool(&m, f, OneIn(2));
        break;
      case F::CPPTYPE_ENUM:
        r.AddEnumValue(&m, f, EnumNumber(f));
        break;
      case F::CPPTYPE_STRING:
        r.AddString(&m, f, StringFor(f));
        break;
      case F::CPPTYPE_MESSAGE:
        if (depth < 3) Fill(*r.AddMessage(&m, f), depth + 1);
        break;
    }
  }

  std::mt19937_64 rng_;
  const std::vector<std::string> real_handles_;
};

}  // namespace socketsvc::e2e

#endif  // SOCKETSVC_TESTS_E2E_GARBAGE_REQUESTS_H_
