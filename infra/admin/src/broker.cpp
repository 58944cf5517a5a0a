#include "broker.hpp"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPBasicCredentials.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <algorithm>
#include <stdexcept>

#include "choreo/amqp/error.hpp"
#include "choreo/amqp/options.hpp"

namespace choreo::admin::detail {

namespace {

amqp::AmqpUrl ParsedUrl(const Endpoints& endpoints) {
  try {
    return amqp::ParseUrl(endpoints.amqp_url);
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("invalid AMQP URL (--amqp-url / CHOREO_AMQP_URL): ") + e.what());
  }
}

}  // namespace

std::string VhostOf(const Endpoints& endpoints) { return ParsedUrl(endpoints).vhost; }

std::string Describe(const Endpoints& endpoints) {
  amqp::AmqpUrl url = ParsedUrl(endpoints);
  return url.host + ":" + std::to_string(url.port) + " vhost '" + url.vhost + "'";
}

std::unique_ptr<amqp::Connection> OpenConnection(const Endpoints& endpoints) {
  ParsedUrl(endpoints);
  amqp::ConnectionOptions options;
  options.url = endpoints.amqp_url;
  options.connection_name = endpoints.connection_name;
  options.connect_timeout = endpoints.connect_timeout;
  options.rpc_timeout = std::chrono::milliseconds(30000);
  options.reconnect.enabled = endpoints.reconnect_attempts > 0;
  options.reconnect.max_attempts = std::max(endpoints.reconnect_attempts, 1);
  options.reconnect.initial_delay = std::chrono::milliseconds(200);
  options.reconnect.max_delay = std::chrono::milliseconds(3000);
  return Translated(endpoints, "", [&] { return std::make_unique<amqp::Connection>(options); });
}

void RethrowTranslated(const Endpoints& endpoints, const std::string& queue) {
  const std::string where = Describe(endpoints);
  try {
    throw;
  } catch (const amqp::ChannelClosedError& e) {
    if (e.ReplyCode() == amqp::kReplyNotFound && !queue.empty()) {
      throw UsageError("queue '" + queue + "' does not exist on " + where +
                       " (run 'choreo-admin dlq list' to see the dead-letter queues)");
    }
    if (e.ReplyCode() == amqp::kReplyAccessRefused) {
      throw CommandError("the broker refused access (" + e.ReplyText() + ") on " + where);
    }
    throw CommandError("the broker refused the operation on " + where + ": " + e.ReplyText());
  } catch (const amqp::ServerClosedError& e) {
    if (e.ReplyCode() == amqp::kReplyNotAllowed) {
      throw UsageError("vhost of the AMQP URL does not exist or the user may not use it (" +
                       where + "): " + e.ReplyText());
    }
    if (e.ReplyCode() == amqp::kReplyAccessRefused) {
      throw CommandError("login refused by the broker at " + where +
                         ": check the user and password in --amqp-url / CHOREO_AMQP_URL");
    }
    throw CommandError("the broker at " + where + " closed the connection: " + e.ReplyText());
  } catch (const amqp::ConnectionError& e) {
    throw CommandError("cannot reach the broker at " + where + ": " + e.what() +
                       " (is RabbitMQ running? check --amqp-url / CHOREO_AMQP_URL)");
  } catch (const amqp::Error& e) {
    throw CommandError(std::string("broker error on ") + where + ": " + e.what());
  }
}

std::string EncodeSegment(const std::string& segment) {
  std::string out;
  Poco::URI::encode(segment, "/?#%&+=:@ ", out);
  return out;
}

ManagementResponse ManagementRequest(const Endpoints& endpoints, const std::string& method,
                                     const std::string& path, const std::string& body) {
  amqp::AmqpUrl amqp_url = ParsedUrl(endpoints);
  Poco::URI base;
  try {
    base = Poco::URI(endpoints.mgmt_url);
  } catch (const Poco::Exception& e) {
    throw UsageError("invalid management URL (--mgmt-url / CHOREO_MGMT_URL) '" +
                     endpoints.mgmt_url + "': " + e.displayText());
  }
  if (base.getScheme() != "http") {
    throw UsageError("management URL must be http://host:port, got '" + endpoints.mgmt_url + "'");
  }
  std::string prefix = base.getPath();
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  ManagementResponse response;
  try {
    Poco::Net::HTTPClientSession session(base.getHost(), base.getPort());
    session.setTimeout(Poco::Timespan(10, 0));
    Poco::Net::HTTPRequest request(method, prefix + path, Poco::Net::HTTPMessage::HTTP_1_1);
    Poco::Net::HTTPBasicCredentials(amqp_url.user, amqp_url.password).authenticate(request);
    if (!body.empty()) {
      request.setContentType("application/json");
      request.setContentLength(static_cast<std::streamsize>(body.size()));
    }
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse http_response;
    std::istream& in = session.receiveResponse(http_response);
    Poco::StreamCopier::copyToString(in, response.text);
    response.status = static_cast<int>(http_response.getStatus());
  } catch (const Poco::Exception& e) {
    throw CommandError("cannot reach the management API at " + endpoints.mgmt_url + ": " +
                       e.displayText() + " (check --mgmt-url / CHOREO_MGMT_URL)");
  }
  if (response.status == 401) {
    throw CommandError("the management API at " + endpoints.mgmt_url +
                       " refused the credentials of the AMQP URL (HTTP 401)");
  }
  if (!response.text.empty()) response.body = nlohmann::json::parse(response.text, nullptr, false);
  return response;
}

namespace {

// The broker's own words for a refused request: {"error": ..., "reason": ...}.
std::string Reason(const ManagementResponse& response) {
  if (response.body.is_object() && response.body.contains("reason") && response.body["reason"].is_string()) {
    return response.body["reason"].get<std::string>();
  }
  return response.text.substr(0, 200);
}

}  // namespace

nlohmann::json ManagementGet(const Endpoints& endpoints, const std::string& path) {
  ManagementResponse response = ManagementRequest(endpoints, "GET", path);
  const std::string url = endpoints.mgmt_url + path;
  if (response.status / 100 != 2) {
    throw CommandError("management API request " + url + " failed: HTTP " +
                       std::to_string(response.status) + " " + Reason(response));
  }
  if (response.body.is_discarded() || response.text.empty()) {
    throw CommandError("management API request " + url + " returned something that is not JSON");
  }
  return response.body;
}

void ManagementPut(const Endpoints& endpoints, const std::string& path, const nlohmann::json& body) {
  ManagementResponse response = ManagementRequest(endpoints, "PUT", path, body.dump());
  if (response.status / 100 != 2) {
    throw CommandError("management API refused PUT " + endpoints.mgmt_url + path + ": HTTP " +
                       std::to_string(response.status) + " " + Reason(response));
  }
}

}  // namespace choreo::admin::detail
