#include "choreo/config/process.hpp"

#include <cstdio>
#include <stdexcept>

namespace choreo::config {

int RunProcess(Options& flags, int argc, const char* const* argv, const ProcessSteps& steps) {
  try {
    flags.Parse(argc, argv);
    if (flags.GetFlag("help")) {
      std::printf("%s", flags.Usage().c_str());
      return kExitOk;
    }
    steps.read();
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "%s: %s\n\n%s", flags.Program().c_str(), e.what(), flags.Usage().c_str());
    return kExitUsage;
  }
  try {
    return steps.run();
  } catch (const std::exception& e) {
    steps.failed(e);
    return kExitFailed;
  }
}

}  // namespace choreo::config
