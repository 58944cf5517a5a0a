#pragma once
// What a browser test needs: node, playwright-core (infra/testing/node, which infra/test
// installs with `npm ci`) and Debian's chromium. A test asks FindBrowserTools() and FAILS
// with its message when something is missing: a browser test that skipped itself would
// pass a CI run that never opened a browser.
#include <string>
#include <variant>

namespace choreo::testing {

struct BrowserTools {
  std::string node;        // the node executable
  std::string node_tools;  // the folder holding node_modules/playwright-core
  std::string chromium;    // the browser playwright-core launches
};

// The tools, or a message naming what is missing and how to install it. The folder of
// node_modules is $CHOREO_NODE_TOOLS (infra/test sets it), else the repository's
// infra/testing/node; chromium is $CHOREO_CHROMIUM, else /usr/bin/chromium.
std::variant<BrowserTools, std::string> FindBrowserTools();

// `name` on PATH, or "" when it is not there.
std::string FindOnPath(const std::string& name);

}  // namespace choreo::testing
