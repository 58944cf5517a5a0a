#pragma once
// The run record infra/up writes (var/run/record, see infra/lib/record.sh): which profile
// runs, its broker and management URLs and each component's store. choreo-admin takes
// from it what the user did not give, so an operator of a running system types no URLs.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "choreo/admin/cli.hpp"

namespace choreo::admin {

// A supervised process infra/up started ("service <kind> <name> <port> <log>"): a worker's
// port is its HTTP port (/healthz, /readyz, /metrics), the gateway's and the provider's
// their API.
struct RecordedService {
  std::string kind;  // worker | gateway | provider | console | other
  std::string name;  // order-worker, payment-worker-2, gateway-1, ...
  std::optional<uint16_t> port;  // none when the record says "-"
};

struct RunRecord {
  std::string profile;   // embedded | cluster
  std::string amqp_url;  // comma-separated in the cluster profile
  std::string mgmt_url;  // likewise
  std::map<std::string, std::string> stores;  // component -> store URL
  std::vector<RecordedService> services;      // in the order started, each name once
};

// Parses the text of a record: "<key> <value>" lines; comments, blank lines and keys
// choreo-admin does not need are skipped. Never throws.
RunRecord ParseRunRecord(std::string_view text);

// <var_dir>/run/record; an empty var_dir means "var" (relative to the working directory,
// as infra/up's default).
std::filesystem::path RunRecordPath(const std::string& var_dir);

// The record at `path`; nullopt when there is none (or it cannot be read: then nothing
// was recorded for this user, and explicit URLs or the defaults apply).
std::optional<RunRecord> ReadRunRecord(const std::filesystem::path& path);

// Fills the endpoints `env` lacks (empty: neither flag nor environment named them) from
// the record, and gives it the recorded store of each component. Explicit values win.
void FillFromRunRecord(CliEnvironment& env, const RunRecord& record);

}  // namespace choreo::admin
