#include "choreo/admin/console.hpp"

#include <stdexcept>

#include "choreo/http/server.hpp"
#include "console/routes.hpp"

namespace choreo::admin {

void ConsoleOptions::Validate() const {
  if (host.empty()) throw std::invalid_argument("console: host must not be empty");
  if (max_threads < 1) throw std::invalid_argument("console: max_threads must be at least 1");
  if (worker_timeout <= std::chrono::milliseconds::zero()) {
    throw std::invalid_argument("console: worker_timeout must be positive");
  }
  if (endpoints.amqp_url.empty()) throw std::invalid_argument("console: endpoints.amqp_url must not be empty");
}

struct Console::Impl {
  console::Context context;
  http::Server server;

  explicit Impl(ConsoleOptions options)
      : context{std::move(options)},
        server(http::ServerOptions{.name = "console",
                                   .host = context.options.host,
                                   .port = context.options.port,
                                   .max_threads = context.options.max_threads,
                                   // A replay of a large group takes a while to answer.
                                   .io_timeout = std::chrono::milliseconds(120000),
                                   .problem_type_prefix = "urn:choreo:console:"},
               console::MakeRouter(context)) {}
};

Console::Console(ConsoleOptions options) {
  options.Validate();
  impl_ = std::make_unique<Impl>(std::move(options));
}

Console::~Console() = default;  // the server's destructor stops it

void Console::Start() { impl_->server.Start(); }

void Console::Stop() { impl_->server.Stop(); }

uint16_t Console::Port() const { return impl_->server.Port(); }

}  // namespace choreo::admin
