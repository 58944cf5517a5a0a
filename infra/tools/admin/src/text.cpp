#include "text.hpp"

#include <algorithm>
#include <ostream>

#include "choreo/admin/admin.hpp"

namespace choreo::admin {

std::string Cut(const std::string& text, std::size_t width) {
  std::string one_line = text;
  std::replace(one_line.begin(), one_line.end(), '\n', ' ');
  if (one_line.size() <= width) return one_line;
  return one_line.substr(0, width > 3 ? width - 3 : 0) + "...";
}

std::string Display(const std::string& text) { return text.empty() ? "-" : text; }

std::string AgeSince(const std::optional<contracts::Millis>& at) {
  if (!at) return "";
  using std::chrono::milliseconds;
  auto now = std::chrono::time_point_cast<milliseconds>(std::chrono::system_clock::now());
  return FormatAge(std::chrono::duration_cast<milliseconds>(now - *at)) + " ago";
}

std::string PrettyJson(const nlohmann::json& value) {
  return value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace choreo::admin
