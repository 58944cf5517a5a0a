#include "choreo/testing/browser.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>

namespace choreo::testing {

namespace fs = std::filesystem;

namespace {

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

}  // namespace

std::string FindOnPath(const std::string& name) {
  std::stringstream dirs(EnvOr("PATH", "/usr/bin:/bin"));
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const fs::path candidate = fs::path(dir) / name;
    if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return "";
}

std::variant<BrowserTools, std::string> FindBrowserTools() {
  BrowserTools tools;
  tools.node = FindOnPath("node");
  if (tools.node.empty()) return std::string("node is not installed (infra/test installs nodejs)");
  tools.node_tools = EnvOr("CHOREO_NODE_TOOLS", CHOREO_DEFAULT_NODE_TOOLS);
  if (!fs::exists(fs::path(tools.node_tools) / "node_modules" / "playwright-core" / "package.json")) {
    return "playwright-core is missing under " + tools.node_tools +
           ": run infra/test, or `source infra/lib/common.sh; CHOREO_ROOT=$PWD install_node_tools`";
  }
  tools.chromium = EnvOr("CHOREO_CHROMIUM", "/usr/bin/chromium");
  if (::access(tools.chromium.c_str(), X_OK) != 0) {
    return tools.chromium + " is missing (infra/test installs Debian's chromium)";
  }
  return tools;
}

}  // namespace choreo::testing
