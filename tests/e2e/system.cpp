#include "system.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "choreo/amqp/error.hpp"
#include "choreo/contracts/time.hpp"
#include "choreo/contracts/validation.hpp"
#include "choreo/testing/testing.hpp"
#include "infra_shell.hpp"

namespace choreo::e2e {

using namespace std::chrono_literals;

System::System(SystemOptions options) : options_(std::move(options)) {
  dir_ = (std::filesystem::temp_directory_path() / ("choreo-e2e-" + testing::UniqueName("sys"))).string();
  std::filesystem::create_directories(dir_);
  bin_dir_ = std::filesystem::read_symlink("/proc/self/exe").parent_path().string();
  provider_port_ = FreePort();
}

System::~System() {
  for (auto& [name, pid] : pids_) {
    if (pid > 0) ::kill(pid, SIGTERM);
  }
  for (auto& [name, pid] : pids_) {
    if (pid <= 0) continue;
    int status = 0;
    if (!testing::WaitFor([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, 15s, 10ms)) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
    }
  }
  std::error_code ignored;
  if (std::getenv("CHOREO_E2E_KEEP") == nullptr) std::filesystem::remove_all(dir_, ignored);
}

HttpReply HttpGet(int port, const std::string& path, std::chrono::seconds timeout) {
  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
  session.setTimeout(Poco::Timespan(static_cast<long>(timeout.count()), 0));
  Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, path, Poco::Net::HTTPMessage::HTTP_1_1);
  session.sendRequest(request);
  Poco::Net::HTTPResponse response;
  HttpReply reply;
  Poco::StreamCopier::copyToString(session.receiveResponse(response), reply.body);
  reply.status = static_cast<int>(response.getStatus());
  return reply;
}

std::string ComponentOf(const std::string& name) { return name.substr(0, name.find('#')); }

std::string System::StoreUrl(const std::string& name) const {
  // Replicas share their component's store.
  const std::string component = ComponentOf(name);
  const char* variable = component == "provider" ? "CHOREO_PROVIDER_STORE_URL" : "CHOREO_STORE_URL";
  if (auto process = options_.env.find(component); process != options_.env.end()) {
    if (auto url = process->second.find(variable); url != process->second.end()) return url->second;
  }
  return "sqlite:" + dir_ + "/" + component + ".db";
}

std::string System::CatalogPath() const { return std::string(CHOREO_SOURCE_DIR) + "/infra/catalog.json"; }

int System::HttpPort(const std::string& name) const { return std::stoi(Environment(name).at("CHOREO_HTTP_PORT")); }

std::vector<std::string> System::Command(const std::string& name) const {
  const std::string component = ComponentOf(name);
  if (component == "provider") return {bin_dir_ + "/provider"};
  if (component == "gateway") return {bin_dir_ + "/gateway"};
  return {bin_dir_ + "/" + component + "-worker"};
}

std::map<std::string, std::string> System::Environment(const std::string& name) const {
  // Configuration through the environment, which every executable reads (flags would
  // win over it, and none are given).
  std::map<std::string, std::string> env = {
      {"CHOREO_AMQP_URL", options_.amqp_url},
      {"CHOREO_STORE_URL", StoreUrl(name)},
      {"CHOREO_PROVIDER_URL", ProviderUrl()},
      {"CHOREO_PROVIDER_PORT", std::to_string(provider_port_)},
      {"CHOREO_PROVIDER_STORE_URL", StoreUrl("provider")},
      {"CHOREO_RESERVATION_TTL", options_.reservation_ttl},
      {"CHOREO_CATALOG", CatalogPath()},
      {"CHOREO_HTTP_PORT", "-1"},
      // The gateway's HTTP port: any free one, so parallel test runs never collide.
      {"CHOREO_GATEWAY_PORT", "0"},
  };
  for (const std::string& key : {ComponentOf(name), name}) {
    if (auto it = options_.env.find(key); it != options_.env.end()) {
      for (const auto& [k, v] : it->second) env[k] = v;
    }
  }
  return env;
}

