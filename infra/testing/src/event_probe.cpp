#include "choreo/testing/event_probe.hpp"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <algorithm>

#include "choreo/contracts/validation.hpp"

namespace choreo::testing {

using namespace std::chrono_literals;

EventProbe::EventProbe(const std::string& amqp_url)
    : connection_(amqp::ConnectionOptions{.url = amqp_url}), publisher_(connection_) {}

void EventProbe::Publish(const std::string& exchange, const std::string& routing_key,
                         const contracts::Envelope& envelope) {
  PublishRaw(exchange, routing_key,
             {.body = contracts::Serialize(envelope), .message_id = envelope.message_id,
              .content_type = "application/json", .type = envelope.type});
}

void EventProbe::PublishRaw(const std::string& exchange, const std::string& routing_key,
                            const amqp::Message& message) {
  publisher_.Publish(exchange, routing_key, message);
  const auto results = publisher_.WaitForConfirms(10s);
  EXPECT_EQ(results.size(), 1u) << "publish of " << message.message_id;
  for (const auto& result : results) {
    EXPECT_EQ(result.outcome, amqp::PublishOutcome::kConfirmed) << "publish of " << message.message_id;
  }
}

void EventProbe::Observe(const std::string& exchange, const std::vector<std::string>& routing_keys) {
  if (queue_.empty()) {
    queue_ = UniqueName("observe-" + exchange);
    connection_.DeclareQueue(amqp::QueueSpec::Quorum(queue_));
  }
  for (const auto& key : routing_keys) connection_.Bind({.queue = queue_, .exchange = exchange, .routing_key = key});
}

const std::vector<contracts::Envelope>& EventProbe::Drain() {
  while (auto delivery = connection_.Get(queue_, true)) {
    events_.push_back(contracts::ParseAndValidate(delivery->message.body));
  }
  return events_;
}

std::size_t EventProbe::EventsFor(const std::string& order_id) {
  Drain();
  return std::count_if(events_.begin(), events_.end(),
                       [&](const auto& envelope) { return envelope.correlation_id == order_id; });
}

std::vector<contracts::Envelope> EventProbe::TakeUntilAnswered(const std::string& marker,
                                                               std::chrono::milliseconds timeout) {
  const bool answered = WaitFor(
      [&] {
        Drain();
        return std::any_of(events_.begin() + static_cast<std::ptrdiff_t>(taken_), events_.end(),
                           [&](const auto& envelope) { return envelope.correlation_id == marker; });
      },
      timeout, 20ms);
  EXPECT_TRUE(answered) << "marker order " << marker << " never answered";
  std::vector<contracts::Envelope> out;
  for (std::size_t i = taken_; i < events_.size(); ++i) {
    if (!markers_.contains(events_[i].correlation_id)) out.push_back(events_[i]);
  }
  taken_ = events_.size();
  return out;
}

std::optional<amqp::Delivery> EventProbe::AwaitMessage(const std::string& queue, std::chrono::milliseconds timeout) {
  std::optional<amqp::Delivery> delivery;
  WaitFor([&] { return (delivery = connection_.Get(queue, true)).has_value(); }, timeout, 20ms);
  return delivery;
}

nlohmann::json ProviderRequest(const std::string& provider_url, const std::string& method, const std::string& path,
                               const std::string& body) {
  const Poco::URI uri(provider_url);
  Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
  session.setTimeout(Poco::Timespan(10, 0));
  Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  request.setContentType("application/json");
  request.setContentLength(static_cast<std::streamsize>(body.size()));
  session.sendRequest(request) << body;
  Poco::Net::HTTPResponse response;
  std::string text;
  Poco::StreamCopier::copyToString(session.receiveResponse(response), text);
  EXPECT_EQ(response.getStatus(), Poco::Net::HTTPResponse::HTTP_OK) << method << " " << path << ": " << text;
  return nlohmann::json::parse(text);
}

std::vector<nlohmann::json> LedgerRows(const std::string& provider_url, const std::string& table,
                                       const std::string& field, const std::string& value) {
  std::vector<nlohmann::json> rows;
  const nlohmann::json ledger = ProviderRequest(provider_url, "GET", "/v1/ledger");
  for (const auto& row : ledger.at(table)) {
    if (row.value(field, "") == value) rows.push_back(row);
  }
  return rows;
}

}  // namespace choreo::testing
