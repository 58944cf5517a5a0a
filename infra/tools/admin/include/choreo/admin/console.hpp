#pragma once
// `choreo-admin console`: a small web console for operators (docs/operations.md, Web
// console). Server-rendered pages and the JSON API behind them (console-openapi.yaml):
// dead-letter queues, failure groups and their messages, replay of a group or a message
// after a confirmation, outbox backlogs, each worker's readiness and circuits, and the
// place of the order timeline. Everything goes through the same library functions as the
// command line (admin.hpp), on choreo::http::Server.
//
// Safe by construction, not by deployment: it listens on loopback unless told otherwise,
// every value from a message is HTML-escaped (and the pages forbid inline scripts), and
// replay is a POST with a JSON body that says "confirm": true, which a cross-site form
// cannot send.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "choreo/admin/admin.hpp"

namespace choreo::admin {

inline constexpr uint16_t kDefaultConsolePort = 8070;

struct ConsoleOptions {
  std::string host = "127.0.0.1";
  uint16_t port = kDefaultConsolePort;  // 0: ephemeral (tests); see Console::Port
  // The broker, as `choreo-admin` resolves it (flags, environment, run record).
  Endpoints endpoints;
  // Where infra/up's run record is (<var_dir>/run/record; "" = var): read again on every
  // request for the outbox stores and the workers' ports, so a later infra/up is seen.
  std::string var_dir;
  // Per worker scrape (/readyz, /metrics): a worker slower than this is shown down.
  std::chrono::milliseconds worker_timeout{1500};
  int max_threads = 8;
  // Throws std::invalid_argument naming the field.
  void Validate() const;
};

class Console {
 public:
  explicit Console(ConsoleOptions options);  // validates; binds nothing yet
  ~Console();                                // stops; never throws
  Console(const Console&) = delete;
  Console& operator=(const Console&) = delete;

  // Binds and serves; throws std::runtime_error naming host:port when it cannot bind.
  void Start();
  void Stop();
  uint16_t Port() const;  // the bound port while started

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace choreo::admin
