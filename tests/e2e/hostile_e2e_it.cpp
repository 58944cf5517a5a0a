// Hostile messages with the real processes (the five workers, the gateway, the provider
// stand-in) on a real broker: more than a thousand messages of two dozen kinds
// (hostile_messages.hpp) published to every (exchange, routing key) a work queue is bound
// to, valid orders in between. Every copy must reach the dead-letter queue of every
// subscriber with its reason, no process may die or restart, the work queues must drain,
// and every valid order must reach its terminal state.
//
// CHOREO_E2E_HOSTILE_SKIP=kind,kind leaves kinds out (to tell which one breaks a worker);
// the counts checked are then those of what was sent, and the suite-size checks are off.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <set>
#include <sstream>

#include "choreo/contracts/dead_letter.hpp"
#include "choreo/contracts/topology.hpp"
#include "choreo/testing/testing.hpp"
#include "hostile_messages.hpp"
#include "system.hpp"

namespace choreo::e2e {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace dl = contracts::dead_letter;
namespace topo = contracts::topology;

const std::vector<std::string> kComponents = {"order", "inventory", "payment", "shipping", "notification", "gateway"};
constexpr std::size_t kHostilePerOrder = 25;  // a valid order after every 25 hostile messages

struct SentMessage {
  std::string kind;
  const hostile::Route* route = nullptr;
  std::size_t body_hash = 0;
  std::string expect_in_error;
};

// Per kind: what was sent, what arrived, and what was wrong with the dead letters.
struct KindFigures {
  std::size_t sent = 0, expected = 0, dead_letters = 0, problems = 0;
  std::set<std::string> classes;
  std::string first_problem, sample_reason;
};

std::set<std::string> SkippedKinds() {
  std::set<std::string> skipped;
  const char* env = std::getenv("CHOREO_E2E_HOSTILE_SKIP");
  std::stringstream list(env ? env : "");
  for (std::string kind; std::getline(list, kind, ',');) {
    if (!kind.empty()) skipped.insert(kind);
  }
  return skipped;
}

// For printing reasons that quote hostile bytes.
std::string Printable(std::string_view text, std::size_t max) {
  std::string out;
  for (char c : text.substr(0, std::min(text.size(), max))) out += (c >= 0x20 && c < 0x7F) ? c : '?';
  return out;
}

double Seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

// messages + messages_unacknowledged of a queue from the management API; -1 until the
// broker has statistics for it.
int64_t Unsettled(const testing::TestVhost& vhost, const std::string& queue) {
  std::string body;
  const int status = testing::ManagementRequest(
      "GET", "/api/queues/" + testing::UrlEncode(vhost.Name()) + "/" + testing::UrlEncode(queue), "", &body);
  if (status != 200) return -1;
  const auto stats = nlohmann::json::parse(body);
  if (!stats.contains("messages") || !stats.contains("messages_unacknowledged")) return -1;
  return stats["messages"].get<int64_t>() + stats["messages_unacknowledged"].get<int64_t>();
}

// What is wrong with one dead letter taken from `dlq` ("" if nothing).
std::string Problem(const amqp::Message& m, const std::string& worker, const SentMessage& sent) {
  const auto error_class = m.headers.GetString(dl::kErrorClass);
  if (!error_class || error_class->empty()) return "no " + std::string(dl::kErrorClass);
  // Hostile input is refused at the first attempt, never retried as a failure of ours.
  if (*error_class == dl::kTransientExhausted || *error_class == dl::kUnexpectedError) {
    return "error class " + *error_class;
  }
  const auto reason = m.headers.GetString(dl::kErrorMessage);
  if (!reason || reason->empty()) return "no " + std::string(dl::kErrorMessage);
  if (reason->find(sent.expect_in_error) == std::string::npos) {
    return "reason '" + reason->substr(0, 200) + "' lacks '" + sent.expect_in_error + "'";
  }
  if (m.headers.GetString(dl::kWorker) != worker) return "wrong " + std::string(dl::kWorker);
  // Replay sends the message back to where it was published: that must be the truth,
  // whatever headers the publisher forged.
  if (m.headers.GetString(dl::kOriginalExchange) != sent.route->exchange ||
      m.headers.GetString(dl::kOriginalRoutingKey) != sent.route->routing_key) {
    return "origin headers " + m.headers.GetString(dl::kOriginalExchange).value_or("(none)") + "/" +
           m.headers.GetString(dl::kOriginalRoutingKey).value_or("(none)") + ", published to " +
           sent.route->exchange + "/" + sent.route->routing_key;
  }
  if (std::hash<std::string>{}(m.body) != sent.body_hash) return "body changed (" + std::to_string(m.body.size()) + " bytes)";
  return "";
}

class HostileE2E : public ::testing::Test {
 protected:
  HostileE2E()
      : system_({.amqp_url = vhost_.AmqpUrl()}),
        probe_({.url = vhost_.AmqpUrl(), .connection_name = "hostile-probe"}),
        routes_(hostile::Routes()) {}

