// GET /readyz and GET /metrics of the gateway: what an orchestrator and a scraper see.
#include "choreo/log/log.hpp"
#include "choreo/outbox/outbox.hpp"
#include "service.hpp"

namespace choreo::gateway {

using nlohmann::json;

void Readyz(Service& service, http::Exchange& ex) {
  json checks = json::object();
  std::vector<std::string> down;
  try {
    service.Store().InTransaction([](store::Tx& tx) {
      int one = 0;
      tx.Run("SELECT 1", Poco::Data::Keywords::into(one));
    });
    checks["store"] = "up";
  } catch (const std::exception& error) {
    checks["store"] = "down";
    down.push_back("store (" + http::Truncate(error.what(), 120) + ")");
  }
  if (service.worker_failed.load()) {
    checks["worker"] = "down";
    down.push_back("worker (failed at start-up, see the log)");
  } else {
    checks["worker"] = "up";
  }
  if (service.read_model->BrokerConnected()) {
    checks["broker"] = "up";
  } else {
    checks["broker"] = "down";
    down.push_back("broker (orders are still accepted and held in the outbox)");
  }
  if (down.empty()) {
    ex.SendJson(200, {{"status", "ready"}, {"checks", checks}});
    return;
  }
  std::string detail = "Not ready: ";
  for (std::size_t i = 0; i < down.size(); ++i) detail += (i ? ", " : "") + down[i];
  ex.SendProblem(503, "not-ready", "Service Unavailable", detail, {{"checks", checks}});
}

void Metrics(Service& service, http::Exchange& ex) {
  auto& registry = service.registry;
  try {
    outbox::OutboxStatus status = service.host->Backlog();
    registry.GetGauge("choreo_gateway_outbox_pending", "Outbox rows not yet published (order.placed backlog).")
        .Set(static_cast<double>(status.pending));
    registry.GetGauge("choreo_gateway_outbox_failing", "Outbox rows whose last publish attempt failed.")
        .Set(static_cast<double>(status.failing));
    registry.GetGauge("choreo_gateway_outbox_oldest_pending_age_seconds", "Age of the oldest unpublished outbox row.")
        .Set(status.oldest_pending_age ? static_cast<double>(status.oldest_pending_age->count()) / 1000.0 : 0.0);
  } catch (const std::exception& error) {
    log::Warn("outbox status for metrics failed", {{"error", error.what()}});
  }
  registry.GetGauge("choreo_gateway_broker_connected", "1 while the gateway has a working broker connection.")
      .Set(service.read_model->BrokerConnected() ? 1.0 : 0.0);
  ex.Send(200, "text/plain; version=0.0.4; charset=utf-8", registry.Render());
}

}  // namespace choreo::gateway
