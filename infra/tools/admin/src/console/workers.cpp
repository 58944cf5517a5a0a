#include "console/workers.hpp"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/Timespan.h>

#include <algorithm>
#include <cstdlib>
#include <future>

namespace choreo::admin::console {

namespace {

constexpr std::string_view kCircuitGauge = "choreo_circuit_state";
// A readiness reason or an error text is shown, not stored: keep it short.
constexpr std::size_t kMaxReason = 300;

// The labels of `{a="x",b="y\"z"}` starting at text[0] == '{'; nullopt when malformed.
// `end` receives the index after the closing brace.
std::optional<std::vector<std::pair<std::string, std::string>>> Labels(std::string_view text, std::size_t& end) {
  std::vector<std::pair<std::string, std::string>> labels;
  std::size_t i = 1;
  while (i < text.size() && text[i] != '}') {
    const std::size_t eq = text.find('=', i);
    if (eq == std::string_view::npos || eq + 1 >= text.size() || text[eq + 1] != '"') return std::nullopt;
    std::string name(text.substr(i, eq - i));
    std::string value;
    std::size_t j = eq + 2;
    for (; j < text.size() && text[j] != '"'; ++j) {
      if (text[j] == '\\' && j + 1 < text.size()) {
        ++j;
        value += text[j] == 'n' ? '\n' : text[j];
      } else {
        value += text[j];
      }
    }
    if (j >= text.size()) return std::nullopt;
    labels.emplace_back(std::move(name), std::move(value));
    i = j + 1;
    if (i < text.size() && text[i] == ',') ++i;
  }
  if (i >= text.size()) return std::nullopt;
  end = i + 1;
  return labels;
}

struct Answer {
  int status = 0;  // 0: no answer
  std::string body;
  std::string error;
};

Answer Get(uint16_t port, const std::string& path, std::chrono::milliseconds timeout) {
  Answer answer;
  try {
    Poco::Net::HTTPClientSession session("127.0.0.1", port);
    const Poco::Timespan span(static_cast<long>(timeout.count() / 1000), static_cast<long>(timeout.count() % 1000) * 1000);
    session.setTimeout(span, span, span);
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, path, Poco::Net::HTTPMessage::HTTP_1_1);
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    Poco::StreamCopier::copyToString(in, answer.body);
    answer.status = static_cast<int>(response.getStatus());
  } catch (const std::exception& e) {
    answer.error = e.what();
  }
  return answer;
}

std::string Short(std::string text) {
  if (text.size() > kMaxReason) text = text.substr(0, kMaxReason) + "...";
  return text;
}

}  // namespace

std::string_view CircuitStateName(int state) {
  switch (state) {
    case 0: return "closed";
    case 1: return "half-open";
    case 2: return "open";
    default: return "unknown";
  }
}

std::vector<CircuitReading> ParseCircuitStates(std::string_view text) {
  std::vector<CircuitReading> readings;
  while (!text.empty()) {
    const std::size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    if (!line.starts_with(kCircuitGauge) || line.size() <= kCircuitGauge.size() ||
        line[kCircuitGauge.size()] != '{') {
      continue;
    }
    std::size_t end = 0;
    auto labels = Labels(line.substr(kCircuitGauge.size()), end);
    if (!labels) continue;
    std::string value(line.substr(kCircuitGauge.size() + end));
    char* parsed_end = nullptr;
    const double number = std::strtod(value.c_str(), &parsed_end);
    if (parsed_end == value.c_str()) continue;
    CircuitReading reading;
    for (const auto& [name, label] : *labels) {
      // The runtime names it "circuit"; "dependency" is accepted for other exporters.
      if (name == "circuit" || (name == "dependency" && reading.circuit.empty())) reading.circuit = label;
    }
    const int state = static_cast<int>(number);
    reading.state = state >= 0 && state <= 2 && number == state ? state : -1;
    readings.push_back(std::move(reading));
  }
  std::sort(readings.begin(), readings.end(),
            [](const CircuitReading& a, const CircuitReading& b) { return a.circuit < b.circuit; });
  return readings;
}

std::vector<RecordedService> ScrapedServices(const RunRecord& record) {
  std::vector<RecordedService> services;
  for (const RecordedService& s : record.services) {
    if (s.kind == "worker" || s.kind == "gateway") services.push_back(s);
  }
  return services;
}

WorkerStatus ScrapeWorker(const RecordedService& service, std::chrono::milliseconds timeout) {
  WorkerStatus status{.name = service.name, .kind = service.kind, .port = service.port};
  if (!service.port) {
    status.reason = "no HTTP port recorded";
    return status;
  }
  const Answer ready = Get(*service.port, "/readyz", timeout);
  if (ready.status == 0) {
    status.reason = Short("no answer on 127.0.0.1:" + std::to_string(*service.port) + ": " + ready.error);
    return status;
  }
  status.up = true;
  status.ready = ready.status == 200;
  if (!status.ready) {
    const nlohmann::json body = nlohmann::json::parse(ready.body, nullptr, false);
    status.reason = body.is_object() && body.contains("reason") && body["reason"].is_string()
                        ? Short(body["reason"].get<std::string>())
                        : "/readyz answered " + std::to_string(ready.status);
  }
  const Answer metrics = Get(*service.port, "/metrics", timeout);
  status.metrics = metrics.status == 200;
  if (status.metrics) status.circuits = ParseCircuitStates(metrics.body);
  return status;
}

std::vector<WorkerStatus> ScrapeWorkers(const RunRecord& record, std::chrono::milliseconds timeout) {
  std::vector<std::future<WorkerStatus>> pending;
  for (const RecordedService& s : ScrapedServices(record)) {
    pending.push_back(std::async(std::launch::async, [s, timeout] { return ScrapeWorker(s, timeout); }));
  }
  std::vector<WorkerStatus> statuses;
  for (auto& f : pending) statuses.push_back(f.get());
  return statuses;
}

nlohmann::json WorkerJson(const WorkerStatus& s) {
  nlohmann::json circuits = nlohmann::json::array();
  for (const CircuitReading& c : s.circuits) {
    circuits.push_back({{"circuit", c.circuit}, {"state", CircuitStateName(c.state)}, {"value", c.state}});
  }
  return {{"name", s.name},
          {"kind", s.kind},
          {"port", s.port ? nlohmann::json(*s.port) : nlohmann::json(nullptr)},
          {"up", s.up},
          {"ready", s.ready},
          {"reason", s.reason},
          {"metrics", s.metrics},
          {"circuits", circuits}};
}

}  // namespace choreo::admin::console
