#include "service/policy/policy.h"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <type_traits>

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/socket_error.h"
#include "socketsvc/v1/policy.pb.h"

namespace socketsvc {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using google::protobuf::FieldDescriptor;
using google::protobuf::TextFormat;

constexpr char kBuiltInAllowRule[] = "builtin-allow";
constexpr size_t kMaxNameLength = 64;
constexpr size_t kMaxPolicyBytes = 4 << 20;

// "[::1]:80", "127.0.0.1:80".
std::string EndpointText(const tcp::endpoint& endpoint) {
  const std::string address = endpoint.address().to_string();
  return endpoint.address().is_v6()
             ? absl::StrCat("[", address, "]:", endpoint.port())
             : absl::StrCat(address, ":", endpoint.port());
}

absl::Status Denied(absl::string_view message) {
  return SocketErrorStatus(absl::StatusCode::kPermissionDenied,
                           v1::SOCKET_ERROR_POLICY_DENIED, message);
}

// --- Parsing ------------------------------------------------------------

// Keeps the first error TextFormat reports.
class FirstError : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (!message_.empty()) return;
    line_ = line;
    column_ = column;
    message_ = message;
  }

  int line() const { return line_; }
  int column() const { return column_; }
  const std::string& message() const { return message_; }

 private:
  int line_ = -1;
  int column_ = -1;
  std::string message_;
};

// Builds the errors of one policy text: "policy FILE: line 3, column 9: ...".
class ErrorBuilder {
 public:
  explicit ErrorBuilder(absl::string_view source) : source_(source) {}

  // `line`/`column` are 0-based as TextFormat reports them; -1: unknown.
  absl::Status At(TextFormat::ParseLocation location,
                  absl::string_view message) const {
    const std::string where =
        location.line < 0
            ? ""
            : absl::StrCat("line ", location.line + 1, ", column ",
                           location.column + 1, ": ");
    return absl::InvalidArgumentError(
        absl::StrCat("policy ", source_, ": ", where, message));
  }

 private:
  const std::string source_;
};

bool IsValidRuleName(absl::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' ||
           c == ':';
  });
}

// A host suffix as written in a file → its stored form (lowercase, no
// trailing dot, a leading dot kept), or an error message.
absl::StatusOr<std::string> ParseHostSuffix(absl::string_view text) {
  std::string suffix = absl::AsciiStrToLower(text);
  if (!suffix.empty() && suffix.back() == '.') suffix.pop_back();
  const absl::string_view labels =
      absl::StripPrefix(absl::string_view(suffix), ".");
  if (labels.empty() || labels.size() > 253) {
    return absl::InvalidArgumentError("is not a host name");
  }
  size_t label_start = 0;
  for (size_t i = 0; i <= labels.size(); ++i) {
    if (i == labels.size() || labels[i] == '.') {
      if (i == label_start || i - label_start > 63) {
        return absl::InvalidArgumentError("has an empty or overlong label");
      }
      label_start = i + 1;
      continue;
    }
    const char c = labels[i];
    if (!absl::ascii_isalnum(c) && c != '-' && c != '_') {
      return absl::InvalidArgumentError(
          absl::StrCat("has a character not allowed in host names: '",
                       std::string(1, c), "'"));
    }
  }
  const size_t dot = labels.rfind('.');
  const absl::string_view last =
      dot == absl::string_view::npos ? labels : labels.substr(dot + 1);
  if (absl::ascii_isdigit(last.front())) {
    return absl::InvalidArgumentError(
        "is an address, not a name: addresses go in cidrs");
  }
  return suffix;
}

// --- Compiling ------------------------------------------------------------