  // Starts every component and waits until each consumes its work queue.
  void StartAll() {
    system_.StartAll();
    system_.Start("gateway");
    ASSERT_TRUE(testing::WaitFor(
        [&] {
          return std::all_of(kComponents.begin(), kComponents.end(),
                             [&](const auto& c) { return probe_.InspectQueue(c).consumer_count > 0; });
        },
        30s, 50ms))
        << "not every component consumes; gateway log:\n" << system_.LogTail("gateway");
    for (const auto& c : kComponents) pids_[c] = system_.Pid(c);
  }

  bool AllRunning() {
    return std::all_of(kComponents.begin(), kComponents.end(), [&](const auto& c) { return system_.Running(c); });
  }

  // Publishes variant by variant across all kinds, so that each kind is spread over the
  // run, with a valid order after every kHostilePerOrder hostile messages.
  void PublishAll(EventPublisher& publisher, const std::set<std::string>& skipped) {
    std::mt19937 rng(20240501);
    int max_variants = 0;
    for (const auto& kind : hostile::Kinds()) max_variants = std::max(max_variants, kind.variants);
    for (int v = 0; v < max_variants; ++v) {
      for (const auto& kind : hostile::Kinds()) {
        if (v >= kind.variants || skipped.count(kind.name)) continue;
        for (const hostile::Route* route : hostile::RoutesOf(kind, routes_)) {
          hostile::Hostile h = kind.make(*route, v, rng);
          h.message.message_id = hostile::MessageId(sent_.size());
          sent_[h.message.message_id] = {kind.name, route, std::hash<std::string>{}(h.message.body), h.expect_in_error};
          publisher.Send(route->exchange, route->routing_key, h.message);
          figures_[kind.name].sent++;
          for (const auto& queue : route->subscribers) {
            expected_[topo::DeadLetterQueueName(queue)][kind.name]++;
            figures_[kind.name].expected++;
          }
          if (route->routing_key == "order.confirmed" || route->routing_key == "order.cancelled") to_watcher_++;
          if (sent_.size() % kHostilePerOrder == 0) PlaceOrder(publisher);
        }
      }
    }
    publisher.Settle(120s);
  }

  void PlaceOrder(EventPublisher& publisher) {
    const std::size_t i = order_ids_.size();
    contracts::OrderPlaced order =
        i % 10 < 7 ? MakeOrder("tok_ok", "DE", {{.sku = "sku-00" + std::to_string(1 + i % 8), .quantity = 1}})
        : i % 10 < 9 ? MakeOrder("tok_decline")
                     : MakeOrder("tok_ok", "AQ");
    outcomes_[order.order_id] = i % 10 < 7   ? "CONFIRMED"
                                : i % 10 < 9 ? "CANCELLED:payment_declined"
                                             : "CANCELLED:shipment_rejected";
    order_ids_.push_back(order.order_id);
    publisher.Publish(contracts::MakeEnvelope(order));  // also settles the hostile ones before it
  }

  std::map<std::string, std::size_t> Depths() {
    std::map<std::string, std::size_t> depths;
    for (const auto& c : kComponents) {
      const std::string dlq = topo::DeadLetterQueueName(c);
      depths[dlq] = probe_.InspectQueue(dlq).message_count;
    }
    return depths;
  }

  std::map<std::string, std::size_t> WantedDepths() {
    std::map<std::string, std::size_t> wanted;
    for (const auto& c : kComponents) {
      std::size_t copies = 0;
      for (const auto& [kind, n] : expected_[topo::DeadLetterQueueName(c)]) copies += n;
      wanted[topo::DeadLetterQueueName(c)] = copies;
    }
    return wanted;
  }

  // Polls `progress` (any value that changes while things move) until `done`, a process
  // dies, or nothing moved for `idle`: a stuck worker need not cost the whole deadline.
  template <class Progress>
  bool WaitWhileMoving(const std::function<bool()>& done, Progress progress, std::chrono::seconds idle) {
    auto last = progress();
    auto last_change = Clock::now();
    testing::WaitFor(
        [&] {
          if (done()) return true;
          if (auto now = progress(); now != last) {
            last = now;
            last_change = Clock::now();
          }
          return !AllRunning() || Clock::now() - last_change > idle;
        },
        180s, 100ms);
    return done();
  }

