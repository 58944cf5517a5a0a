// choreo-load: submits orders to the gateway over HTTP at a given rate and concurrency,
// then waits until every accepted order is terminal (CONFIRMED or CANCELLED) by polling
// GET /orders/{id}. Reports accepted/s, POST latency and submit->terminal latency, per
// kind and outcome. Exit 0: every order accepted and terminal with an expected outcome;
// 1: something was not (see the report); 2: usage error.
#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/StreamCopier.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "choreo/config/options.hpp"
#include "choreo/contracts/envelope.hpp"
#include "choreo/contracts/time.hpp"
#include "load.hpp"

namespace choreo::load {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
// Everything settled, but some orders ended otherwise than their kind leads to expect
// (listed in --orders-file with "expected": false): the caller may be able to explain them
// (infra/chaos: dead-lettered after the retries ran out under injected faults).
constexpr int kExitUnexpectedOnly = 3;

struct Settings {
  std::string url;
  // One or more gateways; client thread i talks to targets[i % size].
  std::vector<Target> targets;
  std::size_t orders = 0;
  double rate = 0;
  int concurrency = 1;
  int poll_concurrency = 1;
  std::chrono::milliseconds duration{0};
  std::chrono::milliseconds settle_timeout{0};
  std::chrono::milliseconds request_timeout{0};
  std::chrono::milliseconds retry_for{0};
  std::chrono::milliseconds poll_interval{0};
  std::chrono::milliseconds progress{0};
  std::vector<MixEntry> mix;
  std::uint64_t seed = 0;
  bool json = false;
  bool check_outcomes = true;
  std::string status_file;
  std::string orders_file;
};

double MsSince(Clock::time_point start, Clock::time_point end = Clock::now()) {
  return std::chrono::duration<double, std::milli>(end - start).count();
}

// One submission slot: a new order, or a duplicate of an earlier one (duplicate_of).
struct Slot {
  Kind kind = Kind::kOk;
  bool used = false;
  std::optional<std::size_t> duplicate_of;
  std::string key;
  std::string body;
  // POST result
  bool accepted = false;
  bool replayed = false;
  int attempts = 0;
  int final_status = 0;
  std::string error;
  std::string order_id;
  double post_ms = 0;
  Clock::time_point first_sent;
  std::chrono::system_clock::time_point first_sent_wall;
  // settle (orders only)
  bool terminal = false;
  std::string status;
  std::string reason;
  double terminal_ms = 0;
  Clock::time_point next_poll;
};

struct HttpReply {
  int status = 0;  // 0: no response (connection refused, reset, timeout)
  std::string body;
  bool replayed = false;
  std::string error;
};

class Client {
 public:
  Client(const Settings& settings, std::size_t index)
      : session_(settings.targets[index % settings.targets.size()].host,
                 settings.targets[index % settings.targets.size()].port) {
    session_.setKeepAlive(true);
    session_.setTimeout(Poco::Timespan(std::chrono::duration_cast<std::chrono::microseconds>(settings.request_timeout).count()));
  }

  HttpReply Exchange(const std::string& method, const std::string& path, const std::string& body = {},
                     const std::string& key = {}) {
    HttpReply reply;
    try {
      Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
      request.setKeepAlive(true);
      if (!key.empty()) request.set("Idempotency-Key", key);
      if (method == Poco::Net::HTTPRequest::HTTP_POST) {
        request.setContentType("application/json");
        request.setContentLength(static_cast<std::streamsize>(body.size()));
        session_.sendRequest(request) << body;
      } else {
        session_.sendRequest(request);
      }
      Poco::Net::HTTPResponse response;
      std::istream& in = session_.receiveResponse(response);
      Poco::StreamCopier::copyToString(in, reply.body);
      reply.status = static_cast<int>(response.getStatus());
      reply.replayed = response.get("Idempotent-Replayed", "") == "true";
      if (!response.getKeepAlive()) session_.reset();
    } catch (const Poco::Exception& e) {
      reply.status = 0;
      reply.error = e.displayText();
      session_.reset();
    } catch (const std::exception& e) {
      reply.status = 0;
      reply.error = e.what();
      session_.reset();
    }
    return reply;
  }

 private:
  Poco::Net::HTTPClientSession session_;
};

class LoadRun {
 public:
  explicit LoadRun(Settings settings) : s_(std::move(settings)), slots_(s_.orders) {}

