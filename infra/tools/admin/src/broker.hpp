#pragma once
// Connections to the broker and the management API, with failures turned into the
// admin tool's two error kinds (UsageError: exit 2, CommandError: exit 1) and messages an
// operator can act on.
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "choreo/admin/admin.hpp"
#include "choreo/amqp/connection.hpp"

namespace choreo::admin::detail {

// Connects (no retry for the first connect: a wrong URL fails at once); reconnects later
// according to endpoints.reconnect_attempts. Throws CommandError / UsageError.
std::unique_ptr<amqp::Connection> OpenConnection(const Endpoints& endpoints);

// The vhost of the AMQP URL; UsageError for a malformed URL.
std::string VhostOf(const Endpoints& endpoints);

// "host:port vhost '/'", for messages.
std::string Describe(const Endpoints& endpoints);

// Runs `f`, rethrowing choreo::amqp errors as UsageError / CommandError. `queue` names the
// queue in a 404.
template <class F>
auto Translated(const Endpoints& endpoints, const std::string& queue, F&& f) -> decltype(f());

[[noreturn]] void RethrowTranslated(const Endpoints& endpoints, const std::string& queue);

template <class F>
auto Translated(const Endpoints& endpoints, const std::string& queue, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const UsageError&) {
    throw;
  } catch (const CommandError&) {
    throw;
  } catch (...) {
    RethrowTranslated(endpoints, queue);
  }
}

struct ManagementResponse {
  std::string url;  // the node's URL and path that answered, for messages (no password)
  int status = 0;
  std::string text;
  nlohmann::json body;  // parsed text; discarded when it is not JSON, null when empty
};

// <method> <mgmt_url><path> with the AMQP URL's credentials and a JSON body (if any).
// mgmt_url may list the nodes of a cluster, comma-separated: a node that cannot be
// reached (or answers 503) passes the request to the next, so the tool works while a node
// is down; any other answer, 4xx included, is final. Throws UsageError for a malformed
// list, CommandError when no node can be reached or the credentials are refused; any
// other status is the caller's to judge.
ManagementResponse ManagementRequest(const Endpoints& endpoints, const std::string& method,
                                     const std::string& path, const std::string& body = "");

// GET <mgmt_url><path>; returns the parsed JSON body. Throws CommandError (unreachable,
// HTTP error) naming the URL.
nlohmann::json ManagementGet(const Endpoints& endpoints, const std::string& path);

// PUT <mgmt_url><path> with a JSON body; CommandError with the broker's reason unless 2xx.
void ManagementPut(const Endpoints& endpoints, const std::string& path, const nlohmann::json& body);

// One path segment, percent-encoded (vhost "/" -> "%2F").
std::string EncodeSegment(const std::string& segment);

}  // namespace choreo::admin::detail