void System::Start(const std::string& name) {
  if (Running(name)) return;
  std::vector<std::string> argv_strings = Command(name);
  std::map<std::string, std::string> env = Environment(name);
  const std::string log = LogPath(name);
  const pid_t pid = ForkWithOutputTo(log);
  if (pid == 0) {
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv;
    for (auto& s : argv_strings) argv.push_back(s.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    _exit(127);
  }
  pids_[name] = pid;
}

void System::Kill(const std::string& name, int signal) {
  auto it = pids_.find(name);
  if (it == pids_.end() || it->second <= 0) return;
  ::kill(it->second, signal);
  int status = 0;
  ::waitpid(it->second, &status, 0);
  ended_[name] = status;
  it->second = 0;
}

bool System::Running(const std::string& name) {
  auto it = pids_.find(name);
  if (it == pids_.end() || it->second <= 0) return false;
  int status = 0;
  if (::waitpid(it->second, &status, WNOHANG) == it->second) {
    ended_[name] = status;
    it->second = 0;
    return false;
  }
  return true;
}

std::string System::Ending(const std::string& name) const {
  auto pid = pids_.find(name);
  auto ended = ended_.find(name);
  if (ended == ended_.end() || (pid != pids_.end() && pid->second > 0)) return "";
  const int status = ended->second;
  if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status)) + " (" + ::strsignal(WTERMSIG(status)) + ")";
  return "exit " + std::to_string(WEXITSTATUS(status));
}

std::string System::LogTail(const std::string& name, std::size_t lines) const {
  std::ifstream in(LogPath(name));
  std::deque<std::string> tail;
  for (std::string line; std::getline(in, line);) {
    tail.push_back(line);
    if (tail.size() > lines) tail.pop_front();
  }
  std::string out;
  for (auto& l : tail) out += l + "\n";
  return out;
}

nlohmann::json System::Ledger() const { return nlohmann::json::parse(HttpGet(provider_port_, "/v1/ledger").body); }

void System::StartAll() {
  Start("provider");
  for (const auto& w : kWorkers) Start(w);
  // Ready = every worker has declared its queue, and the provider answers.
  amqp::Connection probe({.url = options_.amqp_url, .connection_name = "e2e-probe"});
  for (const auto& w : kWorkers) {
    bool declared = testing::WaitFor(
        [&] {
          try {
            probe.InspectQueue(w);
            return true;
          } catch (const amqp::ChannelClosedError&) {
            return false;
          }
        },
        30s, 50ms);
    if (!declared) throw std::runtime_error(w + "-worker did not declare its queue; log:\n" + LogTail(w));
  }
  bool provider_up = testing::WaitFor(
      [&] {
        try {
          Ledger();
          return true;
        } catch (...) {
          return false;
        }
      },
      20s, 50ms);
  if (!provider_up) throw std::runtime_error("provider did not start; log:\n" + LogTail("provider"));
}

EventPublisher::EventPublisher(const std::string& amqp_url)
    : connection_({.url = amqp_url, .connection_name = "e2e-publisher"}), publisher_(connection_) {}

void EventPublisher::PublishRaw(const std::string& exchange, const std::string& routing_key, const std::string& body,
                                const std::string& message_id) {
  Send(exchange, routing_key,
       amqp::Message{.body = body, .message_id = message_id, .content_type = "application/json", .type = routing_key});
  Settle(30s);
}

void EventPublisher::Send(const std::string& exchange, const std::string& routing_key, const amqp::Message& message) {
  unsettled_[publisher_.Publish(exchange, routing_key, message)] = message.message_id;
}

void EventPublisher::Settle(std::chrono::milliseconds timeout) {
  std::string failure;
  for (const auto& r : publisher_.WaitForConfirms(timeout)) {
    auto it = unsettled_.find(r.seq);
    if (it == unsettled_.end()) continue;
    if (r.outcome != amqp::PublishOutcome::kConfirmed && failure.empty()) {
      failure = "publish of " + it->second + " not confirmed (" + amqp::ToString(r.outcome) + "): " + r.reply_text;
    }
    unsettled_.erase(it);
  }
  if (failure.empty() && !unsettled_.empty()) {
    failure = std::to_string(unsettled_.size()) + " publishes unconfirmed after the timeout, the first " +
              unsettled_.begin()->second;
  }
  unsettled_.clear();
  if (!failure.empty()) throw std::runtime_error(failure);
}