  int Run() {
    start_ = Clock::now();
    WriteStatus("submitting");
    if (!s_.json) {
      std::printf("choreo-load: %zu submissions to %s, rate %s, concurrency %d, mix %s, seed %llu\n", s_.orders,
                  s_.url.c_str(), s_.rate > 0 ? (FormatNumber(s_.rate) + "/s").c_str() : "unlimited", s_.concurrency,
                  FormatMix(s_.mix).c_str(), static_cast<unsigned long long>(s_.seed));
      std::fflush(stdout);
    }
    std::vector<std::thread> pollers;
    for (int i = 0; i < s_.poll_concurrency; ++i) pollers.emplace_back([this, i] { PollLoop(i); });
    std::thread progress([this] { ProgressLoop(); });
    std::vector<std::thread> submitters;
    for (int i = 0; i < s_.concurrency; ++i) submitters.emplace_back([this, i] { SubmitLoop(i); });
    for (auto& t : submitters) t.join();
    submit_end_ = Clock::now();
    submitting_done_ = true;
    WriteStatus("settling");

    const auto deadline = submit_end_ + s_.settle_timeout;
    {
      std::unique_lock lock(mutex_);
      settled_cv_.wait_until(lock, deadline, [this] { return pending_ == 0; });
      settle_end_ = Clock::now();
    }
    stop_ = true;
    settled_cv_.notify_all();
    poll_cv_.notify_all();
    for (auto& t : pollers) t.join();
    progress.join();
    WriteStatus("done");
    return Report();
  }

 private:
  static std::string FormatNumber(double v) {
    char text[32];
    std::snprintf(text, sizeof text, "%.2f", v);
    std::string out = text;
    while (out.back() == '0') out.pop_back();
    if (out.back() == '.') out.pop_back();
    return out;
  }

  void WriteStatus(const char* phase) {
    if (s_.status_file.empty()) return;
    std::ofstream out(s_.status_file + ".tmp", std::ios::trunc);
    out << phase << "\n";
    out.close();
    std::rename((s_.status_file + ".tmp").c_str(), s_.status_file.c_str());
  }

  // ------------------------------------------------------------------ submission
  void SubmitLoop(std::size_t index) {
    Client client(s_, index);
    while (true) {
      const std::size_t i = next_.fetch_add(1);
      if (i >= s_.orders) return;
      if (s_.rate > 0) {
        const auto due = start_ + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(static_cast<double>(i) / s_.rate));
        std::this_thread::sleep_until(due);
      }
      if (s_.duration.count() > 0 && Clock::now() - start_ >= s_.duration) {
        duration_hit_ = true;
        return;
      }
      Submit(client, i);
    }
  }

  void Submit(Client& client, std::size_t i) {
    Slot& slot = slots_[i];
    std::mt19937_64 rng(s_.seed * 1'000'003ULL + i);
    slot.kind = PickKind(s_.mix, rng);
    slot.used = true;
    if (slot.kind == Kind::kDuplicate) {
      std::lock_guard lock(mutex_);
      if (accepted_.empty()) {
        slot.kind = Kind::kOk;  // nothing to duplicate yet
      } else {
        const std::size_t of = accepted_[std::uniform_int_distribution<std::size_t>(0, accepted_.size() - 1)(rng)];
        slot.duplicate_of = of;
        slot.key = slots_[of].key;
        slot.body = slots_[of].body;
      }
    }
    if (!slot.duplicate_of) {
      slot.key = "load-" + std::to_string(s_.seed) + "-" + std::to_string(i) + "-" + contracts::NewUuid();
      slot.body = OrderBody(slot.kind, rng, i).dump();
    }
    Post(client, slot);
    std::lock_guard lock(mutex_);
    if (slot.duplicate_of) {
      const Slot& original = slots_[*slot.duplicate_of];
      if (slot.accepted && slot.order_id != original.order_id) {
        slot.error = "duplicate got order id " + slot.order_id + ", first submission got " + original.order_id;
        slot.accepted = false;
      }
      if (slot.accepted) duplicates_ok_++; else duplicates_failed_++;
      return;
    }
    if (!slot.accepted) {
      post_failures_++;
      return;
    }
    accepted_count_++;
    accepted_.push_back(i);
    pending_++;
    slot.next_poll = Clock::now() + s_.poll_interval;
    poll_queue_.push_back(i);
    poll_cv_.notify_one();
  }

