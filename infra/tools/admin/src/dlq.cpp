// dlq list / show / replay / purge.
#include <algorithm>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "broker.hpp"
#include "choreo/admin/admin.hpp"
#include "choreo/admin/topology.hpp"
#include "choreo/amqp/error.hpp"
#include "choreo/amqp/publisher.hpp"
#include "choreo/contracts/topology.hpp"
#include "pass.hpp"

namespace choreo::admin {

namespace {

using detail::Decision;
using detail::Settled;

constexpr std::string_view kDlqSuffix = ".dlq";

contracts::Millis NowMillis() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

void RequireDeadLetterQueue(const std::string& queue) {
  if (queue.empty()) throw UsageError("missing queue name");
  if (!queue.ends_with(kDlqSuffix)) {
    throw UsageError("'" + queue +
                     "' is not a dead-letter queue (the name does not end in .dlq); "
                     "choreo-admin only reads and changes dead-letter queues");
  }
}

// Past this depth `dlq list` does not read a queue to find its oldest message.
constexpr uint32_t kListScanLimit = 20000;

// The oldest message by dead-lettered time. Reads the whole queue and gives it back in
// order: looking at the head alone and requeueing it would move it to the back of a
// quorum queue.
void FindOldest(amqp::Connection& connection, QueueSummary& summary) {
  std::optional<contracts::Millis> oldest;
  detail::PassOptions options;
  options.queue = summary.name;
  detail::PassHooks hooks;
  hooks.decide = [](const DeadLetter&) { return Decision{}; };
  hooks.settled = [&](const DeadLetter& letter, Settled, const std::string&) {
    if (letter.dead_lettered_time && (!oldest || *letter.dead_lettered_time < *oldest)) {
      oldest = letter.dead_lettered_time;
      summary.oldest_dead_lettered_at = letter.dead_lettered_at;
    }
  };
  detail::Pass pass(connection, nullptr, nullptr, options, hooks);
  pass.Run();
  summary.messages = pass.Depth();
  if (oldest) {
    summary.oldest_age =
        std::chrono::duration_cast<std::chrono::milliseconds>(NowMillis() - *oldest);
  }
}

struct Target {
  std::string exchange;
  std::string routing_key;
  std::string error;  // set when there is none
};

Target ReplayTarget(const DeadLetter& letter, const ReplayOptions& options) {
  if (options.to_queue) {
    std::string queue = letter.original_queue;
    if (queue.empty()) queue = options.queue.substr(0, options.queue.size() - kDlqSuffix.size());
    return {"", queue, ""};
  }
  if (!letter.HasDestination()) {
    return {"", "", "no original exchange / routing key in the headers (x-choreo-original-*) "
                    "nor in x-death; use --to-queue to send it to its work queue"};
  }
  return {letter.original_exchange, letter.original_routing_key, ""};
}

MessageOutcome OutcomeOf(const DeadLetter& letter) {
  MessageOutcome o;
  o.message_id = letter.message_id;
  o.event_type = letter.event_type;
  o.error_class = letter.error_class;
  return o;
}

std::optional<int64_t> IntegerIn(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return std::nullopt;
  auto it = object.find(key);
  if (it == object.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<int64_t>();
}

// Says how often the messages the broker dead-lettered for its delivery limit were
// delivered, from the limit their queue has now (the management API knows it; the
// message does not carry its count). Best effort: without the API the words stay general.
// Show, replay and purge all explain a letter this way before filtering it, so a filter on
// the error message (a failure group of the console) selects what show printed.
class DeliveryLimits {
 public:
  explicit DeliveryLimits(const Endpoints& endpoints) : endpoints_(endpoints) {}

  static bool Applies(const DeadLetter& letter) {
    return letter.broker_reason == "delivery_limit" && !letter.original_queue.empty();
  }

  void Explain(DeadLetter& letter) {
    if (!Applies(letter)) return;
    auto [it, fresh] = limits_.try_emplace(letter.original_queue);
    if (fresh) it->second = Lookup(letter.original_queue);
    letter.delivery_limit = it->second;
    letter.error_message = ExplainBrokerDeadLetter(letter.broker_reason, letter.delivery_limit);
  }

 private:
  std::optional<int64_t> Lookup(const std::string& queue_name) {
    try {
      if (!version_) {
        version_ = detail::ManagementGet(endpoints_, "/api/overview").value("rabbitmq_version", "");
      }
      const nlohmann::json queue = detail::ManagementGet(
          endpoints_, "/api/queues/" + detail::EncodeSegment(detail::VhostOf(endpoints_)) + "/" +
                          detail::EncodeSegment(queue_name));
      // The policy fields come with the queue's statistics, up to 5 s after the queue
      // (or the node) started; without them the limit is unknown, not the default.
      if (!queue.contains("effective_policy_definition")) return std::nullopt;
      return EffectiveDeliveryLimit(
          IntegerIn(queue.value("arguments", nlohmann::json::object()), "x-delivery-limit"),
          IntegerIn(queue.value("effective_policy_definition", nlohmann::json::object()), "delivery-limit"),
          *version_);
    } catch (const CommandError&) {
      return std::nullopt;  // unknown: the general explanation stays
    }
  }

  const Endpoints& endpoints_;
  std::map<std::string, std::optional<int64_t>> limits_;  // by queue
  std::optional<std::string> version_;
};

// Whether `filter` selects `letter` as show describes it (see DeliveryLimits).
bool Selects(const Filter& filter, const DeadLetter& letter, DeliveryLimits& limits, contracts::Millis now) {
  if (!DeliveryLimits::Applies(letter)) return filter.Matches(letter, now);
  DeadLetter explained = letter;
  limits.Explain(explained);
  return filter.Matches(explained, now);
}

void RunPass(const Endpoints& endpoints, const std::string& queue, detail::Pass& pass) {
  detail::Translated(endpoints, queue, [&] {
    pass.Run();
    return 0;
  });
}

// Runs a pass that changes the DLQ. A CommandError (broker gone, refused) ends it without
// losing the report of what it did before: whatever was not confirmed stays in the DLQ,
// the broker takes back every unacknowledged message of a closed connection. Returns that
// error, or else the pass's warning ("" when there is none). A UsageError is thrown.
std::string RunToEnd(const Endpoints& endpoints, const std::string& queue, detail::Pass& pass) {
  std::string error;
  try {
    RunPass(endpoints, queue, pass);
  } catch (const CommandError& e) {
    error = e.what();
  }
  return error.empty() ? pass.Warning() : error;
}

}  // namespace

uint32_t QueueDepth(const Endpoints& endpoints, const std::string& queue) {
  auto connection = detail::OpenConnection(endpoints);
  return detail::Translated(endpoints, queue,
                            [&] { return connection->InspectQueue(queue).message_count; });
}

ListReport ListDeadLetterQueues(const Endpoints& endpoints) {
  ListReport report;
  report.vhost = detail::VhostOf(endpoints);
  auto connection = detail::OpenConnection(endpoints);

  std::vector<std::string> names;
  try {
    nlohmann::json queues = detail::ManagementGet(
        endpoints, "/api/queues/" + detail::EncodeSegment(report.vhost) + "?columns=name");
    for (const auto& q : queues) {
      if (!q.is_object() || !q.contains("name") || !q["name"].is_string()) continue;
      std::string name = q["name"].get<std::string>();
      if (name.ends_with(kDlqSuffix)) names.push_back(std::move(name));
    }
    report.source = "management";
  } catch (const CommandError& e) {
    // The broker itself is fine (we are connected): list what the topology declares.
    report.warnings.push_back(std::string(e.what()) +
                              "; listing the dead-letter queues of the choreo topology instead");
    for (const auto& worker : contracts::topology::Workers()) {
      names.push_back(worker.dead_letter.name);
    }
    report.source = "topology";
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());

  for (const std::string& name : names) {
    QueueSummary summary;
    summary.name = name;
    try {
      detail::Translated(endpoints, name, [&] {
        summary.messages = connection->InspectQueue(name).message_count;
        if (summary.messages > kListScanLimit) {
          report.warnings.push_back(name + ": " + std::to_string(summary.messages) +
                                    " messages, too many to look for the oldest one");
        } else if (summary.messages > 0) {
          FindOldest(*connection, summary);
        }
        return 0;
      });
    } catch (const UsageError&) {
      continue;  // deleted meanwhile, or (topology) never declared
    }
    report.queues.push_back(std::move(summary));
  }
  return report;
}

ShowReport Show(const Endpoints& endpoints, const ShowOptions& options) {
  RequireDeadLetterQueue(options.queue);
  ShowReport report;
  report.queue = options.queue;
  auto connection = detail::OpenConnection(endpoints);
  const contracts::Millis now = NowMillis();

  DeliveryLimits limits(endpoints);
  const detail::PassOptions pass_options{.queue = options.queue, .limit = options.limit};
  detail::PassHooks hooks;
  hooks.decide = [&](const DeadLetter& letter) {
    Decision d;
    d.selected = Selects(options.filter, letter, limits, now);
    return d;
  };
  hooks.settled = [&](const DeadLetter& letter, Settled settled, const std::string&) {
    if (settled != Settled::kSelectedHeld) return;
    report.messages.push_back(letter);
    limits.Explain(report.messages.back());
  };
  detail::Pass pass(*connection, nullptr, nullptr, pass_options, hooks);
  RunPass(endpoints, options.queue, pass);
  report.depth = pass.Depth();
  report.examined = pass.Counts().examined;
  report.matched = pass.Counts().done;
  return report;
}

ReplayReport Replay(const Endpoints& endpoints, const ReplayOptions& options) {
  RequireDeadLetterQueue(options.queue);
  if (options.rate && *options.rate <= 0) throw UsageError("--rate must be a positive number");
  if (options.limit && *options.limit == 0) throw UsageError("--limit must be at least 1");
  ReplayReport report;
  report.queue = options.queue;
  report.dry_run = options.dry_run;
  const std::string replayed_by =
      options.replayed_by.empty() ? DefaultReplayedBy() : options.replayed_by;
  auto connection = detail::OpenConnection(endpoints);
  // Fail on a missing queue before confirm mode is switched on.
  report.depth = detail::Translated(endpoints, options.queue,
                                    [&] { return connection->InspectQueue(options.queue).message_count; });
  // Publishing gets a connection of its own (see pass.hpp).
  std::unique_ptr<amqp::Connection> publisher_connection;
  std::unique_ptr<amqp::Publisher> publisher;
  if (!options.dry_run) {
    Endpoints publishing = endpoints;
    publishing.connection_name += "/publish";
    publisher_connection = detail::OpenConnection(publishing);
    amqp::PublisherOptions publisher_options;
    publisher_options.mandatory = true;
    publisher_options.window = std::max<std::size_t>(options.window, 1) + 8;
    publisher = detail::Translated(endpoints, options.queue, [&] {
      return std::make_unique<amqp::Publisher>(*publisher_connection, publisher_options);
    });
  }
  auto reconnects = [&] {
    return connection->Reconnects() + (publisher_connection ? publisher_connection->Reconnects() : 0);
  };
  const uint64_t reconnects_before = reconnects();
  const contracts::Millis now = NowMillis();
  DeliveryLimits limits(endpoints);

  const detail::PassOptions pass_options{
      .queue = options.queue, .limit = options.limit, .window = options.window, .rate = options.rate};
  detail::PassHooks hooks;
  hooks.decide = [&](const DeadLetter& letter) {
    Decision d;
    if (!Selects(options.filter, letter, limits, now)) return d;
    Target target = ReplayTarget(letter, options);
    if (!target.error.empty()) {
      d.kind = Decision::Kind::kFail;
      d.reason = target.error;
      return d;
    }
    if (options.dry_run) {
      d.selected = true;
      return d;
    }
    d.kind = Decision::Kind::kPublish;
    d.exchange = target.exchange;
    d.routing_key = target.routing_key;
    d.message = ReplayCopy(letter, replayed_by, contracts::NowRfc3339());
    return d;
  };
  hooks.settled = [&](const DeadLetter& letter, Settled settled, const std::string& reason) {
    if (settled == Settled::kSkipped) return;
    MessageOutcome o = OutcomeOf(letter);
    Target target = ReplayTarget(letter, options);
    o.exchange = target.exchange;
    o.routing_key = target.routing_key;
    o.reason = reason;
    switch (settled) {
      case Settled::kSelectedHeld: o.action = Action::kWouldReplay; break;
      case Settled::kDone: o.action = Action::kReplayed; break;
      case Settled::kFailed: o.action = Action::kFailed; break;
      case Settled::kSkipped: break;
    }
    report.messages.push_back(std::move(o));
  };
  hooks.on_progress = options.on_progress;

  detail::Pass pass(*connection, publisher_connection.get(), publisher.get(), pass_options, hooks);
  report.error = RunToEnd(endpoints, options.queue, pass);
  const Progress& counts = pass.Counts();
  report.depth = pass.Depth();
  report.examined = counts.examined;
  report.replayed = counts.done;
  report.skipped = counts.skipped;
  report.failed = counts.failed;
  report.late_acks = pass.LateAcks();
  report.reconnects = reconnects() - reconnects_before;
  report.elapsed = counts.elapsed;
  return report;
}

PurgeReport Purge(const Endpoints& endpoints, const PurgeOptions& options) {
  RequireDeadLetterQueue(options.queue);
  if (options.limit && *options.limit == 0) throw UsageError("--limit must be at least 1");
  PurgeReport report;
  report.queue = options.queue;
  report.dry_run = options.dry_run;
  auto connection = detail::OpenConnection(endpoints);
  const uint64_t reconnects_before = connection->Reconnects();
  const contracts::Millis now = NowMillis();
  DeliveryLimits limits(endpoints);

  const detail::PassOptions pass_options{.queue = options.queue, .limit = options.limit};
  detail::PassHooks hooks;
  hooks.decide = [&](const DeadLetter& letter) {
    Decision d;
    if (!Selects(options.filter, letter, limits, now)) return d;
    if (options.dry_run) {
      d.selected = true;
    } else {
      d.kind = Decision::Kind::kAck;
    }
    return d;
  };
  hooks.settled = [&](const DeadLetter& letter, Settled settled, const std::string&) {
    if (settled != Settled::kDone && settled != Settled::kSelectedHeld) return;
    MessageOutcome o = OutcomeOf(letter);
    o.action = settled == Settled::kDone ? Action::kPurged : Action::kWouldPurge;
    report.messages.push_back(std::move(o));
  };
  hooks.on_progress = options.on_progress;

  detail::Pass pass(*connection, nullptr, nullptr, pass_options, hooks);
  report.error = RunToEnd(endpoints, options.queue, pass);
  report.depth = pass.Depth();
  report.examined = pass.Counts().examined;
  report.purged = pass.Counts().done;
  report.kept = pass.Counts().skipped;
  report.reconnects = connection->Reconnects() - reconnects_before;
  return report;
}

}  // namespace choreo::admin
