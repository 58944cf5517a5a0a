#include "event_codegen.hpp"

#include <cctype>
#include <map>
#include <regex>
#include <set>
#include <stdexcept>

namespace choreo::contracts::codegen {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kCommonRef = "../common/v1.json#/definitions/";
constexpr std::string_view kLocalRef = "#/definitions/";
constexpr std::size_t kCommentWidth = 90;

[[noreturn]] void Fail(const std::string& where, const std::string& what) {
  throw std::runtime_error(where + ": " + what);
}

std::string Quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// `text` as // lines of at most kCommentWidth columns, each prefixed by `indent`.
std::string Comment(const std::string& text, const std::string& indent) {
  std::string out, line;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    const std::string word = text.substr(start, end - start);
    if (!line.empty() && indent.size() + 3 + line.size() + 1 + word.size() > kCommentWidth) {
      out += indent + "// " + line + "\n";
      line.clear();
    }
    if (!word.empty()) line += (line.empty() ? "" : " ") + word;
    start = end + 1;
  }
  if (!line.empty()) out += indent + "// " + line + "\n";
  return out;
}

// "insufficient_stock" -> "kInsufficientStock".
std::string Enumerator(const std::string& value, const std::string& where) {
  std::string out = "k";
  bool upper = true;
  for (char c : value) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0) {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  if (out.size() == 1 || std::isdigit(static_cast<unsigned char>(out[1])) != 0) {
    Fail(where, "enum value '" + value + "' makes no C++ name");
  }
  return out;
}

std::string StringAt(const Json& node, const std::string& key, const std::string& where) {
  const auto it = node.find(key);
  if (it == node.end() || !it->is_string() || it->get<std::string>().empty()) {
    Fail(where, "needs a non-empty string '" + key + "'");
  }
  return it->get<std::string>();
}

struct Member {
  std::string name, type, initializer, comment;
};

// Turns schema nodes into C++ types, appending the definitions it needs (enums, structs)
// to `out` before their first use.
class Writer {
 public:
  Writer(const Json& common, bool emit_common) : common_(common), emit_common_(emit_common) {
    const auto defs = common_.find("definitions");
    if (defs == common_.end()) Fail("common/v1.json", "has no definitions");
    for (const auto& [key, def] : defs->items()) {
      if (!def.contains("x-choreo-cpp-name")) continue;
      const std::string name = def.at("x-choreo-cpp-name").get<std::string>();
      common_names_[key] = name;
      if (def.contains("enum") && !def.at("enum").empty() && def.at("enum").at(0).is_string()) {
        enum_defaults_[name] = name + "::" + Enumerator(def.at("enum").at(0).get<std::string>(), "common/v1.json");
      }
    }
    if (!emit_common_) ClaimNamesIn(common_);
  }

  // In the event headers the shared types exist already: their names are taken.
  void ClaimNamesIn(const Json& node) {
    if (node.is_object() && node.contains("x-choreo-cpp-name")) claimed_.insert(node.at("x-choreo-cpp-name").get<std::string>());
    if (node.is_structured()) {
      for (const auto& child : node) ClaimNamesIn(child);
    }
  }

  // Every named definition of common/v1.json, in document order (dependencies first).
  std::string CommonTypes() {
    std::string out;
    for (const auto& [key, def] : common_.at("definitions").items()) {
      if (common_names_.contains(key)) TypeOfCommon(key, "common/v1.json#/definitions/" + key, out);
    }
    return out;
  }

  std::string Event(const SchemaInput& input, std::string& type, std::string& cpp_name) {
    const Json& schema = input.document;
    const std::string& where = input.path;
    static const std::regex kPath(R"(^([a-z_]+\.[a-z_]+)/v([0-9]+)\.json$)");
    std::smatch match;
    if (!std::regex_match(input.path, match, kPath)) Fail(where, "schema path must be <context>.<event>/v<major>.json");
    type = match[1];
    const std::string major = match[2];
    cpp_name = StringAt(schema, "x-choreo-cpp-name", where);
    const std::string version = StringAt(schema, "x-choreo-version", where);
    if (!std::regex_match(version, std::regex("^[0-9]+\\.[0-9]+$")) || version.substr(0, version.find('.')) != major) {
      Fail(where, "x-choreo-version '" + version + "' must be " + major + ".<minor>");
    }
    const Json* props = schema.contains("properties") ? &schema.at("properties") : nullptr;
    if (props == nullptr || props->value(Json::json_pointer("/type/const"), std::string()) != type) {
      Fail(where, "properties/type/const must be '" + type + "'");
    }
    if (props->value(Json::json_pointer("/version/pattern"), std::string()) != "^" + major + "\\.[0-9]+$") {
      Fail(where, "properties/version/pattern must be ^" + major + "\\.[0-9]+$");
    }
    if (!props->contains("payload")) Fail(where, "has no properties/payload");
    std::string out;
    std::vector<Member> members = Members(props->at("payload"), where + "#/properties/payload", out);
    bool has_order_id = false;
    for (const auto& member : members) has_order_id |= member.name == "order_id" && member.type == "std::string";
    if (!has_order_id) Fail(where, "payload needs a required string order_id (the correlation id)");
    Claim(cpp_name, where);
    const std::vector<std::pair<std::string, std::string>> constants = {
        {"kType", type},
        {"kVersion", version},
        {"kExchange", StringAt(schema, "x-choreo-exchange", where)},
        {"kProducer", StringAt(schema, "x-choreo-producer", where)}};
    out += Struct(cpp_name, schema.value("description", std::string()), constants, members);
    return out;
  }