  bool AllTerminal() {
    return std::all_of(order_ids_.begin(), order_ids_.end(),
                       [&](const auto& id) { return watcher_->Terminals().count(id) > 0; });
  }

  // Takes every dead letter off the DLQs: which kind, and does it say why and where from.
  void ReadDeadLetters() {
    for (const auto& c : kComponents) {
      const std::string dlq = topo::DeadLetterQueueName(c);
      while (auto d = probe_.Get(dlq, /*auto_ack=*/true)) {
        const amqp::Message& m = d->message;
        auto it = sent_.find(m.message_id);
        if (it == sent_.end()) {
          if (foreign_dead_letters_++ < 5) {
            std::printf("dead letter of no hostile message in %s: id %s, type %s, %s: %s\n", dlq.c_str(),
                        m.message_id.c_str(), m.type.c_str(), m.headers.GetString(dl::kErrorClass).value_or("?").c_str(),
                        Printable(m.headers.GetString(dl::kErrorMessage).value_or(""), 200).c_str());
          }
          continue;
        }
        KindFigures& f = figures_[it->second.kind];
        got_[dlq][it->second.kind]++;
        f.dead_letters++;
        f.classes.insert(m.headers.GetString(dl::kErrorClass).value_or("(none)"));
        if (f.sample_reason.empty()) f.sample_reason = m.headers.GetString(dl::kErrorMessage).value_or("");
        if (const std::string problem = Problem(m, c, it->second); !problem.empty() && f.problems++ == 0) {
          f.first_problem = dlq + ": " + problem;
        }
      }
    }
  }

  void PrintFigures(double publish_seconds, double dead_letter_seconds, const std::map<std::string, std::size_t>& depths,
                    const std::map<std::string, int64_t>& unsettled, const std::map<std::string, uint32_t>& retried) {
    std::printf("\nhostile e2e: %zu routes, published in %.1f s, dead letters complete after %.1f s\n", routes_.size(),
                publish_seconds, dead_letter_seconds);
    std::printf("%-24s %6s %9s %9s %8s  %s\n", "kind", "sent", "expected", "dlq", "problems", "error classes");
    std::size_t total_sent = 0, total_expected = 0, total_got = 0;
    for (const auto& kind : hostile::Kinds()) {
      if (!figures_.count(kind.name)) continue;
      const KindFigures& f = figures_[kind.name];
      std::string classes;
      for (const auto& c : f.classes) classes += (classes.empty() ? "" : ",") + c;
      std::printf("%-24s %6zu %9zu %9zu %8zu  %s\n", kind.name.c_str(), f.sent, f.expected, f.dead_letters, f.problems,
                  classes.c_str());
      total_sent += f.sent;
      total_expected += f.expected;
      total_got += f.dead_letters;
    }
    std::printf("%-24s %6zu %9zu %9zu  (%zu kinds)\n", "total", total_sent, total_expected, total_got, figures_.size());
    for (const auto& kind : hostile::Kinds()) {
      if (!figures_.count(kind.name)) continue;
      const KindFigures& f = figures_[kind.name];
      std::printf("  %-22s reason: %s\n", kind.name.c_str(), Printable(f.sample_reason, 110).c_str());
      if (f.problems > 0) std::printf("  %-22s PROBLEM: %s\n", "", Printable(f.first_problem, 200).c_str());
    }
    const auto wanted = WantedDepths();
    std::size_t restarts = 0;
    for (const auto& c : kComponents) {
      const std::string dlq = topo::DeadLetterQueueName(c);
      restarts += system_.Pid(c) != pids_[c] ? 1 : 0;
      std::printf("%-18s expected %5zu, depth %5zu, work queue unsettled %3lld, retried %u, pid %d -> %d %s\n",
                  dlq.c_str(), wanted.at(dlq), depths.at(dlq), static_cast<long long>(unsettled.at(c)), retried.at(c),
                  pids_[c], system_.Pid(c), system_.Ending(c).c_str());
    }
    std::size_t confirmed = 0;
    for (const auto& id : order_ids_) confirmed += watcher_->Outcome(id) == "CONFIRMED" ? 1 : 0;
    std::printf("valid orders: %zu, terminal %zu, confirmed %zu; hostile copies skipped by the watcher %zu of %zu; "
                "processes restarted or dead: %zu\n\n",
                order_ids_.size(), watcher_->Terminals().size(), confirmed, watcher_->Skipped(), to_watcher_, restarts);
  }

