// console: the web console (console.hpp), served until SIGINT or SIGTERM.
#include <pthread.h>
#include <signal.h>

#include <cstdlib>
#include <ostream>

#include "broker.hpp"
#include "choreo/admin/console.hpp"
#include "cli/commands.hpp"

namespace choreo::admin::cli {

namespace {

constexpr const char* kConsoleUsage = R"(Usage: choreo-admin console [--port N] [--host ADDRESS]

Serves the web console until SIGINT or SIGTERM: dead-letter queues, failure groups and
their messages, replay of a group or a message after a confirmation, outbox backlogs,
each worker's readiness and circuits. Open http://127.0.0.1:8070/ in a browser. The JSON
API behind the pages is described at /api/openapi.yaml (console-openapi.yaml).

The broker, the stores and the workers' ports come from the same places as for every
other command: --amqp-url / --mgmt-url, CHOREO_AMQP_URL / CHOREO_MGMT_URL, else the run
record of infra/up (CHOREO_VAR_DIR). The console has no login: it listens on loopback
unless --host says otherwise, and only a JSON POST with "confirm": true replays.

  --port N          port to listen on (default 8070; 0 picks a free one)
  --host ADDRESS    address to listen on (default 127.0.0.1)
)";

uint16_t ParsePort(const Args& args) {
  const std::string text = args.Last("port").value_or(std::to_string(kDefaultConsolePort));
  char* end = nullptr;
  const long port = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || port < 0 || port > 65535) {
    throw UsageError("--port needs a port number (0-65535), got '" + text + "'");
  }
  return static_cast<uint16_t>(port);
}

int ConsoleRun(const Args& args, const Io& io) {
  NoMoreArguments(args, 1);
  ConsoleOptions options;
  options.port = ParsePort(args);
  options.host = args.Last("host").value_or("127.0.0.1");
  options.endpoints = EndpointsFrom(args, io.env);
  options.endpoints.connection_name = "choreo-admin console";
  options.var_dir = io.env.var_dir;
  detail::VhostOf(options.endpoints);  // a malformed URL fails now, not on every page
  Console console(options);

  // Blocked before the server's threads start, so they inherit the mask and the signals
  // wait for sigwait here.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  try {
    console.Start();
  } catch (const std::runtime_error& e) {
    throw CommandError(e.what());
  }
  io.err << "choreo-admin console: serving http://" << options.host << ":" << console.Port() << "/ (broker "
         << detail::Describe(options.endpoints) << "); stop with Ctrl-C\n"
         << std::flush;
  int received = 0;
  sigwait(&stop, &received);
  io.err << "choreo-admin console: stopping\n";
  console.Stop();
  return kExitOk;
}

void ConsoleOptionsOf(Poco::Util::OptionSet& options) {
  AddOnce(options, Valued("port", "N"));
  AddOnce(options, Valued("host", "ADDRESS"));
}

}  // namespace

Command ConsoleCommand() {
  return {.path = {"console"}, .usage = kConsoleUsage, .define = ConsoleOptionsOf, .run = ConsoleRun};
}

}  // namespace choreo::admin::cli
