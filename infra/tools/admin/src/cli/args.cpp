#include "cli/args.hpp"

#include <sstream>

#include <Poco/Util/OptionException.h>
#include <Poco/Util/OptionProcessor.h>

#include "choreo/admin/admin.hpp"

namespace choreo::admin::cli {

namespace {

bool HasExactly(const Poco::Util::OptionSet& options, const std::string& name) {
  for (const Poco::Util::Option& o : options) {
    if (o.fullName() == name) return true;
  }
  return false;
}

// "--name" of a word that is a long option ("--name", "--name=value"), else "".
std::string LongName(const std::string& word) {
  if (word.size() < 3 || word.compare(0, 2, "--") != 0) return "";
  return word.substr(2, word.find('=') == std::string::npos ? std::string::npos : word.find('=') - 2);
}

}  // namespace

std::optional<std::string> Args::Last(const std::string& name) const {
  auto it = values.find(name);
  if (it == values.end()) return std::nullopt;
  return it->second.back();
}

std::vector<std::string> Args::List(const std::string& name) const {
  std::vector<std::string> out;
  auto it = values.find(name);
  if (it == values.end()) return out;
  for (const std::string& v : it->second) {
    std::stringstream in(v);
    std::string part;
    while (std::getline(in, part, ',')) {
      if (!part.empty()) out.push_back(part);
    }
  }
  return out;
}

Poco::Util::Option Flag(const std::string& name) { return Poco::Util::Option(name, "").repeatable(true); }

Poco::Util::Option Valued(const std::string& name, const std::string& argument) {
  return Poco::Util::Option(name, "").repeatable(true).argument(argument, true);
}

Poco::Util::Option OptionalValue(const std::string& name, const std::string& argument) {
  return Poco::Util::Option(name, "").repeatable(true).argument(argument, false);
}

void AddOnce(Poco::Util::OptionSet& options, const Poco::Util::Option& option) {
  if (!HasExactly(options, option.fullName())) options.addOption(option);
}

Args Parse(const std::vector<std::string>& words, const Poco::Util::OptionSet& options,
           const Poco::Util::OptionSet* all, const std::string& command) {
  Args args;
  Poco::Util::OptionProcessor processor(options);
  processor.setUnixStyle(true);
  std::string pending;         // an option waiting for its value (the next word)
  bool options_ended = false;  // after "--"
  for (const std::string& word : words) {
    if (options_ended) {
      args.positional.push_back(word);
      continue;
    }
    const std::string name = pending.empty() ? LongName(word) : "";
    if (!name.empty() && !HasExactly(options, name)) {
      if (all != nullptr && HasExactly(*all, name)) {
        throw UsageError("option --" + name + " does not apply to '" + command + "'");
      }
      throw UsageError("unknown option '--" + name + "'");
    }
    std::string option_name, value;
    try {
      if (!processor.process(word, option_name, value)) {
        args.positional.push_back(word);
        continue;
      }
    } catch (const Poco::Util::UnknownOptionException&) {
      throw UsageError("unknown option '" + word + "'");
    } catch (const Poco::Util::UnexpectedArgumentException&) {
      throw UsageError("option " + (name.empty() ? word : "--" + name) + " takes no value");
    } catch (const Poco::Util::OptionException& e) {
      throw UsageError("invalid option '" + word + "': " + e.displayText());
    }
    if (option_name.empty()) {
      // "--" (the options end here), or an option whose value is the next word.
      options_ended = word == "--";
      if (!options_ended) pending = name.empty() ? word : name;
      continue;
    }
    pending.clear();
    const Poco::Util::Option& option = options.getOption(option_name, false);
    args.values[option_name].push_back(option.takesArgument() ? value : "true");
  }
  if (!pending.empty()) throw UsageError("option --" + pending + " needs a value");
  return args;
}

}  // namespace choreo::admin::cli
