#pragma once
// The words of a choreo-admin command line, split by Poco::Util's OptionProcessor (Unix
// style: --name VALUE, --name=VALUE, -h, and -- to end the options).
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <Poco/Util/Option.h>
#include <Poco/Util/OptionSet.h>

namespace choreo::admin::cli {

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::vector<std::string>> values;  // flags get "true"

  bool Has(const std::string& name) const { return values.count(name) != 0; }
  // The value given last.
  std::optional<std::string> Last(const std::string& name) const;
  // Repeated options and comma-separated values, in order.
  std::vector<std::string> List(const std::string& name) const;
};

// Options every command takes as often as it likes; the last value wins unless the
// command lists them all (Args::List).
Poco::Util::Option Flag(const std::string& name);
Poco::Util::Option Valued(const std::string& name, const std::string& argument = "VALUE");
// --name or --name=VALUE, never the next word.
Poco::Util::Option OptionalValue(const std::string& name, const std::string& argument);
// Adds `option` unless `options` already has one of that name.
void AddOnce(Poco::Util::OptionSet& options, const Poco::Util::Option& option);

// Splits `words` by `options`. Names are matched exactly (no abbreviations, so a script
// keeps working when an option with a longer name arrives). Throws UsageError; an option
// that `all` knows but `options` does not "does not apply to '<command>'".
Args Parse(const std::vector<std::string>& words, const Poco::Util::OptionSet& options,
           const Poco::Util::OptionSet* all = nullptr, const std::string& command = "");

}  // namespace choreo::admin::cli
