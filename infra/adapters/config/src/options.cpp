#include "choreo/config/options.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <limits>
#include <optional>

#include "choreo/secrets/redact.hpp"

namespace choreo::config {

namespace {

bool IsValidName(std::string_view name) {
  if (name.empty() || name.front() == '-') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<bool> ParseBool(std::string_view text) {
  const std::string lower = Lower(text);
  if (lower == "true" || lower == "1" || lower == "yes" || lower == "on") return true;
  if (lower == "false" || lower == "0" || lower == "no" || lower == "off") return false;
  return std::nullopt;
}

std::optional<int64_t> ParseInt(std::string_view text) {
  int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

}  // namespace

Options::Options(std::string program, std::string summary)
    : program_(std::move(program)), summary_(std::move(summary)) {}

Options::Option& Options::Declare(Option option) {
  if (!IsValidName(option.name)) {
    throw std::invalid_argument("choreo::config: '" + option.name + "' is not a valid option name");
  }
  if (FindMutable(option.name) != nullptr) {
    throw std::invalid_argument("choreo::config: option --" + option.name + " is declared twice");
  }
  option.value = option.default_value;
  options_.push_back(std::move(option));
  return options_.back();
}

Options& Options::Add(std::string name, std::string env, std::string default_value, std::string help) {
  Declare(Option{std::move(name), std::move(env), std::move(default_value), std::move(help), false, {}});
  return *this;
}

Options& Options::Add(std::string name, std::string default_value, std::string help) {
  return Add(std::move(name), {}, std::move(default_value), std::move(help));
}

Options& Options::AddFlag(std::string name, std::string help) {
  Declare(Option{std::move(name), {}, "false", std::move(help), true, {}});
  return *this;
}

Options::Option* Options::FindMutable(std::string_view name) {
  auto it = std::find_if(options_.begin(), options_.end(), [&](const Option& o) { return o.name == name; });
  return it == options_.end() ? nullptr : &*it;
}

const Options::Option& Options::Find(std::string_view name) const {
  auto it = std::find_if(options_.begin(), options_.end(), [&](const Option& o) { return o.name == name; });
  if (it == options_.end()) {
    throw std::invalid_argument("choreo::config: option --" + std::string(name) + " is not declared");
  }
  return *it;
}

void Options::Parse(int argc, const char* const* argv) {
  // Parse may run again (tests); start from scratch each time.
  positional_.clear();
  for (Option& option : options_) {
    option.value = option.default_value;
    if (option.env.empty()) continue;
    // Empty counts as unset: compose files and shell scripts export empty variables freely.
    const char* from_env = std::getenv(option.env.c_str());
    if (from_env != nullptr && *from_env != '\0') option.value = from_env;
  }
  bool options_ended = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (options_ended || arg == "-" || !arg.starts_with('-')) {
      positional_.emplace_back(arg);
      continue;
    }
    if (arg == "--") {
      options_ended = true;
      continue;
    }
    if (!arg.starts_with("--")) throw UsageError("unknown option " + std::string(arg) + " (options start with --)");
    const std::string_view body = arg.substr(2);
    const std::size_t equals = body.find('=');
    const std::string_view name = body.substr(0, equals);
    Option* option = FindMutable(name);
    if (option == nullptr) throw UsageError("unknown option --" + std::string(name));
    if (option->is_flag) {
      if (equals == std::string_view::npos) {
        option->value = "true";
        continue;
      }
      auto parsed = ParseBool(body.substr(equals + 1));
      if (!parsed) throw UsageError("option --" + option->name + " takes no value other than true or false");
      option->value = *parsed ? "true" : "false";
    } else if (equals != std::string_view::npos) {
      option->value = std::string(body.substr(equals + 1));
    } else if (i + 1 < argc && !std::string_view(argv[i + 1]).starts_with("--")) {
      // A next argument starting with "--" is far more likely a forgotten value than a value.
      option->value = argv[++i];
    } else {
      throw UsageError("option --" + option->name + " needs a value");
    }
  }
}

std::string Options::Get(std::string_view name) const { return Find(name).value; }

namespace {

std::string Describe(const std::string& name, const std::string& env) {
  return "option --" + name + (env.empty() ? "" : " (" + env + ")");
}

}  // namespace

int64_t Options::GetInt(std::string_view name) const {
  const Option& option = Find(name);
  auto value = ParseInt(option.value);
  if (!value) throw UsageError(Describe(option.name, option.env) + ": '" + option.value + "' is not an integer");
  return *value;
}

std::chrono::milliseconds Options::GetDuration(std::string_view name) const {
  const Option& option = Find(name);
  const auto fail = [&](const char* why) -> std::chrono::milliseconds {
    throw UsageError(Describe(option.name, option.env) + ": '" + option.value + "' " + why);
  };
  const std::string_view text = option.value;
  const std::size_t digits_end = text.find_first_not_of("0123456789");
  auto number = ParseInt(text.substr(0, digits_end));
  if (!number) return fail("is not a duration (e.g. 250ms, 5s, 2m, 1h)");
  const std::string_view unit = digits_end == std::string_view::npos ? "" : text.substr(digits_end);
  int64_t scale = 0;
  if (unit.empty() || unit == "ms") {
    scale = 1;
  } else if (unit == "s") {
    scale = 1000;
  } else if (unit == "m") {
    scale = 60 * 1000;
  } else if (unit == "h") {
    scale = 60 * 60 * 1000;
  } else {
    return fail("is not a duration (e.g. 250ms, 5s, 2m, 1h)");
  }
  if (*number > std::numeric_limits<int64_t>::max() / scale) return fail("is too long a duration");
  return std::chrono::milliseconds(*number * scale);
}

bool Options::GetFlag(std::string_view name) const {
  const Option& option = Find(name);
  auto value = ParseBool(option.value);
  if (!value) throw UsageError(Describe(option.name, option.env) + ": '" + option.value + "' is not true or false");
  return *value;
}

std::string Options::Usage() const {
  std::vector<std::string> left;
  std::size_t width = 0;
  for (const Option& option : options_) {
    left.push_back("--" + option.name + (option.is_flag ? "" : " <value>"));
    width = std::max(width, left.back().size());
  }
  std::string out = "Usage: " + program_ + " [options]\n";
  if (!summary_.empty()) out += summary_ + "\n";
  if (options_.empty()) return out;
  out += "\nOptions:\n";
  for (std::size_t i = 0; i < options_.size(); ++i) {
    const Option& option = options_[i];
    out += "  " + left[i] + std::string(width - left[i].size() + 3, ' ') + option.help;
    std::vector<std::string> notes;
    if (!option.env.empty()) notes.push_back("env " + option.env);
    if (!option.is_flag && !option.default_value.empty()) {
      notes.push_back("default " + secrets::RedactUrl(option.default_value));
    }
    if (!notes.empty()) {
      out += " [";
      for (std::size_t n = 0; n < notes.size(); ++n) out += (n > 0 ? ", " : "") + notes[n];
      out += "]";
    }
    out += "\n";
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> Options::Effective() const {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(options_.size());
  for (const Option& option : options_) {
    out.emplace_back(option.name, secrets::RedactUrl(option.value));
  }
  return out;
}

}  // namespace choreo::config
