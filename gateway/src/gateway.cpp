// The gateway's lifecycle: its options, the component host (store, outbox relay), the
// pipeline that keeps the read model, the idempotency purge, and the HTTP server
// (http_api.cpp) around the handlers (order_handlers.cpp, probe_handlers.cpp).
#include "choreo/gateway/gateway.hpp"

#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "choreo/contracts/events.hpp"
#include "choreo/gateway/idempotency.hpp"
#include "choreo/gateway/intake.hpp"
#include "choreo/gateway/read_model.hpp"
#include "choreo/log/log.hpp"
#include "choreo/worker/host.hpp"
#include "choreo/worker/pipeline.hpp"
#include "service.hpp"

namespace choreo::gateway {

void GatewayOptions::Validate() const {
  auto fail = [](const std::string& what) { throw std::invalid_argument("gateway options: " + what); };
  if (listen_address.empty()) fail("listen_address is empty");
  if (port < 0 || port > 65535) fail("port must be 0..65535");
  if (amqp_url.empty()) fail("amqp_url is empty");
  if (store_url.empty()) fail("store_url is empty");
  if (store_pool_size == 0) fail("store_pool_size must be at least 1");
  if (max_body_bytes == 0) fail("max_body_bytes must be at least 1");
  if (max_threads < 1) fail("max_threads must be at least 1");
  if (max_queued < 1) fail("max_queued must be at least 1");
  if (io_timeout.count() <= 0) fail("io_timeout must be positive");
  if (request_timeout.count() <= 0) fail("request_timeout must be positive");
  if (keep_alive_timeout.count() <= 0) fail("keep_alive_timeout must be positive");
  if (max_keep_alive_requests < 1) fail("max_keep_alive_requests must be at least 1");
  if (idempotency_ttl.count() <= 0) fail("idempotency_ttl must be positive");
  if (group_commit_max_size == 0) fail("group_commit_max_size must be at least 1");
  if (group_commit_window.count() < 0 || group_commit_window > std::chrono::seconds(1)) {
    fail("group_commit_window must be 0..1s");
  }
  admission.Validate();
  for (const auto& key : api_keys) {
    if (key.empty()) fail("api_keys holds an empty key");
    for (char c : key) {
      if (c <= 0x20 || c >= 0x7F) fail("api keys must be printable ASCII without spaces");
    }
  }
}

struct Gateway::Impl {
  Service service;
  std::thread worker_thread;
  std::thread purge_thread;
  std::mutex purge_mutex;
  std::condition_variable purge_cv;
  bool stopping = false;
  std::unique_ptr<http::Server> server;
  std::uint16_t port = 0;  // the bound port, still answered after Stop
  bool started = false;
  std::mutex lifecycle_mutex;
};

Gateway::Gateway(GatewayOptions options) : impl_(std::make_unique<Impl>()) {
  options.Validate();
  Service& service = impl_->service;
  service.options = std::move(options);
  for (const auto& key : service.options.api_keys) service.key_hashes.push_back(Sha256Hex(key));

  service.host = std::make_unique<worker::ComponentHost>(
      worker::HostOptions{.name = std::string(contracts::components::kGateway),
                          .amqp_url = service.options.amqp_url,
                          .store_url = service.options.store_url,
                          .store_pool_size = service.options.store_pool_size,
                          .http_port = -1});  // /healthz, /readyz, /metrics are the gateway's own
  // Orders must be taken before the broker was ever reached (and while it is unreachable),
  // so the schema is brought up to date here.
  service.host->Migrate(Migrations());
  service.read_model = std::make_unique<worker::Pipeline>(
      *service.host, worker::PipelineOptions{.name = std::string(contracts::components::kGateway)});
  FeedFrom(*service.read_model);

  worker::ComponentHost* host = service.host.get();
  service.intake = std::make_unique<OrderIntake>(
      service.Store(), [host] { host->NotifyOutbox(); },
      GroupCommitOptions{service.options.group_commit_max_size, service.options.group_commit_window});
  if (service.options.before_write_hook) service.intake->SetBeforeWriteHook(service.options.before_write_hook);
  store::Store* store = &service.Store();
  service.admission = std::make_unique<AdmissionControl>(service.options.admission, [store] {
    return store->InTransaction([](store::Tx& tx) { return ReadLoad(tx); });
  });
}

Gateway::~Gateway() {
  try {
    Stop();
  } catch (...) {
    // A destructor must not throw; Stop already logged what it could.
  }
}

void Gateway::Start() {
  std::lock_guard lifecycle(impl_->lifecycle_mutex);
  if (impl_->started) return;
  Service& service = impl_->service;
  const GatewayOptions& options = service.options;

  // Bound before any thread starts: a port in use fails Start with nothing to undo.
  impl_->server = MakeHttpServer(service);
  impl_->server->Listen();
  impl_->port = impl_->server->Port();

  impl_->stopping = false;
  service.host->Start();
  impl_->worker_thread = std::thread([&service] {
    try {
      service.read_model->Run();
    } catch (const std::exception& error) {
      service.worker_failed = true;
      log::Error("gateway worker stopped", {{"error", error.what()}});
    } catch (...) {
      service.worker_failed = true;
      log::Error("gateway worker stopped");
    }
  });
  impl_->purge_thread = std::thread([this] {
    std::unique_lock lock(impl_->purge_mutex);
    while (!impl_->stopping) {
      lock.unlock();
      try {
        impl_->service.intake->PurgeIdempotency(impl_->service.options.idempotency_ttl);
      } catch (const std::exception& error) {
        log::Warn("idempotency purge failed", {{"error", error.what()}});
      }
      lock.lock();
      impl_->purge_cv.wait_for(lock, std::chrono::minutes(1), [this] { return impl_->stopping; });
    }
  });
  impl_->server->Start();
  impl_->started = true;
  log::Info("gateway listening", {{"address", options.listen_address}, {"port", impl_->port},
                                  {"auth", options.api_keys.empty() ? "off" : "api-key"}});
}

void Gateway::Stop() {
  std::lock_guard lifecycle(impl_->lifecycle_mutex);
  if (!impl_->started) return;
  try {
    impl_->server->Stop();
  } catch (const std::exception& error) {
    log::Warn("stopping the HTTP server", {{"error", error.what()}});
  }
  impl_->service.read_model->Stop();
  if (impl_->worker_thread.joinable()) impl_->worker_thread.join();
  impl_->service.host->Stop();
  {
    std::lock_guard lock(impl_->purge_mutex);
    impl_->stopping = true;
  }
  impl_->purge_cv.notify_all();
  if (impl_->purge_thread.joinable()) impl_->purge_thread.join();
  impl_->server.reset();
  impl_->started = false;
}

std::uint16_t Gateway::Port() const { return impl_->port; }

bool Gateway::WaitUntilConsuming(std::chrono::milliseconds timeout) {
  return impl_->service.read_model->WaitUntilReady(timeout);
}

bool Gateway::WorkerHealthy() const { return !impl_->service.worker_failed.load(); }

store::Store& Gateway::Store() { return impl_->service.Store(); }

worker::ComponentHost& Gateway::Host() { return *impl_->service.host; }

const GatewayOptions& Gateway::Options() const { return impl_->service.options; }

}  // namespace choreo::gateway