 private:
  void Claim(const std::string& cpp_name, const std::string& where) {
    if (!claimed_.insert(cpp_name).second) Fail(where, "C++ name " + cpp_name + " is used twice");
  }

  std::string TypeOfCommon(const std::string& key, const std::string& where, std::string& out) {
    const Json* def = common_.at("definitions").contains(key) ? &common_.at("definitions").at(key) : nullptr;
    if (def == nullptr) Fail(where, "no definition '" + key + "' in common/v1.json");
    const auto named = common_names_.find(key);
    // Named shared types live in the common header; the event headers only refer to them.
    if (named != common_names_.end() && (!emit_common_ || claimed_.contains(named->second))) return named->second;
    return TypeOf(*def, "common/v1.json#/definitions/" + key, out, /*common=*/true);
  }

  std::string TypeOf(const Json& node, const std::string& where, std::string& out, bool common = false) {
    if (const auto ref = node.find("$ref"); ref != node.end()) {
      const std::string target = ref->get<std::string>();
      const std::string_view prefix = common ? kLocalRef : kCommonRef;
      if (!target.starts_with(prefix)) Fail(where, "$ref must point into " + std::string(prefix) + "...");
      return TypeOfCommon(target.substr(prefix.size()), where, out);
    }
    const std::string name = node.value("x-choreo-cpp-name", std::string());
    if (node.contains("enum")) {
      if (name.empty()) Fail(where, "an enum needs x-choreo-cpp-name");
      Claim(name, where);
      out += Enum(name, node, where, common);
      enum_defaults_[name] = name + "::" + Enumerator(node.at("enum").at(0).get<std::string>(), where);
      return name;
    }
    const std::string type = node.value("type", std::string());
    if (type == "string") return "std::string";
    if (type == "integer") return "std::int64_t";
    if (type == "boolean") return "bool";
    if (type == "number") Fail(where, "no floating point in contracts: money is integer minor units");
    if (type == "array") {
      if (!node.contains("items")) Fail(where, "an array needs items");
      return "std::vector<" + TypeOf(node.at("items"), where + "/items", out, common) + ">";
    }
    if (type == "object") {
      if (name.empty()) Fail(where, "an object needs x-choreo-cpp-name");
      std::vector<Member> members = Members(node, where, out, common);
      Claim(name, where);
      out += Struct(name, node.value("description", std::string()), {}, members);
      return name;
    }
    Fail(where, "cannot map this schema to a C++ type");
  }

  std::vector<Member> Members(const Json& object, const std::string& where, std::string& out, bool common = false) {
    if (!object.contains("properties") || !object.at("properties").is_object()) Fail(where, "needs properties");
    std::set<std::string> required;
    for (const auto& name : object.value("required", Json::array())) required.insert(name.get<std::string>());
    std::vector<Member> members;
    for (const auto& [name, property] : object.at("properties").items()) {
      if (!std::regex_match(name, std::regex("^[a-z][a-z0-9_]*$"))) Fail(where, "field '" + name + "' is not snake_case");
      Member member{name, TypeOf(property, where + "/properties/" + name, out, common), "",
                    property.value("description", std::string())};
      if (!required.erase(name)) {
        member.type = "std::optional<" + member.type + ">";
      } else if (member.type == "std::int64_t") {
        member.initializer = " = 0";
      } else if (member.type == "bool") {
        member.initializer = " = false";
      } else if (const auto it = enum_defaults_.find(member.type); it != enum_defaults_.end()) {
        member.initializer = " = " + it->second;
      }
      members.push_back(std::move(member));
    }
    if (!required.empty()) Fail(where, "'required' names '" + *required.begin() + "', which is not a property");
    return members;
  }