  testing::TestVhost vhost_{"hostile"};
  System system_;
  amqp::Connection probe_;
  const std::vector<hostile::Route> routes_;
  std::unique_ptr<TerminalWatcher> watcher_;
  std::map<std::string, pid_t> pids_;
  std::map<std::string, SentMessage> sent_;                              // by message id
  std::map<std::string, std::map<std::string, std::size_t>> expected_;  // dlq -> kind -> copies
  std::map<std::string, std::map<std::string, std::size_t>> got_;       // dlq -> kind -> copies
  std::map<std::string, KindFigures> figures_;
  std::size_t to_watcher_ = 0, foreign_dead_letters_ = 0;
  std::vector<std::string> order_ids_;
  std::map<std::string, std::string> outcomes_;  // expected, by order id
};

TEST_F(HostileE2E, EveryCopyIsDeadLetteredWhileWorkersStayUpAndOrdersComplete) {
  const std::set<std::string> skipped = SkippedKinds();
  ASSERT_NO_FATAL_FAILURE(StartAll());
  EventPublisher publisher(vhost_.AmqpUrl());
  watcher_ = std::make_unique<TerminalWatcher>(vhost_.AmqpUrl(), std::string(hostile::kMessageIdPrefix));

  const auto start = Clock::now();
  PublishAll(publisher, skipped);
  const double publish_seconds = Seconds(start);
  const auto wanted = WantedDepths();
  const bool dead_lettered = WaitWhileMoving([&] { return Depths() == wanted; }, [&] { return Depths(); }, 20s);
  const double dead_letter_seconds = Seconds(start);
  const bool orders_done = WaitWhileMoving([&] { return AllTerminal(); }, [&] { return watcher_->Poll(); }, 30s);
  // Management statistics lag by a few seconds: poll until they show empty work queues.
  std::map<std::string, int64_t> unsettled;
  const bool drained = testing::WaitFor(
      [&] {
        for (const auto& c : kComponents) unsettled[c] = Unsettled(vhost_, c);
        return !AllRunning() || std::all_of(unsettled.begin(), unsettled.end(), [](const auto& q) { return q.second == 0; });
      },
      30s, 500ms);
  watcher_->Poll();
  // Nothing arrived after the work queues drained, and nothing went to a retry queue.
  const auto depths = Depths();
  std::map<std::string, uint32_t> retried;
  for (const auto& c : kComponents) {
    for (std::size_t i = 1; i <= topo::kRetryDelays.size(); ++i) {
      retried[c] += probe_.InspectQueue(topo::RetryQueueName(c, static_cast<int>(i))).message_count;
    }
  }
  ReadDeadLetters();
  PrintFigures(publish_seconds, dead_letter_seconds, depths, unsettled, retried);

  for (const auto& c : kComponents) {
    EXPECT_TRUE(system_.Running(c) && system_.Pid(c) == pids_[c])
        << c << " died or restarted (" << system_.Ending(c) << "); log:\n" << system_.LogTail(c, 5);
  }
  if (skipped.empty()) {
    EXPECT_GE(sent_.size(), 1000u);
    EXPECT_GE(figures_.size(), 15u);
  }
  EXPECT_TRUE(dead_lettered) << "dead-letter queues did not reach their expected depths";
  EXPECT_EQ(depths, wanted);
  EXPECT_EQ(got_, expected_) << "dead letters per queue and kind";
  EXPECT_EQ(foreign_dead_letters_, 0u) << "dead letters that are not hostile messages (valid orders must not fail)";
  for (const auto& [kind, f] : figures_) {
    EXPECT_EQ(f.problems, 0u) << kind << ": " << f.problems << " dead letters wrong, the first in " << f.first_problem;
  }
  EXPECT_TRUE(drained) << "work queues not drained";
  for (const auto& [c, n] : retried) EXPECT_EQ(n, 0u) << c << " retried hostile messages";
  EXPECT_TRUE(orders_done) << watcher_->Terminals().size() << " terminal of " << order_ids_.size() << " valid orders";
  std::size_t wrong_outcomes = 0;
  std::string first_wrong;
  for (const auto& id : order_ids_) {
    if (watcher_->Outcome(id) == outcomes_[id]) continue;
    if (wrong_outcomes++ == 0) first_wrong = id + ": '" + watcher_->Outcome(id) + "', expected " + outcomes_[id];
  }
  EXPECT_EQ(wrong_outcomes, 0u) << "valid orders with another outcome, the first " << first_wrong;
  EXPECT_EQ(watcher_->Skipped(), to_watcher_) << "hostile copies that reached the terminal watcher's queue";
}

}  // namespace
}  // namespace choreo::e2e
