#include "choreo/gateway/openapi.hpp"

#include <span>

#include "choreo/contracts/embedded.hpp"

// Generated from openapi.yaml by contracts/cmake/embed_files.cmake (which always emits
// into choreo::contracts).
namespace choreo::contracts {
std::span<const EmbeddedFile> GatewayEmbeddedFiles();
}

namespace choreo::gateway {

std::string_view OpenApiDocument() {
  for (const auto& file : contracts::GatewayEmbeddedFiles()) {
    if (file.path == "openapi.yaml") return file.content;
  }
  return {};
}

}  // namespace choreo::gateway
