#include "choreo/contracts/validation.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <stdexcept>
#include <utility>

#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "choreo/contracts/catalog.hpp"
#include "choreo/contracts/embedded.hpp"

namespace choreo::contracts {
namespace {

using SchemaKey = std::pair<std::string, int>;  // (event type, major version)

// "inventory.reserved/v1.json" -> {"inventory.reserved", 1}; nullopt for other files
// (shared definitions such as common/v1.json).
std::optional<SchemaKey> KeyOf(std::string_view path) {
  const auto slash = path.rfind('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const std::string_view file = path.substr(slash + 1);
  if (file.size() < 7 || file[0] != 'v' || !file.ends_with(".json")) return std::nullopt;
  const auto major = ParseVersion(std::string(file.substr(1, file.size() - 6)) + ".0");
  if (!major) return std::nullopt;
  std::string type(path.substr(0, slash));
  if (FindEvent(type) == nullptr) return std::nullopt;
  return SchemaKey{std::move(type), major->major};
}

// valijson checks "format": "date-time" by compiling a std::regex on every check, which
// made schema validation the largest cost of handling a message (about 1 ms of CPU). The
// same expression as a "pattern" is compiled once per validator and cached. Only the
// calendar check of valijson's format (no February 30) is lost; RFC 3339 parsing where
// times are used (contracts/time) still refuses such dates.
void CacheableDateTimes(nlohmann::json& node) {
  static const std::string kDateTimePattern =
      "^([0-9]+)-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9]|60)"
      "(\\.[0-9]+)?(([Zz])|([\\+|\\-]([01][0-9]|2[0-3]):[0-5][0-9]))$";
  if (node.is_object()) {
    const auto format = node.find("format");
    if (format != node.end() && *format == "date-time" && !node.contains("pattern")) {
      node.erase("format");
      node["pattern"] = kDateTimePattern;
    }
    for (auto& [key, child] : node.items()) CacheableDateTimes(child);
  } else if (node.is_array()) {
    for (auto& child : node) CacheableDateTimes(child);
  }
}

const nlohmann::json* FetchDocument(const std::string& uri) {
  // Schemas reference siblings relatively ("../common/v1.json") so that editors and
  // AsyncAPI tooling resolve them on disk; here the embedded copy stands in for the file.
  std::string_view path = uri;
  while (path.starts_with("../") || path.starts_with("./")) path.remove_prefix(path.find('/') + 1);
  const auto text = SchemaDocument(path);
  if (!text) return nullptr;
  auto* document = new nlohmann::json(nlohmann::json::parse(*text));
  CacheableDateTimes(*document);
  return document;
}

void FreeDocument(const nlohmann::json* document) { delete document; }

// Throws (nlohmann or valijson exceptions) for a document that is not a usable schema.
std::unique_ptr<valijson::Schema> CompileSchema(std::string_view text) {
  auto document = nlohmann::json::parse(text);
  CacheableDateTimes(document);
  auto schema = std::make_unique<valijson::Schema>();
  valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
  parser.populateSchema(valijson::adapters::NlohmannJsonAdapter(document), *schema, FetchDocument, FreeDocument);
  return schema;
}

// Parsed once per process; valijson schemas are immutable after parsing and safe to
// share between threads.
class SchemaRegistry {
 public:
  SchemaRegistry() {
    for (const auto& file : EmbeddedSchemaFiles()) {
      const auto key = KeyOf(file.path);
      if (!key) continue;
      try {
        schemas_.emplace(*key, CompileSchema(file.content));
      } catch (const std::exception& e) {
        // A broken schema is a build defect; fail loudly on first use.
        throw std::logic_error("contracts: cannot load schema " + std::string(file.path) + ": " + e.what());
      }
    }
  }

  const valijson::Schema* Find(const std::string& type, int major) const {
    const auto it = schemas_.find({type, major});
    return it == schemas_.end() ? nullptr : it->second.get();
  }

  std::vector<int> Majors(std::string_view type) const {
    std::vector<int> majors;
    for (const auto& [key, schema] : schemas_) {
      if (key.first == type) majors.push_back(key.second);
    }
    return majors;  // std::map keeps them ascending
  }

 private:
  std::map<SchemaKey, std::unique_ptr<valijson::Schema>> schemas_;
};

const SchemaRegistry& Registry() {
  static const SchemaRegistry registry;
  return registry;
}

ValidationResult Failure(ErrorKind kind, std::string path, std::string message) {
  ValidationResult result;
  result.kind = kind;
  result.issues.push_back({std::move(path), std::move(message)});
  return result;
}

// valijson context ["<root>", "[payload]", "[lines]", "[0]"] -> "/payload/lines/0".
std::string ToPointer(const std::vector<std::string>& context) {
  std::string pointer;
  for (const auto& element : context) {
    if (element == "<root>") continue;
    std::string_view token = element;
    if (token.size() >= 2 && token.front() == '[' && token.back() == ']') {
      token = token.substr(1, token.size() - 2);
    }
    pointer += "/" + EscapePointerToken(token);
  }
  return pointer;
}

bool IsWrapper(const std::string& description) {
  // valijson repeats every failure of a nested schema as "Failed to validate against ..."
  // on each enclosing level; the nested error alone says what is wrong.
  return description.starts_with("Failed to validate against");
}

// The offending value, quoted for the message ("12.5", "\"stolen\""), if the path resolves.
std::string Offending(const nlohmann::json& document, const std::string& pointer) {
  try {
    const auto& value = document.at(nlohmann::json::json_pointer(pointer));
    std::string text = value.dump();
    if (text.size() > 60) text = text.substr(0, 57) + "...";
    return text;
  } catch (const nlohmann::json::exception&) {
    return {};
  }
}

ValidationResult FromValijson(const valijson::ValidationResults& errors, const nlohmann::json& document) {
  ValidationResult result;
  bool kind_set = false;
  for (const auto& error : errors) {
    if (IsWrapper(error.description)) continue;
    std::string path = ToPointer(error.context);
    ErrorKind kind = ErrorKind::kInvalidValue;
    std::string message = error.description;
    static constexpr std::string_view kMissing = "Missing required property '";
    if (error.description.starts_with(kMissing)) {
      // Point at the missing field itself, not at the object that lacks it.
      const auto name_end = error.description.find('\'', kMissing.size());
      path += "/" + EscapePointerToken(std::string_view(error.description)
                                           .substr(kMissing.size(), name_end - kMissing.size()));
      kind = ErrorKind::kMissingField;
      message = "required field is missing";
    } else if (error.description.starts_with("Value type not permitted")) {
      kind = ErrorKind::kWrongType;
      message = "wrong type (got " + Offending(document, path) + ")";
    } else if (error.description.starts_with("Failed to match against any enum values")) {
      message = "unknown value " + Offending(document, path);
    } else if (error.description.starts_with("Failed to match expected value set by 'const'")) {
      message = "unexpected value " + Offending(document, path);
    } else if (const auto value = Offending(document, path); !value.empty()) {
      message += " (got " + value + ")";
    }
    if (!kind_set) {
      result.kind = kind;
      kind_set = true;
    }
    const bool duplicate = std::any_of(result.issues.begin(), result.issues.end(), [&](const ValidationIssue& seen) {
      return seen.path == path && seen.message == message;
    });
    if (!duplicate) result.issues.push_back({std::move(path), std::move(message)});
  }
  if (result.issues.empty()) {
    for (const auto& error : errors) result.issues.push_back({ToPointer(error.context), error.description});
  }
  return result;
}

// `envelope` (an object) against its event's schema.
ValidationResult ValidateAgainst(const valijson::Schema& schema, const nlohmann::json& envelope) {
  // A validator per thread: it caches compiled regexes and is not safe to share.
  thread_local valijson::Validator validator(valijson::Validator::kStrongTypes);
  valijson::ValidationResults errors;
  if (!validator.validate(schema, valijson::adapters::NlohmannJsonAdapter(envelope), &errors)) {
    return FromValijson(errors, envelope);
  }
  // Beyond what JSON Schema can say: logs, the inbox and the admin tool group by
  // correlation id, so it must be the order the payload is about.
  const auto payload = envelope.find("payload");
  if (payload == envelope.end() || !payload->is_object()) return {};
  const auto order_id = payload->find("order_id");
  if (order_id != payload->end() && *order_id != envelope.value("correlation_id", nlohmann::json())) {
    return Failure(ErrorKind::kInvalidValue, "/correlation_id",
                   "must equal /payload/order_id ('" + order_id->get<std::string>() + "')");
  }
  return {};
}

}  // namespace

ContractError ValidationResult::ToError() const {
  if (issues.empty()) return ContractError(kind, "", "no validation issue");
  std::string reason = issues.front().message;
  if (issues.size() > 1) {
    ValidationResult rest;
    rest.issues.assign(issues.begin() + 1, issues.end());
    reason += " (and " + std::to_string(rest.issues.size()) + " more: " + rest.Describe() + ")";
  }
  return ContractError(kind, issues.front().path, std::move(reason));
}

std::string ValidationResult::Describe() const {
  std::string out;
  for (const auto& issue : issues) {
    if (!out.empty()) out += "; ";
    out += (issue.path.empty() ? std::string("message") : "field '" + issue.path + "'") + ": " + issue.message;
  }
  return out;
}

ValidationResult Validate(const nlohmann::json& envelope) {
  if (!envelope.is_object()) {
    return Failure(ErrorKind::kNotObject, "", std::string("expected a JSON object, got ") + envelope.type_name());
  }
  const auto type = envelope.find("type");
  if (type == envelope.end()) return Failure(ErrorKind::kMissingField, "/type", "required field is missing");
  if (!type->is_string()) return Failure(ErrorKind::kWrongType, "/type", "expected a string");
  const auto& type_name = type->get_ref<const std::string&>();
  if (FindEvent(type_name) == nullptr) {
    return Failure(ErrorKind::kUnknownType, "/type", "unknown event type '" + type_name + "'");
  }
  const auto version = envelope.find("version");
  if (version == envelope.end()) return Failure(ErrorKind::kMissingField, "/version", "required field is missing");
  if (!version->is_string()) return Failure(ErrorKind::kWrongType, "/version", "expected a string \"major.minor\"");
  const auto parsed = ParseVersion(version->get_ref<const std::string&>());
  if (!parsed) {
    return Failure(ErrorKind::kInvalidValue, "/version",
                   "'" + version->get<std::string>() + "' is not \"major.minor\"");
  }
  const valijson::Schema* schema = Registry().Find(type_name, parsed->major);
  if (schema == nullptr) {
    std::string supported;
    for (int major : Registry().Majors(type_name)) {
      supported += (supported.empty() ? "" : ", ") + std::to_string(major) + ".x";
    }
    return Failure(ErrorKind::kUnknownVersion, "/version",
                   "unsupported version " + version->get<std::string>() + " of '" + type_name +
                       "' (this build reads " + supported + ")");
  }
  return ValidateAgainst(*schema, envelope);
}

ValidationResult ValidateWithSchema(std::string_view schema_document, const nlohmann::json& envelope) {
  std::unique_ptr<valijson::Schema> schema;
  try {
    schema = CompileSchema(schema_document);
  } catch (const std::exception& e) {
    throw std::invalid_argument(std::string("not a usable schema: ") + e.what());
  }
  if (!envelope.is_object()) {
    return Failure(ErrorKind::kNotObject, "", std::string("expected a JSON object, got ") + envelope.type_name());
  }
  return ValidateAgainst(*schema, envelope);
}

Envelope ParseAndValidate(std::string_view body, const MessageLimits& limits) {
  CheckLimits(body, limits);
  nlohmann::json document;
  try {
    document = nlohmann::json::parse(body);
  } catch (const nlohmann::json::exception& e) {
    // parse_error, but also out_of_range for a number no double holds (1e999999).
    throw ContractError(ErrorKind::kNotJson, "", std::string("not valid JSON: ") + e.what());
  }
  const ValidationResult result = Validate(document);
  if (!result) throw result.ToError();
  return document.get<Envelope>();
}

std::vector<int> SupportedMajors(std::string_view type) { return Registry().Majors(type); }

std::optional<std::string_view> SchemaDocument(std::string_view path) {
  for (const auto& file : EmbeddedSchemaFiles()) {
    if (file.path == path) return file.content;
  }
  return std::nullopt;
}

}  // namespace choreo::contracts
