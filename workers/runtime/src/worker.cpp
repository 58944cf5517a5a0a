#include "choreo/worker/worker.hpp"

#include <stdexcept>

#include "choreo/log/log.hpp"
#include "choreo/secrets/redact.hpp"

namespace choreo::worker {

namespace {

HostOptions HostPart(const WorkerOptions& o) {
  return {.name = o.name,
          .amqp_url = o.amqp_url,
          .store_url = o.store_url.empty() ? "sqlite:var/data/" + o.name + ".db" : o.store_url,
          .store_pool_size = o.store_pool_size,
          .http_port = o.http_port,
          .outbox_retention = o.outbox_retention};
}

PipelineOptions PipelinePart(const WorkerOptions& o) {
  return {.name = o.name,
          .prefetch = o.prefetch,
          .batch_size = o.batch_size,
          .max_retries = o.max_retries,
          .poll_interval = o.poll_interval,
          .ack_delay = o.ack_delay,
          .effect_concurrency = o.effect_concurrency,
          .limits = o.limits,
          .circuit = o.circuit,
          .inbox_retention = o.inbox_retention};
}

}  // namespace

// The rules live with the parts that use the fields (HostOptions, PipelineOptions).
void WorkerOptions::Validate() const {
  HostPart(*this).Validate();
  PipelinePart(*this).Validate();
}

struct Worker::Impl {
  explicit Impl(WorkerOptions o) : options(std::move(o)), host(HostPart(options)), pipeline(host, PipelinePart(options)) {
    options.store_url = host.Options().store_url;
    options.circuit = pipeline.Options().circuit;
  }

  WorkerOptions options;
  // The pipeline registers a readiness check with the host: declared after it, so it is
  // destroyed first and removes the check while the host still exists.
  ComponentHost host;
  Pipeline pipeline;
  std::vector<store::Migration> migrations;
  std::vector<std::function<void(store::Store&)>> start_hooks;
};

Worker::Worker(WorkerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Worker::~Worker() = default;

Worker& Worker::Migrations(std::vector<store::Migration> migrations) {
  impl_->migrations = std::move(migrations);
  return *this;
}

Worker& Worker::OnStart(std::function<void(store::Store&)> hook) {
  impl_->start_hooks.push_back(std::move(hook));
  return *this;
}

Worker& Worker::OnRaw(std::string event_type, RawHandler handler, RawEffect effect) {
  impl_->pipeline.On(std::move(event_type), std::move(handler), std::move(effect));
  return *this;
}

Worker& Worker::SerializeTransactions() {
  impl_->pipeline.SerializeTransactions();
  return *this;
}

bool Worker::Handle(const contracts::Envelope& envelope) { return impl_->pipeline.Handle(envelope); }

void Worker::Run() {
  ComponentHost& host = impl_->host;
  host.Migrate(impl_->migrations);
  for (auto& hook : impl_->start_hooks) hook(host.Store());
  host.Start();
  log::Info("worker started", {{"worker", impl_->options.name}, {"store", secrets::RedactUrl(impl_->options.store_url)},
                               {"http_port", HttpPort()}});
  impl_->pipeline.Run();
  host.Stop();
  log::Info("worker stopped", {{"worker", impl_->options.name}, {"handled", impl_->pipeline.Stats().handled}});
}

void Worker::Stop() { impl_->pipeline.Stop(); }

bool Worker::WaitUntilReady(std::chrono::milliseconds timeout) { return impl_->pipeline.WaitUntilReady(timeout); }

store::Store& Worker::Store() { return impl_->host.Store(); }

void Worker::NotifyOutbox() { impl_->host.NotifyOutbox(); }

ComponentHost& Worker::Host() { return impl_->host; }

bool Worker::BrokerConnected() const { return impl_->pipeline.BrokerConnected(); }

const WorkerOptions& Worker::Options() const { return impl_->options; }

WorkerStats Worker::Stats() const { return impl_->pipeline.Stats(); }

int Worker::HttpPort() const { return impl_->host.HttpPort(); }

void InstallSignalHandlers(Worker& worker) { InstallSignalHandlers(worker.Host()); }

}  // namespace choreo::worker
