#pragma once
// The frame every choreo process's main() shares (the gateway, the workers, choreo-load):
// its exit codes, the command line read into the program's options, and what an exception
// that escapes the run becomes.
//   config::Options flags("gateway", "...");
//   flags.Add(...);
//   return config::RunProcess(flags, argc, argv, {
//       .read = [&] { options.port = flags.GetInt("port"); options.Validate(); },
//       .run = [&] { Serve(options); return config::kExitOk; },
//       .failed = [](const std::exception& e) { log::Error("gateway failed", {{"error", e.what()}}); }});
#include <exception>
#include <functional>

#include "choreo/config/options.hpp"

namespace choreo::config {

inline constexpr int kExitOk = 0;
// The run failed (an exception escaped it, or the program says so).
inline constexpr int kExitFailed = 1;
// The command line was wrong: nothing was started.
inline constexpr int kExitUsage = 2;

struct ProcessSteps {
  // Turns the parsed flags into the program's options; a std::invalid_argument (UsageError,
  // an options struct's Validate()) is a usage error.
  std::function<void()> read;
  // Runs the program; returns its exit code.
  std::function<int()> run;
  // Reports an exception that escaped `run` (to the log, or stderr). Must not throw.
  std::function<void(const std::exception&)> failed;
};

// Parses argv into `flags`, then: --help prints the usage to stdout and returns kExitOk; a
// std::invalid_argument from parsing or `read` prints "<program>: <what>" and the usage to
// stderr and returns kExitUsage; otherwise returns what `run` returns, or kExitFailed after
// `failed` when an exception escapes it.
int RunProcess(Options& flags, int argc, const char* const* argv, const ProcessSteps& steps);

}  // namespace choreo::config
