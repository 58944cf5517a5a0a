// Validate: bytes -> envelope + handler + attempt, or the rejection the failure stage routes.
#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "choreo/contracts/dead_letter.hpp"
#include "choreo/contracts/events.hpp"
#include "committed_event.hpp"
#include "validate_stage.hpp"

namespace choreo::worker::detail {
namespace {

namespace dl = contracts::dead_letter;

class ValidateStage : public ::testing::Test {
 protected:
  ValidateStage() : handlers_("shipping") {
    handlers_.Add(std::string(contracts::InventoryCommitted::kType), [](Context&) {}, nullptr);
  }

  static amqp::Delivery From(std::string exchange, std::string body) {
    amqp::Delivery d;
    d.exchange = std::move(exchange);
    d.message.body = std::move(body);
    return d;
  }
  static std::string CommittedBody() { return contracts::Serialize(contracts::MakeEnvelope(test::Committed("o-1"))); }

  std::variant<Item, Rejection> Check(const amqp::Delivery& d, contracts::MessageLimits limits = {}) {
    return Validate(d, handlers_, limits);
  }

  HandlerTable handlers_;
};

TEST_F(ValidateStage, AValidEventBecomesAnItemWithItsHandler) {
  const amqp::Delivery d = From("inventory", CommittedBody());
  auto result = Check(d);
  ASSERT_TRUE(std::holds_alternative<Item>(result));
  const Item& item = std::get<Item>(result);
  EXPECT_EQ(item.delivery, &d);
  EXPECT_EQ(item.envelope.type, contracts::InventoryCommitted::kType);
  EXPECT_EQ(item.envelope.correlation_id, "o-1");
  EXPECT_EQ(item.registered, handlers_.Find(std::string(contracts::InventoryCommitted::kType)));
  EXPECT_EQ(item.attempt, 1);
}

TEST_F(ValidateStage, MalformedBytesAreAContractViolation) {
  auto result = Check(From("inventory", "{not json"));
  ASSERT_TRUE(std::holds_alternative<Rejection>(result));
  EXPECT_EQ(std::get<Rejection>(result).kind, FailureKind::kContract);
  EXPECT_FALSE(std::get<Rejection>(result).envelope);
}

TEST_F(ValidateStage, ABodyOverALimitIsRejectedAsSuch) {
  auto result = Check(From("inventory", CommittedBody()), {.max_bytes = 16});
  ASSERT_TRUE(std::holds_alternative<Rejection>(result));
  EXPECT_EQ(std::get<Rejection>(result).kind, FailureKind::kLimit);
}

TEST_F(ValidateStage, AValidEventWithoutHandlerKeepsItsEnvelope) {
  HandlerTable empty("shipping");
  const amqp::Delivery d = From("inventory", CommittedBody());
  auto result = Validate(d, empty, {});
  ASSERT_TRUE(std::holds_alternative<Rejection>(result));
  const Rejection& rejection = std::get<Rejection>(result);
  EXPECT_EQ(rejection.kind, FailureKind::kUnknownEvent);
  ASSERT_TRUE(rejection.envelope);
  EXPECT_EQ(rejection.envelope->correlation_id, "o-1");
  EXPECT_NE(rejection.error.find("'shipping'"), std::string::npos) << rejection.error;
}

TEST_F(ValidateStage, OnlyARetryCopyCarriesTheAttemptTheRuntimeWrote) {
  amqp::Delivery retry = From("", CommittedBody());  // back from a retry queue: default exchange
  retry.message.headers.Set(std::string(dl::kAttempt), amqp::FieldValue(int64_t{3}));
  EXPECT_EQ(AttemptOf(retry), 3);
  EXPECT_EQ(std::get<Item>(Check(retry)).attempt, 3);

  amqp::Delivery forged = From("inventory", CommittedBody());  // straight from an event exchange
  forged.message.headers.Set(std::string(dl::kAttempt), amqp::FieldValue(int64_t{3}));
  EXPECT_EQ(AttemptOf(forged), 1);
}

TEST_F(ValidateStage, ARejectionCarriesTheAttemptToo) {
  amqp::Delivery retry = From("", "{not json");
  retry.message.headers.Set(std::string(dl::kAttempt), amqp::FieldValue(int64_t{2}));
  EXPECT_EQ(std::get<Rejection>(Check(retry)).attempt, 2);
}

}  // namespace
}  // namespace choreo::worker::detail
