#include "choreo/contracts/error.hpp"

namespace choreo::contracts {
namespace {

std::string Describe(const std::string& path, const std::string& reason) {
  return (path.empty() ? std::string("message") : "field '" + path + "'") + ": " + reason;
}

}  // namespace

std::string_view ToString(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kNotJson: return "not_json";
    case ErrorKind::kNotObject: return "not_object";
    case ErrorKind::kMissingField: return "missing_field";
    case ErrorKind::kWrongType: return "wrong_type";
    case ErrorKind::kInvalidValue: return "invalid_value";
    case ErrorKind::kUnknownType: return "unknown_type";
    case ErrorKind::kUnknownVersion: return "unknown_version";
    case ErrorKind::kTooLarge: return "too_large";
    case ErrorKind::kTooDeep: return "too_deep";
  }
  return "unknown";
}

ContractError::ContractError(ErrorKind kind, std::string path, std::string reason)
    : std::runtime_error(Describe(path, reason)),
      kind_(kind),
      path_(std::move(path)),
      reason_(std::move(reason)) {}

ContractError ContractError::Nested(std::string_view segment) const {
  return ContractError(kind_, "/" + EscapePointerToken(segment) + path_, reason_);
}

std::string EscapePointerToken(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace choreo::contracts
