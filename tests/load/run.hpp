#pragma once
// One run of choreo-load (main.cpp reads its Settings from the command line): submission
// threads POST the orders at the given rate, polling threads follow every accepted order
// until it is terminal, then the report (report.cpp) and the exit status.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "client.hpp"
#include "load.hpp"

namespace choreo::load {

using Clock = std::chrono::steady_clock;

// Everything settled, but some orders ended otherwise than their kind leads to expect
// (listed in --orders-file with "expected": false): the caller may be able to explain them
// (infra/chaos: dead-lettered after the retries ran out under injected faults). 0, 1 and 2
// are choreo::config's kExitOk, kExitFailed and kExitUsage.
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

double MsSince(Clock::time_point start, Clock::time_point end = Clock::now());

class LoadRun {
 public:
  explicit LoadRun(Settings settings) : s_(std::move(settings)), slots_(s_.orders) {}

  // Submits, settles, reports; returns the exit status.
  int Run();

 private:
  void WriteStatus(const char* phase);
  void SubmitLoop(std::size_t index);
  void Submit(Client& client, std::size_t i);
  void Post(Client& client, Slot& slot);
  void PollLoop(std::size_t index);
  double TerminalLatency(const Slot& slot, const nlohmann::json& view);
  void ProgressLoop();
  int Report();
  Client ClientFor(std::size_t index) const;

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

}  // namespace choreo::load
