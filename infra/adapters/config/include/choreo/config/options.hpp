#pragma once
// Process configuration from flags and environment, with defaults that work on one machine:
//   choreo::config::Options options("order-worker", "Runs the order saga steps.");
//   options.Add("amqp-url", "CHOREO_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672", "Broker URL.")
//          .Add("admin-port", "CHOREO_ADMIN_PORT", "9100", "Port of /healthz, /readyz, /metrics.")
//          .AddFlag("help", "Print this text and exit.");
//   options.Parse(argc, argv);   // throws UsageError; print e.what() and options.Usage()
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace choreo::config {

// A mistake of the person starting the process (unknown flag, missing or malformed value),
// as opposed to std::invalid_argument from the program itself (e.g. an undeclared name).
class UsageError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

class Options {
 public:
  explicit Options(std::string program, std::string summary);

  // `name` without "--"; `env` may be empty for options without an environment variable.
  // Throws std::invalid_argument for a malformed or repeated name.
  Options& Add(std::string name, std::string env, std::string default_value, std::string help);
  // An option without an environment variable.
  Options& Add(std::string name, std::string default_value, std::string help);
  // Boolean switch, false unless given as --name (or --name=true|false|1|0).
  Options& AddFlag(std::string name, std::string help);

  // Precedence: --name=value or --name value > environment variable > default. An
  // environment variable set to the empty string counts as unset. "--" ends the options.
  // Throws UsageError for unknown flags and missing values; positional args are kept.
  void Parse(int argc, const char* const* argv);

  // All getters throw std::invalid_argument for an undeclared name.
  std::string Get(std::string_view name) const;
  // UsageError naming the option if not an integer.
  int64_t GetInt(std::string_view name) const;
  // "250ms", "5s", "2m", "1h"; a plain number is milliseconds. UsageError otherwise.
  std::chrono::milliseconds GetDuration(std::string_view name) const;
  // Also accepts true/false/1/0 values of ordinary options.
  bool GetFlag(std::string_view name) const;
  const std::vector<std::string>& Positional() const { return positional_; }
  const std::string& Program() const { return program_; }

  // Table of options with environment variable names and defaults.
  std::string Usage() const;
  // Name/value of every option in declaration order, for a start-up log line, with every
  // password hidden by choreo::secrets::RedactUrl (so are the defaults Usage() shows).
  std::vector<std::pair<std::string, std::string>> Effective() const;

 private:
  struct Option {
    std::string name;
    std::string env;
    std::string default_value;
    std::string help;
    bool is_flag = false;
    std::string value;
  };

  Option& Declare(Option option);
  const Option& Find(std::string_view name) const;
  Option* FindMutable(std::string_view name);

  std::string program_;
  std::string summary_;
  std::vector<Option> options_;
  std::vector<std::string> positional_;
};

}  // namespace choreo::config
