#include "system_audit.hpp"

#include <sstream>
#include <vector>

#include "choreo/admin/admin.hpp"
#include "choreo/admin/audit.hpp"
#include "choreo/admin/cli.hpp"
#include "choreo/testing/testing.hpp"

namespace choreo::e2e {

AuditRun Audit(const System& system, const AuditRunOptions& options) {
  std::vector<std::string> args = {
      "audit", "--gateway-store=" + (options.with_gateway ? system.StoreUrl("gateway") : std::string("none")),
      "--catalog=" + system.CatalogPath()};
  for (const char* component : admin::kAuditComponents) {
    const std::string name(component);
    if (name == "gateway") continue;
    args.push_back("--" + name + "-store=" + system.StoreUrl(name));
  }
  args.push_back("--amqp-url=" + system.AmqpUrl());
  args.push_back("--mgmt-url=" +
                 (options.mgmt_url.empty() ? testing::RequireEnv("CHOREO_TEST_MGMT_URL") : options.mgmt_url));
  if (options.fail_on_dlq) args.push_back("--fail-on-dlq");
  if (options.json) args.push_back("--json");
  admin::CliEnvironment environment;  // nothing from this process's environment
  std::istringstream in;
  std::ostringstream out, err;
  AuditRun run;
  run.exit_code = admin::RunCli(args, environment, in, out, err);
  run.report = out.str() + err.str();
  return run;
}

}  // namespace choreo::e2e
