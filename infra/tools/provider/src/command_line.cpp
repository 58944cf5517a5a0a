#include <charconv>
#include <limits>
#include <stdexcept>

#include "choreo/provider/server.hpp"

namespace choreo::provider {

namespace {

template <class Int>
Int ParseInteger(const std::string& name, const std::string& text, Int min, Int max) {
  long long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < static_cast<long long>(min) ||
      value > static_cast<long long>(max)) {
    throw std::invalid_argument(name + " must be an integer from " + std::to_string(min) + " to " +
                                std::to_string(max) + ", got \"" + text + "\"");
  }
  return static_cast<Int>(value);
}

std::uint16_t ParsePort(const std::string& name, const std::string& text) {
  return ParseInteger<std::uint16_t>(name, text, 0, 65535);
}

}  // namespace

std::string ProviderUsage() {
  return "usage: provider [--port N] [--store URL] [--flaky-failures N] [--threads N] [--log-level L]\n"
         "  Payment / mail provider stand-in on 127.0.0.1.\n"
         "  --port N            listen port (env CHOREO_PROVIDER_PORT, default 8090; 0 = ephemeral)\n"
         "  --store URL         ledger store (env CHOREO_PROVIDER_STORE_URL,\n"
         "                      default sqlite:var/data/provider.db; postgresql://... works too)\n"
         "  --flaky-failures N  503s per idempotency key before tok_flaky succeeds (default 2)\n"
         "  --slow-ms N         how long a tok_slow charge takes (env CHOREO_PROVIDER_SLOW_MS, default 3000)\n"
         "  --threads N         request handler threads (default 16)\n"
         "  --log-level L       debug | info | warn | error (default info)\n";
}

ProviderCommandLine ParseProviderArgs(
    const std::vector<std::string>& args,
    const std::function<std::optional<std::string>(const char* name)>& get_env) {
  ProviderCommandLine command_line;
  ProviderServerOptions& options = command_line.options;
  if (auto port = get_env("CHOREO_PROVIDER_PORT"); port && !port->empty()) {
    options.port = ParsePort("CHOREO_PROVIDER_PORT", *port);
  }
  if (auto slow = get_env("CHOREO_PROVIDER_SLOW_MS"); slow && !slow->empty()) {
    options.slow = std::chrono::milliseconds(ParseInteger<int>("CHOREO_PROVIDER_SLOW_MS", *slow, 0, 60000));
  }
  if (auto url = get_env("CHOREO_PROVIDER_STORE_URL"); url && !url->empty()) {
    options.store_url = *url;
  }

  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i];
    std::optional<std::string> inline_value;
    if (auto eq = flag.find('='); flag.rfind("--", 0) == 0 && eq != std::string::npos) {
      inline_value = flag.substr(eq + 1);
      flag.erase(eq);
    }
    auto value = [&]() -> std::string {
      if (inline_value) return *inline_value;
      if (i + 1 >= args.size()) throw std::invalid_argument(flag + " needs a value");
      return args[++i];
    };
    if (flag == "--help" || flag == "-h") {
      command_line.help = true;
    } else if (flag == "--port") {
      options.port = ParsePort(flag, value());
    } else if (flag == "--store") {
      options.store_url = value();
    } else if (flag == "--flaky-failures") {
      options.flaky_failures = ParseInteger<int>(flag, value(), 0, 1000);
    } else if (flag == "--slow-ms") {
      options.slow = std::chrono::milliseconds(ParseInteger<int>(flag, value(), 0, 60000));
    } else if (flag == "--threads") {
      options.max_threads = ParseInteger<std::size_t>(flag, value(), 1, 1024);
    } else if (flag == "--log-level") {
      command_line.log_level = value();
    } else {
      throw std::invalid_argument("unknown argument \"" + args[i] + "\"");
    }
  }
  options.Validate();
  return command_line;
}

}  // namespace choreo::provider
