#pragma once
// Runs functions of the infra/ shell library (infra/lib/*.sh) the way infra/up does, for
// the tests of what infra/up starts (services_secrets_it, supervision_it).
#include <chrono>
#include <filesystem>
#include <map>
#include <string>

namespace choreo::e2e {

// Runs `commands` in bash from the source tree after sourcing infra/lib/common.sh and
// infra/lib/system.sh (set -euo pipefail), with `env` as the only CHOREO_* configuration
// (the caller's CHOREO_* variables are removed) and stdout + stderr appended to `output`.
// The values are set in the child's environment, so they are on no command line. Returns
// the exit code, -1 when it was killed or ran past `timeout`.
int RunInfraShell(const std::string& commands, const std::map<std::string, std::string>& env,
                  const std::filesystem::path& output, std::chrono::seconds timeout = std::chrono::seconds(120));

// fork(), with the child's stdout and stderr appended to `output` (left as they are if it
// cannot be opened). Returns what fork() returns; throws std::runtime_error if it fails.
int ForkWithOutputTo(const std::filesystem::path& output);

// The whole file, empty when it cannot be read.
std::string ReadWholeFile(const std::filesystem::path& path);

}  // namespace choreo::e2e
