#pragma once
// The command line of choreo-admin: argument parsing, confirmation, human and JSON
// output, exit codes. main() only gathers the process environment and calls RunCli.
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

namespace choreo::admin {

struct CliEnvironment {
  std::string amqp_url;   // CHOREO_AMQP_URL
  std::string mgmt_url;   // CHOREO_MGMT_URL
  std::string store_url;  // CHOREO_STORE_URL
  std::string var_dir;    // CHOREO_VAR_DIR (audit: default stores under <var_dir>/data)
  std::string catalog;    // CHOREO_CATALOG (audit: initial stock)
  std::string delivery_limit;  // CHOREO_DELIVERY_LIMIT (topology apply)
  // Store URL per component from infra/up's run record (run_record.hpp); RunCli fills it
  // (and the URLs above that are empty) from <var dir>/run/record.
  std::map<std::string, std::string> recorded_stores;
  bool stderr_is_tty = false;

  static CliEnvironment FromProcess();
};

// `args` without the program name. Returns the exit code (kExitOk / kExitFailure /
// kExitUsage); results go to `out`, errors, prompts and progress to `err`.
int RunCli(const std::vector<std::string>& args, const CliEnvironment& environment,
           std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace choreo::admin
