#include "run.hpp"

#include <Poco/Net/HTTPRequest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <random>
#include <thread>

#include "choreo/contracts/envelope.hpp"
#include "choreo/contracts/time.hpp"

namespace choreo::load {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

std::string FormatNumber(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", v);
  std::string out = text;
  while (out.back() == '0') out.pop_back();
  if (out.back() == '.') out.pop_back();
  return out;
}

}  // namespace

double MsSince(Clock::time_point start, Clock::time_point end) {
  return std::chrono::duration<double, std::milli>(end - start).count();
}

Client LoadRun::ClientFor(std::size_t index) const {
  return Client(s_.targets[index % s_.targets.size()], s_.request_timeout);
}

int LoadRun::Run() {
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

void LoadRun::WriteStatus(const char* phase) {
  if (s_.status_file.empty()) return;
  std::ofstream out(s_.status_file + ".tmp", std::ios::trunc);
  out << phase << "\n";
  out.close();
  std::rename((s_.status_file + ".tmp").c_str(), s_.status_file.c_str());
}

void LoadRun::SubmitLoop(std::size_t index) {
  Client client = ClientFor(index);
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

void LoadRun::Submit(Client& client, std::size_t i) {
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
void LoadRun::Post(Client& client, Slot& slot) {
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

void LoadRun::PollLoop(std::size_t index) {
  Client client = ClientFor(index);
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
double LoadRun::TerminalLatency(const Slot& slot, const json& view) {
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

void LoadRun::ProgressLoop() {
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

}  // namespace choreo::load