  // An inline enum's description is its member's comment; only shared enums get their own.
  std::string Enum(const std::string& name, const Json& node, const std::string& where, bool common) {
    std::string out = common ? Comment(node.value("description", std::string()), "") : "";
    std::string list, names;
    std::set<std::string> seen;
    for (const auto& value : node.at("enum")) {
      if (!value.is_string()) Fail(where, "enum values must be strings");
      const std::string enumerator = Enumerator(value.get<std::string>(), where);
      if (!seen.insert(enumerator).second) Fail(where, "two enum values make " + enumerator);
      list += (list.empty() ? "" : ", ") + enumerator;
      names += std::string(names.empty() ? "" : ",\n") + "      std::pair{" + name + "::" + enumerator +
               ", std::string_view(" + Quoted(value.get<std::string>()) + ")}";
    }
    if (seen.empty()) Fail(where, "an enum needs values");
    out += "enum class " + name + " { " + list + " };\n";
    out += "template <>\nstruct EnumNames<" + name + "> {\n  static constexpr std::array kNames{\n" + names +
           "};\n};\n\n";
    return out;
  }

  static std::string Struct(const std::string& name, const std::string& description,
                            const std::vector<std::pair<std::string, std::string>>& constants,
                            const std::vector<Member>& members) {
    std::string out = Comment(description, "") + "struct " + name + " {\n";
    for (const auto& [constant, value] : constants) {
      out += "  static constexpr std::string_view " + constant + " = " + Quoted(value) + ";\n";
    }
    if (!constants.empty()) out += "\n";
    for (const auto& member : members) {
      std::string line = "  " + member.type + " " + member.name + member.initializer + ";";
      if (!member.comment.empty() && line.size() + 4 + member.comment.size() <= kCommentWidth + 10) {
        out += line + "  // " + member.comment + "\n";
      } else {
        out += Comment(member.comment, "  ") + line + "\n";
      }
    }
    out += "\n  static constexpr auto Fields() {\n    return std::tuple{";
    for (std::size_t i = 0; i < members.size(); ++i) {
      out += (i == 0 ? "" : ",\n                      ") + std::string("Field(") + Quoted(members[i].name) + ", &" +
             name + "::" + members[i].name + ")";
    }
    out += "};\n  }\n  bool operator==(const " + name + "&) const = default;\n};\n\n";
    return out;
  }

  const Json& common_;
  const bool emit_common_;
  std::map<std::string, std::string> common_names_;  // definition key -> C++ name
  std::set<std::string> claimed_;                    // C++ names defined so far
  std::map<std::string, std::string> enum_defaults_;  // enum -> its first enumerator
};

constexpr std::string_view kIncludes =
    "#include <array>\n#include <cstdint>\n#include <optional>\n#include <string>\n#include <string_view>\n"
    "#include <tuple>\n#include <utility>\n#include <vector>\n\n";

std::string Header(const std::string& what, const std::string& includes, const std::string& body) {
  return "#pragma once\n// Generated by choreo-contracts-codegen from " + what +
         ". Do not edit: change the schema.\n" + std::string(kIncludes) + includes +
         "\nnamespace choreo::contracts {\n\n" + body + "}  // namespace choreo::contracts\n";
}

}  // namespace

std::string HeaderOf(const std::string& event_type) {
  return event_type.substr(0, event_type.find('.')) + "_events.hpp";
}

std::vector<GeneratedFile> Generate(const Json& common, const std::vector<SchemaInput>& events, const Options& options) {
  Writer writer(common, options.common);
  std::vector<GeneratedFile> files;
  if (options.common) {
    files.push_back({"choreo/contracts/generated/common.hpp",
                     Header("schemas/common/v1.json", "#include \"choreo/contracts/json_support.hpp\"\n",
                            writer.CommonTypes())});
  }
  std::vector<std::string> headers;  // in order of first appearance
  std::map<std::string, std::string> bodies;
  std::string all_events;
  for (const auto& input : events) {
    std::string type, cpp_name;
    const std::string body = writer.Event(input, type, cpp_name);
    const std::string header = HeaderOf(type);
    if (!bodies.contains(header)) headers.push_back(header);
    bodies[header] += body;
    all_events += (all_events.empty() ? "" : ",\n                            ") + cpp_name;
  }
  for (const auto& header : headers) {
    const std::string prefix = header.substr(0, header.size() - std::string("_events.hpp").size());
    files.push_back({"choreo/contracts/" + header,
                     Header("schemas/" + prefix + ".*/v*.json", "#include \"choreo/contracts/common_types.hpp\"\n",
                            bodies[header])});
  }
  if (options.registry) {
    std::string includes;
    for (const auto& header : headers) includes += "#include \"choreo/contracts/" + header + "\"\n";
    files.push_back({"choreo/contracts/generated/all_events.hpp",
                     Header("every schema of schemas/", includes,
                            "template <class... Events>\nstruct EventList {};\n\n// Every event this build knows "
                            "(the catalog and the validator follow this list).\nusing AllEvents = EventList<" +
                                all_events + ">;\n\n")});
  }
  return files;
}

}  // namespace choreo::contracts::codegen
