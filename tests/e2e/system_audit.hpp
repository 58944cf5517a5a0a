#pragma once
// choreo-admin audit over a running System: every delivery guarantee
// checked across the stores the System's processes use, the provider's ledger and the
// dead-letter queues of its vhost. Run in process (RunCli), so a test sees the same report
// an operator would.
#include <string>

#include "system.hpp"

namespace choreo::e2e {

struct AuditRun {
  int exit_code = -1;
  std::string report;  // the human report (or its error output)
  bool Clean() const { return exit_code == 0; }
};

struct AuditRunOptions {
  // A dead letter fails the audit (--fail-on-dlq) instead of being a warning.
  bool fail_on_dlq = true;
  // --json instead of the human report.
  bool json = false;
  // The management API to read the DLQs from; "" = the test node's (CHOREO_TEST_MGMT_URL).
  std::string mgmt_url;
  // The System runs gateways: audit their store too (orders.accepted included).
  bool with_gateway = false;
};

// Unless with_gateway, the System has no gateway (tests publish order.placed themselves),
// so its store is left out and orders.accepted is skipped; the order worker's orders
// stand for the accepted ones. The DLQs are read through the management API of the test
// broker.
AuditRun Audit(const System& system, const AuditRunOptions& options = {});

}  // namespace choreo::e2e