  // POST with the same Idempotency-Key and body until a definite answer: 202 (new or
  // replayed), or a 4xx other than 409. A 5xx, a 409 (the first try is still in flight)
  // or no response (gateway killed or restarting) is retried with backoff.
  void Post(Client& client, Slot& slot) {
    slot.first_sent = Clock::now();
    slot.first_sent_wall = std::chrono::system_clock::now();
    const auto give_up = slot.first_sent + s_.retry_for;
    auto backoff = 50ms;
    while (true) {
      slot.attempts++;
      const auto sent = Clock::now();
      HttpReply reply = client.Exchange(Poco::Net::HTTPRequest::HTTP_POST, "/orders", slot.body, slot.key);
      {
        std::lock_guard lock(mutex_);
        attempt_ms_.push_back(MsSince(sent));
      }
      slot.final_status = reply.status;
      if (reply.status == 202 || reply.status == 200 || reply.status == 201) {
        try {
          slot.order_id = json::parse(reply.body).at("order_id").get<std::string>();
          slot.accepted = true;
          slot.replayed = reply.replayed;
        } catch (const std::exception& e) {
          slot.error = "unreadable " + std::to_string(reply.status) + " response: " + reply.body.substr(0, 200);
        }
        break;
      }
      const bool retryable = reply.status == 0 || reply.status == 409 || reply.status >= 500;
      if (!retryable) {
        slot.error = "HTTP " + std::to_string(reply.status) + ": " + reply.body.substr(0, 300);
        break;
      }
      if (reply.status == 0) retries_connection_++;
      else if (reply.status == 409) retries_in_flight_++;
      else retries_5xx_++;
      if (Clock::now() + backoff > give_up) {
        slot.error = "gave up after " + std::to_string(slot.attempts) + " attempts: " +
                     (reply.status == 0 ? reply.error : "HTTP " + std::to_string(reply.status) + " " + reply.body.substr(0, 200));
        break;
      }
      std::this_thread::sleep_for(backoff);
      backoff = std::min<std::chrono::milliseconds>(backoff * 2, 1000ms);
    }
    slot.post_ms = MsSince(slot.first_sent);
  }

  // ------------------------------------------------------------------ settling
  void PollLoop(std::size_t index) {
    Client client(s_, index);
    while (true) {
      std::size_t i = 0;
      Clock::time_point due;
      {
        std::unique_lock lock(mutex_);
        poll_cv_.wait_for(lock, 100ms, [this] { return stop_.load() || !poll_queue_.empty(); });
        if (stop_) return;
        if (poll_queue_.empty()) continue;
        i = poll_queue_.front();
        poll_queue_.pop_front();
        due = slots_[i].next_poll;
      }
      if (due > Clock::now()) std::this_thread::sleep_until(std::min(due, Clock::now() + 1s));
      if (stop_) return;
      Slot& slot = slots_[i];
      HttpReply reply = client.Exchange(Poco::Net::HTTPRequest::HTTP_GET, "/orders/" + slot.order_id);
      bool done = false;
      std::string status, reason;
      double terminal_ms = 0;
      if (reply.status == 200) {
        try {
          const json view = json::parse(reply.body);
          status = view.value("status", "");
          if (view.contains("reason") && view["reason"].is_string()) reason = view["reason"].get<std::string>();
          if (status == "CONFIRMED" || status == "CANCELLED") {
            done = true;
            terminal_ms = TerminalLatency(slot, view);
          }
        } catch (const std::exception&) {
          poll_errors_++;
        }
      } else if (reply.status == 404) {
        poll_not_found_++;  // accepted orders are in the read model at once: never expected
      } else {
        poll_errors_++;
      }
      std::lock_guard lock(mutex_);
      if (done) {
        slot.terminal = true;
        slot.status = status;
        slot.reason = reason;
        slot.terminal_ms = terminal_ms;
        pending_--;
        if (pending_ == 0 && submitting_done_) settled_cv_.notify_all();
      } else {
        slot.status = status;
        slot.next_poll = Clock::now() + s_.poll_interval;
        poll_queue_.push_back(i);
      }
    }
  }

