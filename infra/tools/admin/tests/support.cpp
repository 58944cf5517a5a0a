#include "support.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include <Poco/URI.h>
#include <nlohmann/json.hpp>

#include "choreo/contracts/dead_letter.hpp"
#include "choreo/contracts/envelope.hpp"
#include "choreo/contracts/time.hpp"
#include "choreo/outbox/inbox.hpp"
#include "choreo/outbox/outbox.hpp"
#include "choreo/testing/testing.hpp"

extern char** environ;

namespace choreo::admin::testing {

namespace topology = contracts::topology;
namespace dl = contracts::dead_letter;
using std::chrono::milliseconds;

namespace {

amqp::FieldTable ToFieldTable(const std::map<std::string, topology::ArgumentValue>& arguments) {
  amqp::FieldTable table;
  for (const auto& [key, value] : arguments) {
    std::visit([&](const auto& v) { table.Set(key, v); }, value);
  }
  return table;
}

}  // namespace

Endpoints EndpointsFor(const choreo::testing::TestVhost& vhost, const std::string& name) {
  Endpoints endpoints;
  endpoints.amqp_url = vhost.AmqpUrl();
  endpoints.mgmt_url = choreo::testing::RequireEnv("CHOREO_TEST_MGMT_URL");
  endpoints.connection_name = choreo::testing::UniqueName(name);
  return endpoints;
}

void VhostTest::OpenVhost(const std::string& prefix, const std::string& connection_name) {
  vhost_ = std::make_unique<choreo::testing::TestVhost>(prefix);
  connection_ = std::make_unique<amqp::Connection>(
      amqp::ConnectionOptions{.url = vhost_->AmqpUrl(), .connection_name = connection_name});
  endpoints_ = EndpointsFor(*vhost_);
}

topology::WorkerTopology DeclareWorker(amqp::Connection& connection, std::string_view worker) {
  for (const topology::Exchange& e : topology::Exchanges()) {
    amqp::ExchangeSpec spec;
    spec.name = std::string(e.name);
    spec.type = std::string(e.type);
    spec.durable = e.durable;
    connection.DeclareExchange(spec);
  }
  topology::WorkerTopology t = topology::ForWorker(worker);
  for (const topology::Queue& q : t.AllQueues()) {
    amqp::QueueSpec spec;
    spec.name = q.name;
    spec.extra_arguments = ToFieldTable(q.arguments);
    connection.DeclareQueue(spec);
    for (const topology::Binding& b : q.bindings) {
      connection.Bind({q.name, b.exchange, b.routing_key, {}});
    }
  }
  return t;
}

amqp::Message OrderPlaced(const std::string& order_id, bool poison) {
  nlohmann::json payload = {{"order_id", order_id},
                            {"customer_id", "c-1"},
                            {"lines", nlohmann::json::array({{{"sku", "SKU-1"}, {"quantity", poison ? 0 : 1}}})}};
  if (poison) payload["poison"] = true;
  contracts::Envelope envelope =
      contracts::MakeEnvelope("order.placed", order_id, "", "gateway", payload);
  contracts::AmqpProperties p = contracts::ToAmqpProperties(envelope);
  amqp::Message m{.body = contracts::Serialize(envelope), .message_id = p.message_id, .content_type = p.content_type,
                  .correlation_id = p.correlation_id, .type = p.type, .app_id = p.app_id,
                  .timestamp = amqp::Timestamp(std::chrono::seconds(p.timestamp))};
  for (const auto& [k, v] : p.headers) m.headers.Set(k, v);
  return m;
}

void PublishConfirmed(amqp::Connection& connection, const std::string& exchange,
                      const std::string& routing_key, const std::vector<amqp::Message>& messages) {
  amqp::Publisher publisher(connection);
  for (const amqp::Message& m : messages) publisher.Publish(exchange, routing_key, m);
  std::size_t confirmed = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (confirmed < messages.size() && std::chrono::steady_clock::now() < deadline) {
    for (const auto& r : publisher.WaitForConfirms(milliseconds(1000))) {
      if (r.outcome != amqp::PublishOutcome::kConfirmed) {
        throw std::runtime_error(std::string("seed publish ") + amqp::ToString(r.outcome) + " " +
                                 r.reply_text);
      }
      ++confirmed;
    }
  }
  if (confirmed != messages.size()) throw std::runtime_error("seed publishes not confirmed");
}

void SeedDeadLetters(amqp::Connection& connection, const std::string& dlq,
                     const std::vector<DeadLetterSeed>& seeds) {
  std::vector<amqp::Message> messages;
  for (const DeadLetterSeed& s : seeds) {
    amqp::Message m = s.message;
    m.headers.Set(std::string(dl::kErrorClass), s.error_class);
    m.headers.Set(std::string(dl::kErrorMessage), s.error_message);
    m.headers.Set(std::string(dl::kWorker), s.worker);
    m.headers.Set(std::string(dl::kOriginalExchange), s.original_exchange);
    m.headers.Set(std::string(dl::kOriginalRoutingKey), s.original_routing_key);
    m.headers.Set(std::string(dl::kOriginalQueue), s.original_queue);
    m.headers.Set(std::string(dl::kAttempts), s.attempts);
    m.headers.Set(std::string(dl::kDeadLetteredAt),
                  s.dead_lettered_at.empty() ? contracts::NowRfc3339() : s.dead_lettered_at);
    messages.push_back(std::move(m));
  }
  PublishConfirmed(connection, std::string(topology::kDeadLetterExchange), dlq, messages);
}

std::vector<amqp::Message> Drain(amqp::Connection& connection, const std::string& queue) {
  std::vector<amqp::Message> out;
  while (auto d = connection.Get(queue, /*auto_ack=*/false)) {
    connection.Ack(*d);
    out.push_back(std::move(d->message));
  }
  return out;
}

void AddPendingOutboxRows(const std::string& store_url, int count) {
  store::Store store(store_url);
  outbox::InstallSchema(store);
  store.InTransaction([&](store::Tx& tx) {
    for (int i = 0; i < count; ++i) {
      outbox::OutgoingMessage m;
      m.message_id = contracts::NewUuid();
      m.exchange = "orders";
      m.routing_key = "order.placed";
      m.body = "{}";
      outbox::Append(tx, m);
    }
  });
}

std::vector<std::string> Peek(amqp::Connection& connection, const std::string& queue) {
  std::vector<std::string> ids;
  std::optional<amqp::Delivery> last;
  while (auto d = connection.Get(queue, /*auto_ack=*/false)) {
    ids.push_back(d->message.message_id);
    last = std::move(d);
  }
  if (last) connection.Nack(*last, /*requeue=*/true, /*multiple=*/true);
  return ids;
}

// ---------------------------------------------------------------------------------------

FakeWorker::FakeWorker(std::string amqp_url, std::string store_url, std::string queue)
    : amqp_url_(std::move(amqp_url)), queue_(std::move(queue)) {
  store_ = std::make_unique<store::Store>(store_url);
  outbox::InstallSchema(*store_);
  store_->Migrate("fake_worker",
                  {{1, "effects", "CREATE TABLE fake_effects (message_id TEXT NOT NULL, applied_at BIGINT NOT NULL)"}});
}

FakeWorker::~FakeWorker() { Stop(); }

void FakeWorker::Start() {
  stop_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void FakeWorker::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void FakeWorker::Loop() {
  try {
    amqp::ConnectionOptions options;
    options.url = amqp_url_;
    options.connection_name = "fake-worker";
    amqp::Connection connection(options);
    amqp::Publisher publisher(connection);
    amqp::Consumer consumer(connection, {.queue = queue_, .prefetch = 50});
    while (!stop_) {
      std::optional<amqp::Delivery> d = consumer.Next(milliseconds(100));
      if (!d) continue;
      ++deliveries_;
      const amqp::Message& m = d->message;
      {
        std::lock_guard lock(mutex_);
        last_headers_[m.message_id] = m.headers;
      }
      nlohmann::json body = nlohmann::json::parse(m.body, nullptr, false);
      const bool poison = body.is_object() && body["payload"].value("poison", false);
      if (poison && !fixed_) {
        amqp::Message copy = m;
        copy.headers.Set(std::string(dl::kErrorClass), std::string(dl::kContractError));
        copy.headers.Set(std::string(dl::kErrorMessage),
                         std::string("payload.lines[0].quantity must be >= 1"));
        copy.headers.Set(std::string(dl::kWorker), std::string("order"));
        copy.headers.Set(std::string(dl::kOriginalExchange), d->exchange);
        copy.headers.Set(std::string(dl::kOriginalRoutingKey), d->routing_key);
        copy.headers.Set(std::string(dl::kOriginalQueue), queue_);
        copy.headers.Set(std::string(dl::kAttempts), int64_t{1});
        copy.headers.Set(std::string(dl::kDeadLetteredAt), contracts::NowRfc3339());
        publisher.Publish(std::string(topology::kDeadLetterExchange),
                          topology::DeadLetterQueueName(queue_), copy);
        auto results = publisher.WaitForConfirms(milliseconds(10000));
        if (results.size() != 1 || results[0].outcome != amqp::PublishOutcome::kConfirmed) {
          consumer.Nack(*d, /*requeue=*/true);  // dead-lettering failed: try again later
          continue;
        }
        consumer.Ack(*d);
        ++dead_lettered_;
        continue;
      }
      store_->InTransaction([&](store::Tx& tx) {
        if (outbox::TryRecord(tx, "fake-order-worker", m.message_id)) {
          tx.Run("INSERT INTO fake_effects (message_id, applied_at) VALUES (?, ?)", m.message_id,
                 outbox::NowMs());
        }
      });
      consumer.Ack(*d);
    }
  } catch (const std::exception& e) {
    std::lock_guard lock(mutex_);
    error_ = e.what();
  }
}

std::map<std::string, int> FakeWorker::Effects() {
  return store_->InTransaction([](store::Tx& tx) {
    std::vector<std::string> ids;
    tx.Run("SELECT message_id FROM fake_effects", Poco::Data::Keywords::into(ids));
    std::map<std::string, int> out;
    for (const auto& id : ids) ++out[id];
    return out;
  });
}

amqp::FieldTable FakeWorker::LastHeaders(const std::string& message_id) {
  std::lock_guard lock(mutex_);
  auto it = last_headers_.find(message_id);
  return it == last_headers_.end() ? amqp::FieldTable{} : it->second;
}

std::string FakeWorker::Error() {
  std::lock_guard lock(mutex_);
  return error_;
}

// ---------------------------------------------------------------------------------------

RunResult RunBinary(const std::string& binary, const std::vector<std::string>& args,
                    const std::string& stdin_text, const std::map<std::string, std::string>& env) {
  char in_path[] = "/tmp/choreo-admin-in-XXXXXX";
  char out_path[] = "/tmp/choreo-admin-out-XXXXXX";
  char err_path[] = "/tmp/choreo-admin-err-XXXXXX";
  int in_fd = ::mkstemp(in_path), out_fd = ::mkstemp(out_path), err_fd = ::mkstemp(err_path);
  if (in_fd < 0 || out_fd < 0 || err_fd < 0) throw std::runtime_error("mkstemp failed");
  if (::write(in_fd, stdin_text.data(), stdin_text.size()) != static_cast<ssize_t>(stdin_text.size())) {
    throw std::runtime_error("writing stdin file failed");
  }
  ::lseek(in_fd, 0, SEEK_SET);

  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    std::string key = entry.substr(0, entry.find('='));
    if (env.count(key) == 0) env_strings.push_back(entry);
  }
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_strings{binary};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::dup2(in_fd, 0);
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    ::execve(binary.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  auto slurp = [](const char* path) {
    std::ifstream f(path);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
  };
  RunResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(out_path);
  r.err = slurp(err_path);
  for (int fd : {in_fd, out_fd, err_fd}) ::close(fd);
  for (const char* p : {in_path, out_path, err_path}) std::remove(p);
  return r;
}

int CloseConnections(const std::string& vhost, const std::string& name, bool prefix) {
  int closed = 0;
  std::string body;
  int status = choreo::testing::ManagementRequest(
      "GET", "/api/vhosts/" + choreo::testing::UrlEncode(vhost) + "/connections", "", &body);
  if (status != 200) throw std::runtime_error("listing connections: HTTP " + std::to_string(status));
  for (const auto& c : nlohmann::json::parse(body)) {
    const auto& props = c.value("client_properties", nlohmann::json::object());
    const std::string connection_name = props.value("connection_name", "");
    if (prefix ? !connection_name.starts_with(name) : connection_name != name) continue;
    const std::string id = c.value("name", "");
    std::string encoded;
    Poco::URI::encode(id, "/?#%&+=:@ <>", encoded);
    choreo::testing::ManagementRequest("DELETE", "/api/connections/" + encoded, "", nullptr);
    ++closed;
  }
  return closed;
}

}  // namespace choreo::admin::testing
