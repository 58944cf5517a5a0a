#include "broker.hpp"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPBasicCredentials.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <vector>

#include "choreo/amqp/error.hpp"
#include "choreo/amqp/options.hpp"
#include "choreo/secrets/redact.hpp"

namespace choreo::admin::detail {

namespace {

// Every node of the list; they share user, password and vhost (amqp::ParseUrls checks).
std::vector<amqp::AmqpUrl> ParsedUrls(const Endpoints& endpoints) {
  try {
    return amqp::ParseUrls(endpoints.amqp_url);
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("invalid AMQP URL (--amqp-url / CHOREO_AMQP_URL): ") + e.what());
  }
}

amqp::AmqpUrl ParsedUrl(const Endpoints& endpoints) { return ParsedUrls(endpoints).front(); }

}  // namespace

std::string VhostOf(const Endpoints& endpoints) { return ParsedUrl(endpoints).vhost; }

std::string Describe(const Endpoints& endpoints) {
  std::string nodes;
  const std::vector<amqp::AmqpUrl> urls = ParsedUrls(endpoints);
  for (const amqp::AmqpUrl& url : urls) nodes += (nodes.empty() ? "" : ",") + amqp::Endpoint(url);
  return nodes + " vhost '" + urls.front().vhost + "'";
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

namespace {

struct MgmtNode {
  Poco::URI base;
  std::string prefix;  // base path without trailing '/'
  std::string shown;   // base URL for messages, any password hidden
};

// CHOREO_MGMT_URL: one http:// URL or the comma-separated URLs of the nodes of a cluster
// (whitespace around an item ignored), like the AMQP URL list.
std::vector<MgmtNode> MgmtNodes(const Endpoints& endpoints) {
  std::vector<MgmtNode> nodes;
  const std::string& list = endpoints.mgmt_url;
  for (std::size_t start = 0;;) {
    const std::size_t comma = list.find(',', start);
    std::string item = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    item.erase(0, item.find_first_not_of(" \t\r\n"));
    item.erase(item.find_last_not_of(" \t\r\n") + 1);
    const std::string shown = secrets::RedactUrl(item);
    if (item.empty()) throw UsageError("management URL list (--mgmt-url / CHOREO_MGMT_URL) has an empty item");
    if (nodes.size() == amqp::kMaxUrls) {
      throw UsageError("management URL list (--mgmt-url / CHOREO_MGMT_URL) has more than " +
                       std::to_string(amqp::kMaxUrls) + " items");
    }
    MgmtNode node;
    try {
      node.base = Poco::URI(item);
    } catch (const Poco::Exception& e) {
      throw UsageError("invalid management URL (--mgmt-url / CHOREO_MGMT_URL) '" + shown + "': " +
                       e.displayText());
    }
    if (node.base.getScheme() != "http" || node.base.getHost().empty()) {
      throw UsageError("management URL must be http://host:port, got '" + shown + "'");
    }
    node.prefix = node.base.getPath();
    while (!node.prefix.empty() && node.prefix.back() == '/') node.prefix.pop_back();
    node.shown = shown;
    while (!node.shown.empty() && node.shown.back() == '/') node.shown.pop_back();
    nodes.push_back(std::move(node));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return nodes;
}

// The node of each list that answered last is asked first next time, so that a dead node
// at the head of the list costs one failed connect per process, not one per request.
std::size_t PreferredNode(const std::string& list, std::optional<std::size_t> answered = {}) {
  static std::mutex mutex;
  static std::map<std::string, std::size_t> preferred;
  std::lock_guard lock(mutex);
  if (answered) preferred[list] = *answered;
  auto it = preferred.find(list);
  return it == preferred.end() ? 0 : it->second;
}

}  // namespace

ManagementResponse ManagementRequest(const Endpoints& endpoints, const std::string& method,
                                     const std::string& path, const std::string& body) {
  amqp::AmqpUrl amqp_url = ParsedUrl(endpoints);
  const std::vector<MgmtNode> nodes = MgmtNodes(endpoints);
  const std::size_t first = PreferredNode(endpoints.mgmt_url) % nodes.size();
  std::string failures;
  // A node that cannot be reached, or that says it cannot serve (503: booting, shutting
  // down), passes the request to the next one; any other answer, 4xx included, is the
  // cluster's answer: another node would give the same.
  for (std::size_t k = 0; k < nodes.size(); ++k) {
    const std::size_t index = (first + k) % nodes.size();
    const MgmtNode& node = nodes[index];
    ManagementResponse response;
    response.url = node.shown + path;
    try {
      Poco::Net::HTTPClientSession session(node.base.getHost(), node.base.getPort());
      session.setTimeout(Poco::Timespan(10, 0));
      Poco::Net::HTTPRequest request(method, node.prefix + path, Poco::Net::HTTPMessage::HTTP_1_1);
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
      failures += (failures.empty() ? "" : "; ") + node.shown + ": " + e.displayText();
      continue;
    }
    if (response.status == 503 && k + 1 < nodes.size()) {
      failures += (failures.empty() ? "" : "; ") + node.shown + ": HTTP 503";
      continue;
    }
    PreferredNode(endpoints.mgmt_url, index);
    if (response.status == 401) {
      throw CommandError("the management API at " + node.shown +
                         " refused the credentials of the AMQP URL (HTTP 401)");
    }
    if (!response.text.empty()) response.body = nlohmann::json::parse(response.text, nullptr, false);
    return response;
  }
  throw CommandError("cannot reach the management API at " + failures + " (check --mgmt-url / CHOREO_MGMT_URL)");
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
  const std::string& url = response.url;
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
    throw CommandError("management API refused PUT " + response.url + ": HTTP " +
                       std::to_string(response.status) + " " + Reason(response));
  }
}

}  // namespace choreo::admin::detail
