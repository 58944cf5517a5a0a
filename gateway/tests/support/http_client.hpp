#pragma once
// HTTP helpers for the gateway's integration tests (loopback only): the shared test
// client (choreo/testing/http_client.hpp) and the gateway's example order.
#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "choreo/testing/http_client.hpp"

namespace choreo::gateway::testing {

using ::choreo::testing::HttpResult;
using ::choreo::testing::RawExchange;
using ::choreo::testing::Request;

HttpResult PostOrder(std::uint16_t port, const nlohmann::json& order,
                     const std::map<std::string, std::string>& headers = {});

// The documented example order.
nlohmann::json ExampleOrder();

}  // namespace choreo::gateway::testing
