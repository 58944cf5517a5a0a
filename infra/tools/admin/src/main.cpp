// choreo-admin: inspect, replay and purge dead letters; outbox status. See RunCli.
#include <iostream>
#include <string>
#include <vector>

#include "choreo/admin/admin.hpp"
#include "choreo/admin/cli.hpp"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    return choreo::admin::RunCli(args, choreo::admin::CliEnvironment::FromProcess(), std::cin,
                                 std::cout, std::cerr);
  } catch (const std::exception& e) {
    std::cerr << "choreo-admin: internal error: " << e.what() << "\n";
    return choreo::admin::kExitFailure;
  }
}