// Compiles the rules of one list (egress or listen) into `out`.
template <typename RuleProto, typename Rule>
absl::Status CompileRules(
    const google::protobuf::RepeatedPtrField<RuleProto>& protos,
    absl::string_view kind, const FieldDescriptor* list_field,
    const TextFormat::ParseInfoTree& tree, const ErrorBuilder& errors,
    std::vector<Rule>& out) {
  const google::protobuf::Descriptor* descriptor = RuleProto::descriptor();
  const FieldDescriptor* name_field = descriptor->FindFieldByName("name");
  const FieldDescriptor* action_field = descriptor->FindFieldByName("action");
  const FieldDescriptor* principals_field =
      descriptor->FindFieldByName("principals");
  const FieldDescriptor* cidrs_field = descriptor->FindFieldByName("cidrs");
  const FieldDescriptor* ports_field = descriptor->FindFieldByName("ports");
  // Where each name was first used, for duplicates.
  absl::flat_hash_map<std::string, int> first_line;
  for (int i = 0; i < protos.size(); ++i) {
    const RuleProto& proto = protos.Get(i);
    const TextFormat::ParseLocation rule_at = tree.GetLocation(list_field, i);
    static const TextFormat::ParseInfoTree kEmptyTree;
    const TextFormat::ParseInfoTree* nested =
        tree.GetTreeForNested(list_field, i);
    if (nested == nullptr) nested = &kEmptyTree;
    // Where value `index` of `field` is (-1 for a singular field), else the
    // rule. TextFormat records one location per occurrence of a field, so
    // after list syntax (`cidrs: ["a", "b"]`) indexes no longer line up:
    // then the field's first occurrence is the best guess.
    auto at = [&](const FieldDescriptor* field, int index) {
      TextFormat::ParseLocation location;
      if (!field->is_repeated()) {
        location = nested->GetLocation(field, -1);
      } else if (index >= 0) {
        const int count = proto.GetReflection()->FieldSize(proto, field);
        const bool one_per_value =
            nested->GetLocation(field, count - 1).line >= 0;
        location = nested->GetLocation(field, one_per_value ? index : 0);
      }
      return location.line < 0 ? rule_at : location;
    };

    Rule rule;
    rule.name = proto.name();
    if (rule.name.empty()) {
      return errors.At(rule_at,
                       absl::StrCat(kind, " rule ", i + 1, " has no name"));
    }
    if (!IsValidRuleName(rule.name)) {
      return errors.At(
          at(name_field, -1),
          absl::StrCat(kind, " rule name \"", rule.name,
                       "\": use 1-64 letters, digits, '-', '_', '.', ':'"));
    }
    const std::string described =
        absl::StrCat(kind, " rule \"", rule.name, "\"");
    const auto [seen, inserted] =
        first_line.emplace(rule.name, at(name_field, -1).line + 1);
    if (!inserted) {
      return errors.At(
          at(name_field, -1),
          absl::StrCat(
              described, ": the name is already used",
              seen->second > 0 ? absl::StrCat(" on line ", seen->second) : ""));
    }
    switch (proto.action()) {
      case v1::Policy::ALLOW:
        rule.allow = true;
        break;
      case v1::Policy::DENY:
        rule.allow = false;
        break;
      default:
        return errors.At(
            at(action_field, -1),
            absl::StrCat(described, ": action must be ALLOW or DENY"));
    }
    for (int j = 0; j < proto.principals_size(); ++j) {
      if (proto.principals(j).empty()) {
        return errors.At(at(principals_field, j),
                         absl::StrCat(described, ": a principal is empty"));
      }
      rule.principals.push_back(proto.principals(j));
    }
    for (int j = 0; j < proto.cidrs_size(); ++j) {
      absl::StatusOr<Cidr> cidr = Cidr::Parse(proto.cidrs(j));
      if (!cidr.ok()) {
        return errors.At(
            at(cidrs_field, j),
            absl::StrCat(described, ": cidr ", cidr.status().message()));
      }
      rule.cidrs.push_back(*cidr);
    }
    if constexpr (std::is_same_v<RuleProto, v1::EgressRule>) {
      const FieldDescriptor* suffixes_field =
          descriptor->FindFieldByName("host_suffixes");
      for (int j = 0; j < proto.host_suffixes_size(); ++j) {
        absl::StatusOr<std::string> suffix =
            ParseHostSuffix(proto.host_suffixes(j));
        if (!suffix.ok()) {
          return errors.At(at(suffixes_field, j),
                           absl::StrCat(described, ": host suffix \"",
                                        proto.host_suffixes(j), "\" ",
                                        suffix.status().message()));
        }
        rule.host_suffixes.push_back(*std::move(suffix));
      }
    }
    for (int j = 0; j < proto.ports_size(); ++j) {
      const v1::PortRange& range = proto.ports(j);
      const uint32_t last = range.last() == 0 ? range.first() : range.last();
      if (range.first() > 65535 || last > 65535 || last < range.first()) {
        return errors.At(at(ports_field, j),
                         absl::StrCat(described, ": ports { first: ",
                                      range.first(), " last: ", range.last(),
                                      " } must have first <= last <= 65535"));
      }
      rule.ports.emplace_back(range.first(), last);
    }
    out.push_back(std::move(rule));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<const Policy>> Policy::Parse(
    absl::string_view text, absl::string_view source) {
  const ErrorBuilder errors(source);
  FirstError first_error;
  TextFormat::ParseInfoTree tree;
  TextFormat::Parser parser;
  parser.RecordErrorsTo(&first_error);
  parser.WriteLocationsTo(&tree);
  v1::Policy proto;
  if (!parser.ParseFromString(std::string(text), &proto)) {
    return errors.At(
        TextFormat::ParseLocation(first_error.line(), first_error.column()),
        first_error.message().empty() ? "cannot parse" : first_error.message());
  }
  auto policy = std::make_shared<Policy>();
  policy->source_ = std::string(source);
  const google::protobuf::Descriptor* descriptor = v1::Policy::descriptor();
  absl::Status status = CompileRules(proto.egress(), "egress",
                                     descriptor->FindFieldByName("egress"),
                                     tree, errors, policy->egress_);
  if (status.ok()) {
    status = CompileRules(proto.listen(), "listen",
                          descriptor->FindFieldByName("listen"), tree, errors,
                          policy->listen_);
  }
  if (!status.ok()) return status;
  return std::shared_ptr<const Policy>(std::move(policy));
}

absl::StatusOr<std::shared_ptr<const Policy>> Policy::LoadFile(
    const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return absl::InvalidArgumentError(
        absl::StrCat("policy ", path, ": cannot read: ", std::strerror(errno)));
  }
  std::ostringstream contents;
  contents << file.rdbuf();
  if (file.bad()) {
    return absl::InvalidArgumentError(
        absl::StrCat("policy ", path, ": cannot read: ", std::strerror(errno)));
  }
  const std::string text = contents.str();
  if (text.size() > kMaxPolicyBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "policy ", path, ": larger than ", kMaxPolicyBytes, " bytes"));
  }
  return Parse(text, path);
}

