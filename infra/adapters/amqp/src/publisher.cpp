#include "choreo/amqp/publisher.hpp"

#include <stdexcept>

#include "session.hpp"

namespace choreo::amqp {

const char* ToString(PublishOutcome outcome) {
  switch (outcome) {
    case PublishOutcome::kConfirmed: return "confirmed";
    case PublishOutcome::kNacked: return "nacked";
    case PublishOutcome::kReturned: return "returned";
    case PublishOutcome::kFailed: return "failed";
  }
  return "unknown";
}

void PublisherOptions::Validate() const {
  if (window == 0) throw std::invalid_argument("publisher window must be > 0");
  if (window_timeout.count() <= 0) throw std::invalid_argument("publisher window_timeout must be positive");
}

Publisher::Publisher(Connection& connection, PublisherOptions options) : connection_(connection) {
  connection_.Impl().AttachPublisher(options);
}

Publisher::~Publisher() { connection_.Impl().DetachPublisher(); }

uint64_t Publisher::Publish(const std::string& exchange, const std::string& routing_key,
                            const Message& message) {
  return connection_.Impl().Publish(exchange, routing_key, message);
}

std::vector<PublishResult> Publisher::PollConfirms() { return connection_.Impl().PollConfirms(); }

std::vector<PublishResult> Publisher::WaitForConfirms(std::chrono::milliseconds timeout) {
  return connection_.Impl().WaitForConfirms(timeout);
}

std::size_t Publisher::Outstanding() const { return connection_.Impl().Outstanding(); }

}  // namespace choreo::amqp