  // From the first POST to the terminal transition in the order's history (written by
  // the order worker, same machine clock); the time it was seen here if there is none.
  double TerminalLatency(const Slot& slot, const json& view) {
    const double seen = MsSince(slot.first_sent);
    if (!view.contains("history") || !view["history"].is_array()) return seen;
    for (const auto& entry : view["history"]) {
      const std::string to = entry.value("status", "");
      if (to != "CONFIRMED" && to != "CANCELLED") continue;
      if (!entry.contains("at") || !entry["at"].is_string()) break;
      auto at = contracts::ParseRfc3339(entry["at"].get<std::string>());
      if (!at) break;
      const double ms = std::chrono::duration<double, std::milli>(
                            *at - std::chrono::time_point_cast<std::chrono::milliseconds>(slot.first_sent_wall))
                            .count();
      return ms >= 0 ? ms : 0;
    }
    return seen;
  }

  void ProgressLoop() {
    if (s_.progress.count() <= 0) return;
    auto next = Clock::now() + s_.progress;
    while (!stop_) {
      {
        std::unique_lock lock(mutex_);
        settled_cv_.wait_until(lock, next, [this] { return stop_.load(); });
        if (stop_) return;
        std::fprintf(stderr, "[choreo-load] %5.0fs  submitted %zu/%zu  accepted %zu  terminal %zu  pending %zu  "
                     "post failures %zu  retries %zu\n",
                     MsSince(start_) / 1000.0, std::min(next_.load(), s_.orders), s_.orders, accepted_count_,
                     accepted_count_ - pending_, pending_, post_failures_,
                     retries_5xx_.load() + retries_connection_.load() + retries_in_flight_.load());
      }
      next += s_.progress;
    }
  }

  // ------------------------------------------------------------------ report
  int Report() {
    const double submit_s = MsSince(start_, submit_end_) / 1000.0;
    const double settle_s = MsSince(submit_end_, settle_end_) / 1000.0;
    std::vector<double> post_ms, terminal_ms;
    std::map<std::string, std::size_t> outcomes;
    std::map<std::string, std::map<std::string, std::size_t>> by_kind;
    std::vector<json> problems;
    std::size_t submissions = 0, orders = 0, terminal = 0, unexpected = 0, confirmed = 0, cancelled = 0;
    std::size_t replayed_new = 0;
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      const Slot& slot = slots_[i];
      if (!slot.used) continue;
      submissions++;
      if (slot.accepted) post_ms.push_back(slot.post_ms);
      const std::string kind(KindName(slot.kind));
      if (slot.duplicate_of) {
        by_kind[kind][slot.accepted ? "same_order_id" : "failed"]++;
        if (!slot.accepted) problems.push_back({{"problem", "duplicate_failed"}, {"key", slot.key}, {"error", slot.error}});
        continue;
      }
      orders++;
      if (!slot.accepted) {
        by_kind[kind]["post_failed"]++;
        problems.push_back({{"problem", "post_failed"}, {"kind", kind}, {"key", slot.key}, {"attempts", slot.attempts},
                            {"error", slot.error}});
        continue;
      }
      if (slot.replayed) replayed_new++;
      if (!slot.terminal) {
        by_kind[kind]["not_terminal"]++;
        outcomes["NOT TERMINAL"]++;
        problems.push_back({{"problem", "not_terminal"}, {"kind", kind}, {"order_id", slot.order_id},
                            {"last_status", slot.status}});
        continue;
      }
      terminal++;
      terminal_ms.push_back(slot.terminal_ms);
      const std::string outcome = slot.status == "CONFIRMED" ? "CONFIRMED" : "CANCELLED:" + slot.reason;
      (slot.status == "CONFIRMED" ? confirmed : cancelled)++;
      outcomes[outcome]++;
      by_kind[kind][outcome]++;
      if (s_.check_outcomes && !IsExpected(slot.kind, outcome)) {
        unexpected++;
        if (problems.size() < 200) {
          problems.push_back({{"problem", "unexpected_outcome"}, {"kind", kind}, {"order_id", slot.order_id},
                              {"outcome", outcome}});
        }
      }
    }
    const std::size_t accepted = accepted_count_;
    const std::size_t not_terminal = accepted - terminal;
    const bool settled_ok = post_failures_ == 0 && duplicates_failed_ == 0 && not_terminal == 0 && poll_not_found_ == 0;
    const bool ok = settled_ok && unexpected == 0;
    const int exit_code = ok ? kExitOk : settled_ok ? kExitUnexpectedOnly : kExitFailed;
    const LatencySummary post = Summarize(post_ms);
    const LatencySummary attempt = Summarize(attempt_ms_);
    const LatencySummary settle = Summarize(terminal_ms);
    const double accepted_per_s = submit_s > 0 ? static_cast<double>(accepted) / submit_s : 0;