void EventPublisher::Publish(const contracts::Envelope& envelope) {
  const std::string exchange = envelope.type.substr(0, envelope.type.find('.')) == "order" ? "orders" : "";
  if (exchange.empty()) throw std::invalid_argument("EventPublisher publishes order.* events only");
  PublishRaw(exchange, envelope.type, contracts::Serialize(envelope), envelope.message_id);
}

TerminalWatcher::TerminalWatcher(const std::string& amqp_url, std::string skip_prefix, bool replicated)
    : connection_({.url = amqp_url, .connection_name = "e2e-watcher"}),
      queue_(testing::UniqueName("e2e-terminal")),
      skip_prefix_(std::move(skip_prefix)) {
  connection_.DeclareExchange({.name = "orders", .type = "topic"});
  connection_.DeclareQueue(replicated ? amqp::QueueSpec::Quorum(queue_)
                                      : amqp::QueueSpec{.name = queue_, .durable = false, .exclusive = true,
                                                        .queue_type = "classic"});
  connection_.Bind({.queue = queue_, .exchange = "orders", .routing_key = "order.confirmed"});
  connection_.Bind({.queue = queue_, .exchange = "orders", .routing_key = "order.cancelled"});
  consumer_ = std::make_unique<amqp::Consumer>(connection_, amqp::ConsumerOptions{.queue = queue_, .prefetch = 512});
}

std::size_t TerminalWatcher::Poll(std::chrono::milliseconds wait) {
  while (auto d = consumer_->Next(wait)) {
    if (!skip_prefix_.empty() && d->message.message_id.starts_with(skip_prefix_)) {
      skipped_++;
      consumer_->Ack(*d);
      wait = std::chrono::milliseconds(1);
      continue;
    }
    contracts::Envelope env = contracts::ParseAndValidate(d->message.body);
    const std::string order_id = env.payload.value("order_id", env.correlation_id);
    if (!first_at_.count(order_id)) first_at_[order_id] = std::chrono::steady_clock::now();
    auto& seen = terminals_[order_id];
    // A republish after a crash repeats the message id: one event, delivered twice.
    bool repeat = std::any_of(seen.begin(), seen.end(), [&](const auto& e) { return e.message_id == env.message_id; });
    if (repeat) {
      redeliveries_++;
    } else {
      seen.push_back(std::move(env));
    }
    consumer_->Ack(*d);
    wait = std::chrono::milliseconds(1);
  }
  return terminals_.size();
}

bool TerminalWatcher::WaitForAll(const std::vector<std::string>& order_ids, std::chrono::milliseconds timeout) {
  return testing::WaitFor(
      [&] {
        Poll();
        for (const auto& id : order_ids) {
          if (!terminals_.count(id)) return false;
        }
        return true;
      },
      timeout, 1ms);
}

std::string TerminalWatcher::Outcome(const std::string& order_id) const {
  auto it = terminals_.find(order_id);
  if (it == terminals_.end() || it->second.empty()) return "";
  const contracts::Envelope& e = it->second.front();
  if (e.type == "order.confirmed") return "CONFIRMED";
  return "CANCELLED:" + e.payload.value("reason", std::string("?"));
}

std::optional<std::chrono::steady_clock::time_point> TerminalWatcher::TerminalAt(const std::string& order_id) const {
  auto it = first_at_.find(order_id);
  if (it == first_at_.end()) return std::nullopt;
  return it->second;
}

contracts::OrderPlaced MakeOrder(const std::string& token, const std::string& country,
                                 std::vector<contracts::OrderLine> lines) {
  contracts::OrderPlaced o;
  o.order_id = contracts::NewUuid();
  o.customer_id = "cust-42";
  o.lines = std::move(lines);
  o.payment = {.method = contracts::PaymentMethod::kCard, .token = token};
  o.shipping_address = {.name = "Ada Lovelace", .line1 = "1 Main St", .city = "Berlin", .postal_code = "10115",
                        .country = country};
  o.placed_at = contracts::NowRfc3339();
  return o;
}

}  // namespace choreo::e2e
