// provider: the payment / mail provider stand-in (see choreo/provider/server.hpp).
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "choreo/log/log.hpp"
#include "choreo/provider/server.hpp"
#include "choreo/store/options.hpp"

namespace {

// The default store lives in var/data/, which a fresh checkout does not have yet.
void CreateSqliteDirectory(const std::string& url) {
  const auto parsed = choreo::store::ParseStoreUrl(url);
  if (parsed.dialect != choreo::store::Dialect::kSqlite || parsed.sqlite_path == ":memory:") return;
  const auto parent = std::filesystem::path(parsed.sqlite_path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
}

}  // namespace

int main(int argc, char** argv) {
  namespace provider = choreo::provider;
  choreo::log::SetComponent("provider");
  try {
    const provider::ProviderCommandLine command_line = provider::ParseProviderArgs(
        std::vector<std::string>(argv + 1, argv + argc), [](const char* name) -> std::optional<std::string> {
          const char* value = std::getenv(name);
          return value ? std::optional<std::string>(value) : std::nullopt;
        });
    if (command_line.help) {
      std::cout << provider::ProviderUsage();
      return 0;
    }
    choreo::log::SetLevel(choreo::log::ParseLevel(command_line.log_level));

    // Blocked before any thread starts so every thread inherits the mask and the signals
    // reach sigwait below instead of killing the process mid-transaction.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    CreateSqliteDirectory(command_line.options.store_url);
    provider::ProviderServer server(command_line.options);
    server.Start();
    int signal_number = 0;
    sigwait(&signals, &signal_number);
    choreo::log::Info("provider stopping", {{"signal", signal_number}});
    server.Stop();
    return 0;
  } catch (const std::invalid_argument& e) {
    std::cerr << "provider: " << e.what() << "\n" << provider::ProviderUsage();
    return 2;
  } catch (const std::exception& e) {
    choreo::log::Error("provider failed", {{"error", e.what()}});
    return 1;
  }
}
