// ReadTimelineFacts: an order's rows from every component's store, and its dead letters.
#include "choreo/admin/timeline.hpp"
#include "choreo/contracts/topology.hpp"
#include "store_reader.hpp"

namespace choreo::admin {

namespace {

void ReadStore(TimelineFacts& facts, const std::string& component, const std::string& url) {
  try {
    auto store = OpenStoreForReading(url, {component + " store", "--" + component + "-store", ""});
    store->InTransaction([&](store::Tx& tx) {
      facts.produced[component] = outbox::facts::ReadProducedOf(tx, facts.order_id);
      facts.handled[component] = outbox::ReadInboxOf(tx, facts.order_id);
      if (component == "order") facts.order = order::facts::ReadOrder(tx, facts.order_id);
    });
  } catch (const std::exception& e) {
    facts.produced.erase(component);
    facts.handled.erase(component);
    facts.problems.push_back(component + " store: " + e.what());
  }
}

void ReadDeadLetters(TimelineFacts& facts, const Endpoints& broker) {
  for (const contracts::topology::WorkerTopology& worker : contracts::topology::Workers()) {
    const std::string queue = contracts::topology::DeadLetterQueueName(worker.work.name);
    try {
      ShowReport report = Show(broker, {.queue = queue, .filter = {}, .limit = std::nullopt});
      for (DeadLetter& letter : report.messages) {
        if (letter.correlation_id == facts.order_id) facts.dead_letters.push_back(std::move(letter));
      }
    } catch (const std::exception& e) {
      facts.problems.push_back(queue + ": " + e.what());
    }
  }
}

}  // namespace

TimelineFacts ReadTimelineFacts(const std::map<std::string, std::string>& stores,
                                const std::optional<Endpoints>& broker, const std::string& order_id) {
  TimelineFacts facts;
  facts.order_id = order_id;
  for (const auto& [component, url] : stores) {
    if (component == "provider" || url.empty()) continue;
    ReadStore(facts, component, url);
  }
  if (broker) ReadDeadLetters(facts, *broker);
  return facts;
}

}  // namespace choreo::admin
