// What the notification worker sends, without I/O.
#include "choreo/notification/notification.hpp"

#include <gtest/gtest.h>

namespace choreo::notification {
namespace {

using contracts::CancelReason;
using contracts::NotificationKind;

contracts::OrderConfirmed Confirmed() {
  return {.order_id = "ord-1", .customer_id = "cust-1001", .total_minor = 3399, .currency = "EUR",
          .shipment_id = "shp-9", .confirmed_at = "2024-05-01T12:00:00.000Z"};
}

contracts::OrderCancelled Cancelled(CancelReason reason, std::optional<std::string> details = std::nullopt) {
  return {.order_id = "ord-2", .customer_id = "cust-1001", .reason = reason, .details = std::move(details),
          .cancelled_at = "2024-05-01T12:00:00.000Z"};
}

TEST(IdempotencyKey, NamesOrderAndKind) {
  EXPECT_EQ(IdempotencyKey("ord-1", NotificationKind::kOrderConfirmed), "email:ord-1:order_confirmed");
  EXPECT_EQ(IdempotencyKey("ord-1", NotificationKind::kOrderCancelled), "email:ord-1:order_cancelled");
}

TEST(RecipientFor, DerivesAnAddressFromTheCustomerId) {
  EXPECT_EQ(RecipientFor("cust-1001"), "cust-1001@customers.choreo.example");
  EXPECT_EQ(RecipientFor("cust-1001", "shop.test"), "cust-1001@shop.test");
  EXPECT_EQ(RecipientFor("a b/c"), "a_b_c@customers.choreo.example");
  EXPECT_EQ(RecipientFor(std::string(100, 'x')), std::string(64, 'x') + "@customers.choreo.example");
}

TEST(RecipientFor, UsesACustomerIdThatIsAlreadyAnAddress) {
  EXPECT_EQ(RecipientFor("ada@example.org"), "ada@example.org");
  EXPECT_EQ(RecipientFor("ada@localhost"), "ada_localhost@customers.choreo.example");
  EXPECT_EQ(RecipientFor("a@b@c.d"), "a_b_c.d@customers.choreo.example");
}

TEST(FormatMoney, UsesMinorUnits) {
  EXPECT_EQ(FormatMoney(3399, "EUR"), "33.99 EUR");
  EXPECT_EQ(FormatMoney(5, "USD"), "0.05 USD");
  EXPECT_EQ(FormatMoney(0, "EUR"), "0.00 EUR");
  EXPECT_EQ(FormatMoney(1200, "JPY"), "1200 JPY");
}

TEST(EmailFor, ConfirmedOrder) {
  const Email email = EmailFor(Confirmed());
  EXPECT_EQ(email.kind, NotificationKind::kOrderConfirmed);
  EXPECT_EQ(email.order_id, "ord-1");
  EXPECT_EQ(email.customer_id, "cust-1001");
  EXPECT_EQ(email.idempotency_key, "email:ord-1:order_confirmed");
  EXPECT_EQ(email.to, "cust-1001@customers.choreo.example");
  EXPECT_EQ(email.template_name, "order_confirmed");
  EXPECT_NE(email.subject.find("ord-1"), std::string::npos);
  EXPECT_NE(email.body.find("33.99 EUR"), std::string::npos);
  EXPECT_NE(email.body.find("shp-9"), std::string::npos);
}

TEST(EmailFor, CancelledOrderExplainsTheReason) {
  const Email email = EmailFor(Cancelled(CancelReason::kPaymentDeclined, "card_declined"));
  EXPECT_EQ(email.kind, NotificationKind::kOrderCancelled);
  EXPECT_EQ(email.idempotency_key, "email:ord-2:order_cancelled");
  EXPECT_EQ(email.template_name, "order_cancelled");
  EXPECT_NE(email.body.find("declined"), std::string::npos);
  EXPECT_NE(email.body.find("(card_declined)"), std::string::npos);
  EXPECT_EQ(email.body.find("refunded"), std::string::npos);
  EXPECT_NE(EmailFor(Cancelled(CancelReason::kShipmentRejected)).body.find("refunded"), std::string::npos);
  EXPECT_NE(EmailFor(Cancelled(CancelReason::kReservationExpired)).body.find("refunded"), std::string::npos);
}

// The provider refuses an idempotency key reused with other content, so a retry must
// produce the very same request.
TEST(EmailFor, IsAFunctionOfTheEventAlone) {
  for (CancelReason reason : {CancelReason::kInsufficientStock, CancelReason::kUnknownSku, CancelReason::kPaymentDeclined,
                              CancelReason::kReservationExpired, CancelReason::kShipmentRejected}) {
    const Email a = EmailFor(Cancelled(reason));
    const Email b = EmailFor(Cancelled(reason));
    EXPECT_EQ(a.subject, b.subject);
    EXPECT_EQ(a.body, b.body);
    EXPECT_EQ(a.to, b.to);
  }
  EXPECT_EQ(EmailFor(Confirmed()).body, EmailFor(Confirmed()).body);
}

}  // namespace
}  // namespace choreo::notification
