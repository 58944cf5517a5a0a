#include <gtest/gtest.h>

#include "choreo/gateway/read_model.hpp"
#include "choreo/gateway/routes.hpp"

namespace choreo::gateway {
namespace {

// A handler that only says which route it serves.
struct Tag {
  RouteId id;
  void operator()(http::Exchange&) const {}
};

const http::Router& GatewayRouter() {
  static const http::Router router =
      MakeRouter([](const RouteSpec& route, const Operation&) -> http::Handler { return Tag{route.id}; });
  return router;
}

RouteId IdOf(const http::RouteMatch& match) { return match.handler->target<Tag>()->id; }

TEST(MakeRouter, FixedPathsAndOrderIds) {
  EXPECT_EQ(IdOf(GatewayRouter().Resolve("POST", "/orders")), RouteId::kOrders);
  auto order = GatewayRouter().Resolve("GET", "/orders/5f0c6d1e-8a57-4c8e-9a34-0d2f6b1e7c42");
  ASSERT_EQ(order.resolution, http::Resolution::kFound);
  EXPECT_EQ(IdOf(order), RouteId::kOrder);
  EXPECT_EQ(order.params.at("id"), "5f0c6d1e-8a57-4c8e-9a34-0d2f6b1e7c42");
  EXPECT_EQ(order.path_template, "/orders/{id}");
  EXPECT_EQ(IdOf(GatewayRouter().Resolve("GET", "/healthz")), RouteId::kHealthz);
  EXPECT_EQ(IdOf(GatewayRouter().Resolve("GET", "/readyz")), RouteId::kReadyz);
  EXPECT_EQ(IdOf(GatewayRouter().Resolve("GET", "/metrics")), RouteId::kMetrics);
  EXPECT_EQ(IdOf(GatewayRouter().Resolve("GET", "/openapi.yaml")), RouteId::kOpenApi);
}

TEST(MakeRouter, UnknownPathsPointAtTheApiDescription) {
  for (std::string_view path : {"/", "", "/order", "/orders/", "/orders/a/b", "/healthz/", "/ORDERS"}) {
    EXPECT_EQ(GatewayRouter().Resolve("GET", path).resolution, http::Resolution::kNotFound) << path;
  }
  EXPECT_NE(GatewayRouter().NotFound("GET", "/x").detail.find("/openapi.yaml"), std::string::npos);
}

TEST(MakeRouter, MethodsAndAllow) {
  auto orders = GatewayRouter().Resolve("GET", "/orders");
  EXPECT_EQ(orders.resolution, http::Resolution::kMethodNotAllowed);
  EXPECT_EQ(orders.allow, "POST");
  auto order = GatewayRouter().Resolve("DELETE", "/orders/x");
  EXPECT_EQ(order.resolution, http::Resolution::kMethodNotAllowed);
  EXPECT_EQ(order.allow, "GET");
  EXPECT_EQ(GatewayRouter().Resolve("HEAD", "/healthz").resolution, http::Resolution::kMethodNotAllowed);
}

TEST(Routes, OnlyOrderRoutesNeedAuthentication) {
  for (const auto& route : Routes()) {
    for (const auto& operation : route.operations) {
      bool orders = route.id == RouteId::kOrders || route.id == RouteId::kOrder;
      EXPECT_EQ(operation.authenticated, orders) << route.path_template;
    }
  }
}

TEST(IsPlausibleOrderId, UuidsYesGarbageNo) {
  EXPECT_TRUE(IsPlausibleOrderId("5f0c6d1e-8a57-4c8e-9a34-0d2f6b1e7c42"));
  EXPECT_FALSE(IsPlausibleOrderId(""));
  EXPECT_FALSE(IsPlausibleOrderId(std::string(129, 'a')));
  EXPECT_FALSE(IsPlausibleOrderId("a b"));
  EXPECT_FALSE(IsPlausibleOrderId("'; DROP TABLE"));
}

TEST(ReadModelJson, UpperCaseStatusesAndNulls) {
  OrderView view;
  view.order_id = "o-1";
  view.status = "cancelled";
  view.reason = "payment_declined";
  view.history = {{0, std::nullopt, "placed", std::nullopt, "2024-05-01T12:00:00.000Z"},
                  {3, std::string("reserved"), "cancelled", std::string("payment_declined"), "2024-05-01T12:00:01.000Z"}};
  auto body = ToJson(view);
  EXPECT_EQ(body["status"], "CANCELLED");
  EXPECT_EQ(body["reason"], "payment_declined");
  EXPECT_TRUE(body["total_minor"].is_null());
  EXPECT_TRUE(body["currency"].is_null());
  ASSERT_EQ(body["history"].size(), 2u);
  EXPECT_EQ(body["history"][0]["status"], "PLACED");
  EXPECT_TRUE(body["history"][0]["from"].is_null());
  EXPECT_EQ(body["history"][1]["from"], "RESERVED");
  EXPECT_EQ(body["history"][1]["sequence"], 3);
}

}  // namespace
}  // namespace choreo::gateway
