#pragma once
#include <string_view>

namespace choreo::gateway {

// gateway/openapi.yaml as built into the binary (served at GET /openapi.yaml).
std::string_view OpenApiDocument();

}  // namespace choreo::gateway
