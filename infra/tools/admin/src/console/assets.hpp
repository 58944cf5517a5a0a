#pragma once
// The console's static files (src/console/assets/, and console-openapi.yaml beside the
// tool), compiled in at build time: the binary never reads the source tree.
#include <string_view>

namespace choreo::admin::console {

// "console.css", "console.js", "console-openapi.yaml"; empty for an unknown name.
std::string_view Asset(std::string_view name);

}  // namespace choreo::admin::console