std::shared_ptr<const Policy> Policy::BuiltIn() {
  auto policy = std::make_shared<Policy>();
  Rule link_local;
  link_local.name = kLinkLocalRule;
  link_local.allow = false;
  // 169.254.169.254 is the metadata service of most clouds (fd00:ec2::254 is
  // AWS's over IPv6); all of link-local is a host's neighbourhood, not the
  // Internet. IPv4-mapped forms (::ffff:169.254.0.0/112) are covered because
  // addresses are judged in canonical form.
  for (const char* text : {"169.254.0.0/16", "fe80::/10", "fd00:ec2::254"}) {
    link_local.cidrs.push_back(*Cidr::Parse(text));
  }
  Rule allow;
  allow.name = kBuiltInAllowRule;
  allow.allow = true;
  policy->egress_ = {link_local, allow};
  policy->listen_ = {allow};
  return policy;
}

std::shared_ptr<const Policy> Policy::WithSelf(
    std::shared_ptr<const SelfEndpoints> self) const {
  auto copy = std::make_shared<Policy>(*this);
  copy->self_ = std::move(self);
  return copy;
}

const Policy::Rule* Policy::FirstMatch(const std::vector<Rule>& rules,
                                       absl::string_view principal,
                                       absl::string_view host,
                                       const tcp::endpoint& endpoint) {
  for (const Rule& rule : rules) {
    if (!rule.principals.empty() &&
        std::find(rule.principals.begin(), rule.principals.end(), principal) ==
            rule.principals.end()) {
      continue;
    }
    if (!rule.cidrs.empty() &&
        std::none_of(rule.cidrs.begin(), rule.cidrs.end(), [&](const Cidr& c) {
          return c.Contains(endpoint.address());
        })) {
      continue;
    }
    if (!rule.host_suffixes.empty() &&
        std::none_of(rule.host_suffixes.begin(), rule.host_suffixes.end(),
                     [&](const std::string& suffix) {
                       return HostMatchesSuffix(host, suffix);
                     })) {
      continue;
    }
    if (!rule.ports.empty() &&
        std::none_of(rule.ports.begin(), rule.ports.end(),
                     [&](const std::pair<uint16_t, uint16_t>& range) {
                       return range.first <= endpoint.port() &&
                              endpoint.port() <= range.second;
                     })) {
      continue;
    }
    return &rule;
  }
  return nullptr;
}

absl::Status Policy::CheckEgress(absl::string_view principal,
                                 absl::string_view host,
                                 const tcp::endpoint& endpoint) const {
  const std::string target = EndpointText(endpoint);
  if (self_ && self_->IsSelf(endpoint)) {
    return Denied(absl::StrCat("policy rule \"", kSelfRule, "\" denies ",
                               target, ": socketd's own gRPC port"));
  }
  const Rule* rule = FirstMatch(egress_, principal, host, endpoint);
  if (rule == nullptr) {
    return Denied(absl::StrCat("no policy rule allows ", target,
                               " for principal \"", principal,
                               "\" (default deny)"));
  }
  if (!rule->allow) {
    return Denied(
        absl::StrCat("policy rule \"", rule->name, "\" denies ", target));
  }
  return absl::OkStatus();
}

absl::Status Policy::CheckListen(absl::string_view principal,
                                 const tcp::endpoint& bind) const {
  const std::string target = EndpointText(bind);
  if (self_ && self_->IsOwnPort(bind.port())) {
    return Denied(absl::StrCat("policy rule \"", kSelfRule,
                               "\" denies listening on ", target,
                               ": socketd's own gRPC port"));
  }
  const Rule* rule = FirstMatch(listen_, principal, "", bind);
  if (rule == nullptr) {
    return Denied(absl::StrCat("no policy rule allows listening on ", target,
                               " for principal \"", principal,
                               "\" (default deny)"));
  }
  if (!rule->allow) {
    return Denied(absl::StrCat("policy rule \"", rule->name,
                               "\" denies listening on ", target));
  }
  return absl::OkStatus();
}

}  // namespace socketsvc
