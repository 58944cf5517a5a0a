#include "choreo/admin/run_record.hpp"

#include <fstream>
#include <sstream>

namespace choreo::admin {

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Splits "<word> <rest>" at the first blank; rest empty when there is none.
std::pair<std::string_view, std::string_view> FirstWord(std::string_view s) {
  const std::size_t blank = s.find(' ');
  if (blank == std::string_view::npos) return {s, {}};
  return {s.substr(0, blank), Trim(s.substr(blank + 1))};
}

// A TCP port, or nullopt for "-" or anything that is not 1..65535.
std::optional<uint16_t> Port(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  unsigned value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value == 0 || value > 65535) return std::nullopt;
  return static_cast<uint16_t>(value);
}

// "service <kind> <name> <port> <log>" after the key; a name seen before is skipped (the
// first entry wins, as for stores).
void AddService(RunRecord& record, std::string_view value) {
  auto [kind, rest] = FirstWord(value);
  auto [name, after_name] = FirstWord(rest);
  auto [port, log] = FirstWord(after_name);
  if (name.empty() || port.empty()) return;
  for (const RecordedService& s : record.services) {
    if (s.name == name) return;
  }
  record.services.push_back({std::string(kind), std::string(name), Port(port)});
}

}  // namespace

RunRecord ParseRunRecord(std::string_view text) {
  RunRecord record;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::string_view line = Trim(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (line.empty() || line.front() == '#') continue;
    auto [key, value] = FirstWord(line);
    if (value.empty()) continue;
    if (key == "profile") {
      record.profile = value;
    } else if (key == "amqp_url") {
      record.amqp_url = value;
    } else if (key == "mgmt_url") {
      record.mgmt_url = value;
    } else if (key == "store") {
      auto [component, url] = FirstWord(value);
      // The first entry of a component wins, as in the shell reader (record_get).
      if (!url.empty()) record.stores.emplace(std::string(component), std::string(url));
    } else if (key == "service") {
      AddService(record, value);
    }
  }
  return record;
}

std::filesystem::path RunRecordPath(const std::string& var_dir) {
  return std::filesystem::path(var_dir.empty() ? std::string("var") : var_dir) / "run" / "record";
}

std::optional<RunRecord> ReadRunRecord(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return ParseRunRecord(text.str());
}

void FillFromRunRecord(CliEnvironment& env, const RunRecord& record) {
  if (env.amqp_url.empty()) env.amqp_url = record.amqp_url;
  if (env.mgmt_url.empty()) env.mgmt_url = record.mgmt_url;
  env.recorded_stores = record.stores;
}

}  // namespace choreo::admin
