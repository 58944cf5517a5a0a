// Phase gateway: `wrk -t2 -c32` POST /orders against the gateway process, then against a
// bare Poco HTTPServer (poco-bare-bench) with the same settings: what the gateway's own
// work (validation, idempotency, group commit, outbox) costs against Poco's ceiling.
#include <array>
#include <cstdio>
#include <regex>

#include "choreo/testing/testing.hpp"
#include "phases.hpp"

namespace choreo::bench {

namespace {

using namespace std::chrono_literals;

double ToMs(double value, const std::string& unit) {
  if (unit == "us") return value / 1000;
  if (unit == "ms") return value;
  if (unit == "s") return value * 1000;
  if (unit == "m") return value * 60000;
  return value;
}

WrkResult Wrk(int port, int seconds, bool warm_up) {
  if (warm_up) Wrk(port, 2, false);
  const std::string command = "wrk -t2 -c32 -d" + std::to_string(seconds) + "s --latency -s " +
                              std::string(CHOREO_BENCH_DIR) + "/post_orders.lua http://127.0.0.1:" +
                              std::to_string(port) + "/orders 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("cannot run wrk");
  std::string output;
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) output += buffer.data();
  if (::pclose(pipe) != 0) throw std::runtime_error("wrk failed:\n" + output);

  WrkResult r;
  std::smatch m;
  double duration = seconds;
  if (std::regex_search(output, m, std::regex(R"((\d+) requests in ([\d.]+)(\w+),)"))) {
    r.requests = std::stol(m[1]);
    duration = ToMs(std::stod(m[2]), m[3]) / 1000;
  }
  if (std::regex_search(output, m, std::regex(R"(Non-2xx or 3xx responses: (\d+))"))) r.non_2xx = std::stol(m[1]);
  if (std::regex_search(output, m, std::regex(R"(Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+))"))) {
    r.errors = std::stol(m[1]) + std::stol(m[2]) + std::stol(m[3]) + std::stol(m[4]);
  }
  if (std::regex_search(output, m, std::regex(R"(50%\s+([\d.]+)(\w+))"))) r.p50_ms = ToMs(std::stod(m[1]), m[2]);
  if (std::regex_search(output, m, std::regex(R"(99%\s+([\d.]+)(\w+))"))) r.p99_ms = ToMs(std::stod(m[1]), m[2]);
  r.requests_per_s = static_cast<double>(r.requests - r.non_2xx) / duration;
  return r;
}

}  // namespace

GatewayResult Gateway(const Args& args) {
  GatewayResult result;
  testing::TestVhost vhost("bench-gateway");
  {
    // The relay publishes order.placed with `mandatory`: give it a queue to land in.
    amqp::Connection admin({.url = vhost.AmqpUrl(), .connection_name = "bench-gateway-admin"});
    admin.DeclareExchange({.name = "orders", .type = "topic"});
    admin.DeclareQueue(amqp::QueueSpec::Quorum("placed-sink"));
    admin.Bind({.queue = "placed-sink", .exchange = "orders", .routing_key = "order.placed"});
  }
  // A port the kernel has just handed out, never a fixed one: other runs share the machine.
  const int port = e2e::FreePort();
  const std::string log = args.work_dir + "/gateway.log";
  pid_t gateway = Spawn({BinDir() + "/gateway"},
                        {{"CHOREO_AMQP_URL", vhost.AmqpUrl()},
                         {"CHOREO_STORE_URL", "sqlite:" + args.work_dir + "/gateway.db"},
                         {"CHOREO_GATEWAY_PORT", std::to_string(port)}},
                        log);
  try {
    if (!testing::WaitFor([&] { return HttpStatus(port, "/readyz") == 200; }, 60s, 50ms)) {
      throw std::runtime_error("gateway did not become ready; see " + log);
    }
    result.gateway = Wrk(port, args.wrk_seconds, true);
    result.gateway_rss_mb = PeakRssMb(gateway);
  } catch (...) {
    Terminate(gateway);
    throw;
  }
  Terminate(gateway);

  const int bare_port = e2e::FreePort();
  pid_t bare = Spawn({BinDir() + "/poco-bare-bench", "--port", std::to_string(bare_port)}, {},
                     args.work_dir + "/poco-bare.log");
  try {
    if (!testing::WaitFor([&] { return HttpStatus(bare_port, "/") == 202; }, 20s, 20ms)) {
      throw std::runtime_error("poco-bare-bench did not start");
    }
    result.bare = Wrk(bare_port, args.wrk_seconds, true);
  } catch (...) {
    Terminate(bare);
    throw;
  }
  Terminate(bare);
  return result;
}

}  // namespace choreo::bench
