#include <gtest/gtest.h>

#include "choreo/gateway/problem.hpp"
#include "choreo/gateway/read_model.hpp"
#include "choreo/gateway/routes.hpp"

namespace choreo::gateway {
namespace {

TEST(MatchRoute, FixedPathsAndOrderIds) {
  EXPECT_EQ(MatchRoute("/orders")->route->id, RouteId::kOrders);
  auto order = MatchRoute("/orders/5f0c6d1e-8a57-4c8e-9a34-0d2f6b1e7c42");
  ASSERT_TRUE(order);
  EXPECT_EQ(order->route->id, RouteId::kOrder);
  EXPECT_EQ(order->id, "5f0c6d1e-8a57-4c8e-9a34-0d2f6b1e7c42");
  EXPECT_EQ(MatchRoute("/healthz")->route->id, RouteId::kHealthz);
  EXPECT_EQ(MatchRoute("/readyz")->route->id, RouteId::kReadyz);
  EXPECT_EQ(MatchRoute("/metrics")->route->id, RouteId::kMetrics);
  EXPECT_EQ(MatchRoute("/openapi.yaml")->route->id, RouteId::kOpenApi);
}

TEST(MatchRoute, UnknownPaths) {
  for (std::string_view path : {"/", "", "/order", "/orders/", "/orders/a/b", "/healthz/", "/ORDERS"}) {
    EXPECT_FALSE(MatchRoute(path)) << path;
  }
}

TEST(Routes, MethodsAndAllow) {
  const auto& orders = *MatchRoute("/orders")->route;
  EXPECT_TRUE(FindOperation(orders, "POST"));
  EXPECT_FALSE(FindOperation(orders, "GET"));
  EXPECT_EQ(AllowHeader(orders), "POST");
  const auto& order = *MatchRoute("/orders/x")->route;
  EXPECT_FALSE(FindOperation(order, "DELETE"));
  EXPECT_EQ(AllowHeader(order), "GET");
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

TEST(Problem, RendersRfc9457Members) {
  auto body = ToJson(Problem{400, "validation-error", "Invalid order", "fix it", {{"errors", nlohmann::json::array()}}});
  EXPECT_EQ(body["type"], "urn:choreo:problem:validation-error");
  EXPECT_EQ(body["title"], "Invalid order");
  EXPECT_EQ(body["status"], 400);
  EXPECT_EQ(body["detail"], "fix it");
  EXPECT_TRUE(body["errors"].is_array());
  EXPECT_EQ(ToJson(Problem{404, "", "Not Found", "x", nlohmann::json::object()})["type"], "about:blank");
  // An extension cannot overwrite a standard member.
  EXPECT_EQ(ToJson(Problem{409, "t", "T", "d", {{"status", 1}}})["status"], 409);
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