    if (!s_.orders_file.empty()) {
      std::ofstream out(s_.orders_file, std::ios::trunc);
      for (const Slot& slot : slots_) {
        if (!slot.used || slot.duplicate_of || !slot.accepted) continue;
        const std::string outcome = slot.status == "CONFIRMED" ? "CONFIRMED" : "CANCELLED:" + slot.reason;
        out << json{{"order_id", slot.order_id}, {"kind", KindName(slot.kind)}, {"key", slot.key},
                    {"status", slot.terminal ? slot.status : "NOT TERMINAL"}, {"reason", slot.reason},
                    {"expected", slot.terminal && (!s_.check_outcomes || IsExpected(slot.kind, outcome))}}
                   .dump()
            << "\n";
      }
    }

    if (s_.json) {
      json report = {
          {"url", s_.url},
          {"seed", s_.seed},
          {"mix", FormatMix(s_.mix)},
          {"rate", s_.rate},
          {"concurrency", s_.concurrency},
          {"submissions", submissions},
          {"orders", orders},
          {"accepted", accepted},
          {"post_failures", post_failures_},
          {"duplicates", {{"same_order_id", duplicates_ok_}, {"failed", duplicates_failed_}}},
          {"replayed_on_retry", replayed_new},
          {"retries", {{"5xx", retries_5xx_.load()}, {"connection", retries_connection_.load()},
                       {"in_flight_409", retries_in_flight_.load()}}},
          {"duration_limit_hit", duration_hit_.load()},
          {"submit_seconds", submit_s},
          {"accepted_per_second", accepted_per_s},
          {"post_latency", ToJson(post)},
          {"post_attempt_latency", ToJson(attempt)},
          {"terminal", terminal},
          {"not_terminal", not_terminal},
          {"confirmed", confirmed},
          {"cancelled", cancelled},
          {"outcomes", outcomes},
          {"by_kind", by_kind},
          {"unexpected_outcomes", unexpected},
          {"settle_seconds", settle_s},
          {"submit_to_terminal_latency", ToJson(settle)},
          {"poll_errors", poll_errors_.load()},
          {"poll_not_found", poll_not_found_.load()},
          {"problems", problems},
          {"ok", ok},
      };
      std::cout << report.dump(2) << std::endl;
      return exit_code;
    }

    std::printf("submit: %zu submissions in %.1f s%s: %zu orders accepted (%.2f accepted/s), %zu duplicates "
                "answered with the same order id, %zu POST failures, %zu duplicate failures\n",
                submissions, submit_s, duration_hit_ ? " (duration limit hit)" : "", accepted, accepted_per_s,
                duplicates_ok_, post_failures_, duplicates_failed_);
    std::printf("        retried: %zu after 5xx, %zu after no response, %zu after 409 in-flight; %zu retries "
                "answered by a replay\n",
                retries_5xx_.load(), retries_connection_.load(), retries_in_flight_.load(), replayed_new);
    std::printf("POST latency ms (to the accepting answer, retries included): %s\n", Format(post).c_str());
    std::printf("POST attempt latency ms (every single request):              %s\n", Format(attempt).c_str());
    std::printf("settle: %zu/%zu terminal %.1f s after the last submission: %zu CONFIRMED, %zu CANCELLED, %zu not "
                "terminal\n",
                terminal, accepted, settle_s, confirmed, cancelled, not_terminal);
    for (const auto& [outcome, n] : outcomes) std::printf("        %-36s %zu\n", outcome.c_str(), n);
    std::printf("submit->terminal latency ms: %s\n", Format(settle).c_str());
    std::printf("by kind:\n");
    for (const auto& [kind, counts] : by_kind) {
      std::string line;
      for (const auto& [outcome, n] : counts) line += "  " + outcome + " " + std::to_string(n);
      std::printf("        %-22s%s\n", kind.c_str(), line.c_str());
    }
    if (poll_errors_ || poll_not_found_) {
      std::printf("polls: %zu errors (retried), %zu answered 404\n", poll_errors_.load(), poll_not_found_.load());
    }
    std::size_t shown = 0;
    for (const auto& p : problems) {
      if (shown++ == 20) {
        std::printf("problem: ... %zu more\n", problems.size() - 20);
        break;
      }
      std::printf("problem: %s\n", p.dump().c_str());
    }
    std::printf("result: %s\n", ok ? "OK" : settled_ok ? "UNEXPECTED OUTCOMES (everything else settled)" : "FAILED");
    std::fflush(stdout);
    return exit_code;
  }

  Settings s_;
  std::vector<Slot> slots_;
  Clock::time_point start_, submit_end_, settle_end_;
  std::atomic<std::size_t> next_{0};
  std::atomic<bool> stop_{false};
  std::atomic<bool> submitting_done_{false};
  std::atomic<bool> duration_hit_{false};

  std::mutex mutex_;  // guards everything below and the slots once submitted
  std::condition_variable settled_cv_;
  std::condition_variable poll_cv_;
  std::vector<std::size_t> accepted_;
  std::deque<std::size_t> poll_queue_;
  std::vector<double> attempt_ms_;
  std::size_t pending_ = 0;
  std::size_t accepted_count_ = 0;
  std::size_t post_failures_ = 0;
  std::size_t duplicates_ok_ = 0;
  std::size_t duplicates_failed_ = 0;
  std::atomic<std::size_t> retries_5xx_{0}, retries_connection_{0}, retries_in_flight_{0};
  std::atomic<std::size_t> poll_errors_{0}, poll_not_found_{0};
};

}  // namespace
}  // namespace choreo::load

