#include "choreo/outbox/facts.hpp"

#include "choreo/contracts/trace.hpp"
#include "choreo/outbox/properties.hpp"

namespace choreo::outbox::facts {

using Poco::Data::Keywords::into;

std::vector<PendingRow> ReadPending(store::Tx& tx) {
  std::vector<Poco::Int64> created, attempts;
  tx.Run("SELECT created_at, attempts FROM choreo_outbox WHERE sent_at IS NULL ORDER BY id", into(created),
         into(attempts));
  std::vector<PendingRow> out;
  for (std::size_t i = 0; i < created.size(); ++i) out.push_back({created[i], attempts[i]});
  return out;
}

std::vector<ProducedRow> ReadProducedOf(store::Tx& tx, std::string_view correlation_id) {
  std::vector<std::string> id, properties;
  std::vector<Poco::Int64> created, attempts;
  std::vector<std::optional<Poco::Int64>> sent;
  std::vector<std::optional<std::string>> error;
  tx.Run("SELECT message_id, properties, created_at, sent_at, attempts, last_error FROM choreo_outbox "
         "WHERE correlation_id = ? ORDER BY id",
         into(id), into(properties), into(created), into(sent), into(attempts), into(error), correlation_id);
  std::vector<ProducedRow> out;
  for (std::size_t i = 0; i < id.size(); ++i) {
    ProducedRow row;
    row.message_id = id[i];
    try {
      const amqp::Message m = detail::DecodeMessage(id[i], properties[i], "");
      row.event_type = m.type;
      row.producer = m.app_id;
      row.traceparent = m.headers.GetString(contracts::kTraceparentHeader).value_or("");
    } catch (const std::exception&) {
      // A row whose properties do not decode still shows, with what the columns say.
    }
    row.created_at_ms = created[i];
    row.sent_at_ms = sent[i];
    row.attempts = attempts[i];
    row.last_error = error[i].value_or("");
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace choreo::outbox::facts
