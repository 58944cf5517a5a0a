#include "console/selection.hpp"

namespace choreo::admin::console {

namespace {

constexpr const char* kFields[] = {"error_class", "error_message", "message_id"};

std::optional<std::string>* FieldOf(Selection& s, std::string_view name) {
  if (name == "error_class") return &s.error_class;
  if (name == "error_message") return &s.error_message;
  if (name == "message_id") return &s.message_id;
  return nullptr;
}

}  // namespace

Filter Selection::ToFilter() const {
  Filter filter;
  if (error_class) filter.error_classes = {*error_class};
  filter.error_message_is = error_message;
  if (message_id) filter.ids = {*message_id};
  return filter;
}

std::vector<std::pair<std::string, std::string>> Selection::QueryPairs() const {
  std::vector<std::pair<std::string, std::string>> pairs;
  if (error_class) pairs.emplace_back("error_class", *error_class);
  // An empty message survives the round trip as "error_message=" (see SelectionFromQuery).
  if (error_message) pairs.emplace_back("error_message", *error_message);
  if (message_id) pairs.emplace_back("message_id", *message_id);
  return pairs;
}

nlohmann::json Selection::Json() const {
  nlohmann::json j = nlohmann::json::object();
  if (error_class) j["error_class"] = *error_class;
  if (error_message) j["error_message"] = *error_message;
  if (message_id) j["message_id"] = *message_id;
  return j;
}

std::string Selection::Describe() const {
  if (Empty()) return "every message";
  std::string text;
  auto add = [&](const std::string& part) { text += (text.empty() ? "" : ", ") + part; };
  if (message_id) add("message " + *message_id);
  if (error_class) add("error class " + *error_class);
  if (error_message) add("error message \"" + *error_message + "\"");
  return text;
}

Selection GroupSelection(const ErrorGroup& group) {
  return Selection{.error_class = group.error_class, .error_message = group.error_message, .message_id = {}};
}

Selection SelectionFromQuery(const std::function<std::optional<std::string>(std::string_view)>& query) {
  Selection s;
  for (const char* name : kFields) {
    std::optional<std::string> value = query(name);
    if (!value) continue;
    if (value->empty() && std::string_view(name) != "error_message") continue;
    *FieldOf(s, name) = std::move(value);
  }
  if (s.error_message && s.error_message->empty() && !s.error_class) s.error_message.reset();
  return s;
}

std::variant<ReplayRequest, std::string> ParseReplayRequest(std::string_view body) {
  const nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::string("the body is not JSON");
  if (!j.is_object()) return std::string("the body must be a JSON object");
  ReplayRequest request;
  for (const auto& [key, value] : j.items()) {
    if (key == "confirm") {
      if (!value.is_boolean()) return std::string("'confirm' must be true or false");
      request.confirm = value.get<bool>();
      continue;
    }
    std::optional<std::string>* field = FieldOf(request.selection, key);
    if (field == nullptr) {
      return "unknown member '" + key + "' (error_class, error_message, message_id, confirm)";
    }
    if (!value.is_string()) return "'" + key + "' must be a string";
    *field = value.get<std::string>();
  }
  return request;
}

ReplayStep NextStep(const ReplayRequest& request) {
  return request.confirm ? ReplayStep::kReplay : ReplayStep::kAskConfirmation;
}

}  // namespace choreo::admin::console
