// choreo-load: submits orders to the gateway over HTTP at a given rate and concurrency,
// then waits until every accepted order is terminal (CONFIRMED or CANCELLED) by polling
// GET /orders/{id}. Reports accepted/s, POST latency and submit->terminal latency, per
// kind and outcome. Exit 0: every order accepted and terminal with an expected outcome;
// 1: something was not (see the report); 2: usage error; 3: only unexpected outcomes.
// This file reads the command line; run.cpp submits and settles, report.cpp reports.
#include <csignal>
#include <cstdio>

#include "choreo/config/options.hpp"
#include "choreo/config/process.hpp"
#include "run.hpp"

int main(int argc, char** argv) {
  using namespace choreo;
  std::signal(SIGPIPE, SIG_IGN);
  load::Settings settings;
  config::Options flags("choreo-load",
                        "Submits orders to the gateway, then waits until every one is CONFIRMED or CANCELLED.\n"
                        "Mix kinds: ok, decline, flaky, slow, insufficient, rejected_destination, rare, duplicate.\n"
                        "Exit status: 0 all as expected; 1 failures (POST, not terminal, 404); 2 usage; 3 only\n"
                        "orders whose outcome differs from what their kind leads to expect.");
  flags.Add("url", "CHOREO_LOAD_URL", "http://127.0.0.1:8080", "gateway base URL (127.0.0.1 only); several comma-separated: client threads take turns")
      .Add("orders", "100", "submissions (new orders and duplicates)")
      .Add("rate", "20", "submissions per second (0: as fast as the clients go)")
      .Add("concurrency", "4", "client threads, one keep-alive connection each")
      .Add("duration", "0", "stop submitting after this long (e.g. 5m; 0: no limit)")
      .Add("mix", "ok=80,decline=5,flaky=5,slow=2,insufficient=3,rejected_destination=3,duplicate=2",
           "kind=weight,...")
      .Add("settle-timeout", "120s", "how long to wait after the last submission for every order to be terminal")
      .Add("request-timeout", "15s", "socket timeout of one HTTP request")
      .Add("retry-for", "120s", "how long one POST is retried (5xx, 409, no response) with its Idempotency-Key")
      .Add("poll-interval", "250ms", "how often each pending order is polled")
      .Add("poll-concurrency", "2", "polling threads")
      .Add("seed", "1", "seed of the mix and the order bodies")
      .Add("progress", "10s", "progress line on stderr this often (0: none)")
      .Add("status-file", "", "write the phase (submitting, settling, done) to this file")
      .Add("orders-file", "", "write every accepted order (id, kind, key, outcome) as JSON lines here")
      .AddFlag("no-check-outcomes", "do not fail on an outcome its kind does not expect")
      .AddFlag("json", "print the report as JSON")
      .AddFlag("help", "print this help");
  return config::RunProcess(
      flags, argc, argv,
      {.read =
           [&] {
             if (!flags.Positional().empty()) {
               throw config::UsageError("unexpected argument '" + flags.Positional().front() + "'");
             }
             settings.url = flags.Get("url");
             settings.targets = load::ParseTargets(settings.url);
             const auto orders = flags.GetInt("orders");
             if (orders < 1 || orders > 10'000'000) throw config::UsageError("--orders must be from 1 to 10000000");
             settings.orders = static_cast<std::size_t>(orders);
             settings.rate = std::stod(flags.Get("rate"));
             if (settings.rate < 0) throw config::UsageError("--rate must be >= 0");
             settings.concurrency = static_cast<int>(flags.GetInt("concurrency"));
             settings.poll_concurrency = static_cast<int>(flags.GetInt("poll-concurrency"));
             if (settings.concurrency < 1 || settings.concurrency > 256 || settings.poll_concurrency < 1 ||
                 settings.poll_concurrency > 64) {
               throw config::UsageError("--concurrency must be 1..256 and --poll-concurrency 1..64");
             }
             settings.duration = flags.GetDuration("duration");
             settings.settle_timeout = flags.GetDuration("settle-timeout");
             settings.request_timeout = flags.GetDuration("request-timeout");
             settings.retry_for = flags.GetDuration("retry-for");
             settings.poll_interval = flags.GetDuration("poll-interval");
             settings.progress = flags.GetDuration("progress");
             if (settings.request_timeout.count() <= 0) throw config::UsageError("--request-timeout must be positive");
             settings.mix = load::ParseMix(flags.Get("mix"));
             settings.seed = static_cast<std::uint64_t>(flags.GetInt("seed"));
             settings.json = flags.GetFlag("json");
             settings.check_outcomes = !flags.GetFlag("no-check-outcomes");
             settings.status_file = flags.Get("status-file");
             settings.orders_file = flags.Get("orders-file");
           },
       .run = [&] { return load::LoadRun(std::move(settings)).Run(); },
       .failed = [](const std::exception& e) { std::fprintf(stderr, "choreo-load: %s\n", e.what()); }});
}
