// The end of a run: what happened to every submission, as text or JSON, the orders file,
// and the exit status.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>

#include "choreo/config/process.hpp"
#include "run.hpp"

namespace choreo::load {

using nlohmann::json;

int LoadRun::Report() {
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
  const int exit_code = ok ? config::kExitOk : settled_ok ? kExitUnexpectedOnly : config::kExitFailed;
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

}  // namespace choreo::load