int main(int argc, char** argv) {
  using namespace choreo;
  std::signal(SIGPIPE, SIG_IGN);
  config::Options flags("choreo-load",
                        "Submits orders to the gateway, then waits until every one is CONFIRMED or CANCELLED.\n"
                        "Mix kinds: ok, decline, flaky, slow, insufficient, rejected_destination, rare, duplicate.\n"
                        "Exit status: 0 all as expected; 1 failures (POST, not terminal, 404); 2 usage; 3 only\n"
                        "orders whose outcome differs from what their kind leads to expect.");
  flags.Add("url", "CHOREO_LOAD_URL", "http://127.0.0.1:8080", "gateway base URL (127.0.0.1 only); several comma-separated: client threads take turns")
      .Add("orders", "", "100", "submissions (new orders and duplicates)")
      .Add("rate", "", "20", "submissions per second (0: as fast as the clients go)")
      .Add("concurrency", "", "4", "client threads, one keep-alive connection each")
      .Add("duration", "", "0", "stop submitting after this long (e.g. 5m; 0: no limit)")
      .Add("mix", "", "ok=80,decline=5,flaky=5,slow=2,insufficient=3,rejected_destination=3,duplicate=2",
           "kind=weight,...")
      .Add("settle-timeout", "", "120s", "how long to wait after the last submission for every order to be terminal")
      .Add("request-timeout", "", "15s", "socket timeout of one HTTP request")
      .Add("retry-for", "", "120s", "how long one POST is retried (5xx, 409, no response) with its Idempotency-Key")
      .Add("poll-interval", "", "250ms", "how often each pending order is polled")
      .Add("poll-concurrency", "", "2", "polling threads")
      .Add("seed", "", "1", "seed of the mix and the order bodies")
      .Add("progress", "", "10s", "progress line on stderr this often (0: none)")
      .Add("status-file", "", "", "write the phase (submitting, settling, done) to this file")
      .Add("orders-file", "", "", "write every accepted order (id, kind, key, outcome) as JSON lines here")
      .AddFlag("no-check-outcomes", "do not fail on an outcome its kind does not expect")
      .AddFlag("json", "print the report as JSON")
      .AddFlag("help", "print this help");
  load::Settings settings;
  try {
    flags.Parse(argc, argv);
    if (flags.GetFlag("help")) {
      std::printf("%s", flags.Usage().c_str());
      return 0;
    }
    if (!flags.Positional().empty()) throw config::UsageError("unexpected argument '" + flags.Positional().front() + "'");
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
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "choreo-load: %s\n\n%s", e.what(), flags.Usage().c_str());
    return load::kExitUsage;
  }
  try {
    load::LoadRun run(std::move(settings));
    return run.Run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "choreo-load: %s\n", e.what());
    return load::kExitFailed;
  }
}
