// LoadAuditData: every store through its component's read interface (facts.hpp), the
// catalog and the dead-letter queues.
#include <algorithm>
#include <stdexcept>

#include "choreo/admin/audit.hpp"
#include "choreo/inventory/catalog.hpp"
#include "choreo/outbox/facts.hpp"
#include "choreo/secrets/redact.hpp"
#include "store_reader.hpp"
#include "text.hpp"

namespace choreo::admin {

namespace {

using std::chrono::milliseconds;

std::unique_ptr<store::Store> OpenStore(const std::string& component, const std::string& url) {
  const std::string flag = "--" + component + "-store";
  return OpenStoreForReading(
      url, {component + " store", flag, flag + " URL, --var-dir DIR, or " + flag + " none to leave it out"});
}

// One transaction per store: what one component says is self-consistent.
template <class F>
void ReadStore(const std::string& component, const std::string& url, F&& read) {
  auto store = OpenStore(component, url);
  try {
    store->InTransaction([&](store::Tx& tx) { read(tx); });
  } catch (const store::StoreError& e) {
    throw CommandError("cannot read the " + component + " store " + secrets::RedactUrl(url) + ": " + e.what() +
                       " (is this the " + component + "'s store, and has it started at least once?)");
  }
}

OutboxRecord ReadOutbox(store::Tx& tx, const std::string& components) {
  OutboxRecord record;
  record.components = components;
  for (const outbox::facts::PendingRow& row : outbox::facts::ReadPending(tx)) {
    ++record.pending;
    record.pending_created_ms.push_back(row.created_at_ms);
    if (row.attempts > 0) ++record.failing;
    if (!record.oldest_pending_created_ms || row.created_at_ms < *record.oldest_pending_created_ms) {
      record.oldest_pending_created_ms = row.created_at_ms;
    }
  }
  return record;
}

// The initial stock per SKU, parsed by inventory's own catalog reader: a catalog the
// worker would refuse to seed from is refused here too.
std::map<std::string, std::int64_t> ReadCatalog(const std::string& path) {
  std::vector<inventory::CatalogItem> items;
  try {
    items = inventory::LoadCatalog(path);
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("the catalog: ") + e.what() + " (--catalog PATH, or --catalog none)");
  }
  std::map<std::string, std::int64_t> initial;
  for (const inventory::CatalogItem& item : items) initial[item.sku] = item.stock;
  return initial;
}

void ReadDeadLetters(const Endpoints& endpoints, std::size_t limit, AuditData& data) {
  try {
    ListReport list = ListDeadLetterQueues(endpoints);
    for (const std::string& w : list.warnings) data.warnings.push_back("broker: " + w);
    DlqData dlq;
    dlq.queues = list.queues.size();
    for (const QueueSummary& q : list.queues) {
      if (q.messages == 0) continue;
      ShowOptions options;
      options.queue = q.name;
      options.limit = limit;
      ShowReport shown = Show(endpoints, options);
      if (shown.depth > shown.examined) dlq.unread += shown.depth - shown.examined;
      for (const DeadLetter& l : shown.messages) {
        dlq.messages.push_back({q.name, l.message_id, l.event_type, l.correlation_id, l.error_class, l.error_message,
                                l.worker, l.dead_lettered_at});
      }
    }
    data.dlq = std::move(dlq);
  } catch (const std::exception& e) {
    // The stores are the point of the audit; a broker that is down must not hide them.
    data.warnings.push_back(std::string("the dead-letter queues were not read: ") + e.what());
  }
}

}  // namespace

std::string DefaultStoreUrl(const std::string& var_dir, const std::string& component) {
  std::string dir = var_dir.empty() ? "var" : var_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return "sqlite:" + dir + "/data/" + component + ".db";
}

AuditData LoadAuditData(const AuditSources& sources) {
  AuditData data;
  auto url_of = [&](const std::string& component) -> std::string {
    auto it = sources.stores.find(component);
    return it == sources.stores.end() ? std::string() : it->second;
  };
  for (const char* component : kAuditComponents) {
    const std::string url = url_of(component);
    data.sources.push_back(Pad(component, 13) + (url.empty() ? "(left out)" : secrets::RedactUrl(url)));
  }
  // Open every store first, so a wrong URL fails before anything is read.
  for (const char* component : kAuditComponents) {
    if (!url_of(component).empty()) OpenStore(component, url_of(component));
  }
  // The catalog is no store; read it before the snapshot starts.
  if (sources.catalog_path) data.catalog = ReadCatalog(*sources.catalog_path);

  // Downstream first, the gateway last (see audit.hpp).
  if (auto url = url_of("order"); !url.empty()) {
    ReadStore("order", url, [&](store::Tx& tx) { data.orders = order::facts::ReadOrders(tx); });
  }
  if (auto url = url_of("inventory"); !url.empty()) {
    ReadStore("inventory", url, [&](store::Tx& tx) { data.inventory = inventory::facts::ReadInventory(tx); });
  }
  if (auto url = url_of("payment"); !url.empty()) {
    ReadStore("payment", url, [&](store::Tx& tx) { data.payments = payment::facts::ReadPayments(tx); });
  }
  if (auto url = url_of("shipping"); !url.empty()) {
    ReadStore("shipping", url, [&](store::Tx& tx) { data.shipments = shipping::facts::ReadShipments(tx); });
  }
  if (auto url = url_of("notification"); !url.empty()) {
    ReadStore("notification", url,
              [&](store::Tx& tx) { data.notifications = notification::facts::ReadNotifications(tx); });
  }
  if (auto url = url_of("provider"); !url.empty()) {
    ReadStore("provider", url, [&](store::Tx& tx) { data.provider = provider::facts::ReadLedger(tx); });
  }
  if (auto url = url_of("gateway"); !url.empty()) {
    ReadStore("gateway", url, [&](store::Tx& tx) { data.gateway = gateway::facts::ReadAcceptedOrders(tx); });
  }
  // Outboxes after the state they publish; components sharing one database share one
  // outbox table, read once. The provider has no outbox.
  std::vector<std::pair<std::string, std::string>> outboxes;  // url, components
  for (const char* component : kAuditComponents) {
    const std::string url = url_of(component);
    if (url.empty() || std::string(component) == "provider") continue;
    auto it = std::find_if(outboxes.begin(), outboxes.end(), [&](const auto& o) { return o.first == url; });
    if (it == outboxes.end()) {
      outboxes.emplace_back(url, component);
    } else {
      it->second += std::string(",") + component;
    }
  }
  for (const auto& [url, components] : outboxes) {
    ReadStore(components, url, [&](store::Tx& tx) { data.outboxes.push_back(ReadOutbox(tx, components)); });
  }
  if (sources.broker) {
    ReadDeadLetters(*sources.broker, sources.dlq_limit_per_queue, data);
  } else {
    data.warnings.push_back("the dead-letter queues were not read (--no-broker)");
  }
  data.now_ms = std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  return data;
}

}  // namespace choreo::admin
