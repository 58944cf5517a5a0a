// audit: every store, the provider's ledger and the DLQs against the delivery guarantees.
#include <filesystem>
#include <ostream>

#include "choreo/admin/audit.hpp"
#include "cli/commands.hpp"

namespace choreo::admin::cli {

namespace {

constexpr std::string_view kDefaultCatalogPath = "infra/catalog.json";

constexpr const char* kAuditUsage =
    R"(Usage: choreo-admin audit [--var-dir DIR] [--<component>-store URL ...] [--catalog PATH]
                          [--allow-in-flight[=AGE]] [--no-broker] [--fail-on-dlq] [--verbose] [--json]

Checks the delivery guarantees (docs/architecture.md) across every component's store, the
provider stand-in's ledger and the dead-letter queues:
  orders.known        every order the gateway accepted is known to the order worker
  orders.terminal     ... and is CONFIRMED or CANCELLED
  orders.accepted     no state, charge, refund or e-mail for an order never accepted
  confirmed.payment   a CONFIRMED order has exactly one capture (of its total), no refund
  confirmed.shipment  ... one scheduled shipment
  confirmed.email     ... exactly one confirmation e-mail (and no cancellation e-mail)
  cancelled.payment   a CANCELLED order has no net charge: each capture refunded once, in full
  cancelled.email     ... exactly one cancellation e-mail (and no confirmation e-mail)
  effects.in_flight   orders not yet terminal have no duplicated capture, refund or e-mail
  stock.conserved     per SKU: catalog stock = available + reserved + sold
  stock.sold          per SKU: sold = quantities of committed reservations
  stock.reserved      per SKU: reserved = quantities of held reservations
  reservations.state  no reservation both committed and released; each agrees with its
                      order (confirmed -> committed, cancelled -> released) and shipment
  ledger.agreement    payment and notification records match the provider's ledger
  outbox.drained      no pending outbox row in any store
  dlq.empty           every dead-lettered message, listed with its reason (a warning;
                      a violation with --fail-on-dlq)
Prints one line per check (OK / VIOLATION with counts and the first offending order ids,
WARNING, SKIPPED), the dead letters and a summary of totals.

Stores (sqlite:PATH or postgresql://user@host:port/db; "none" leaves a component out and
skips the checks that need it):
  --gateway-store URL  --order-store URL  --inventory-store URL  --payment-store URL
  --shipping-store URL  --notification-store URL  --provider-store URL
  each defaults to the store infra/up recorded in <var dir>/run/record, else
  sqlite:<var dir>/data/<component>.db
  --var-dir DIR        the var dir of infra/up (env CHOREO_VAR_DIR, default var)
  --catalog PATH       initial stock (env CHOREO_CATALOG, default infra/catalog.json when it
                       exists); "none": take inventory_stock.total as the initial stock

  --allow-in-flight[=AGE]  the system may still be running: orders younger than AGE
                       (default 5m) may be unfinished and outbox rows younger than AGE
                       pending. Duplicated effects are violations whatever the age.
  --no-broker          do not read the dead-letter queues
  --fail-on-dlq        a dead-lettered message is a violation
  --verbose            every offender on its own line, every dead letter
Broker options as for the dlq commands; a broker that cannot be reached is a warning.
Exit code 0 when every check holds, 1 on any violation (or an unreadable store), 2 on
usage errors.
)";

std::optional<std::string> CatalogFrom(const Args& args, const CliEnvironment& env) {
  if (auto catalog = args.Last("catalog")) {
    if (catalog->empty()) throw UsageError("--catalog needs a path (or 'none')");
    if (*catalog == "none") return std::nullopt;
    return *catalog;
  }
  if (!env.catalog.empty()) return env.catalog;
  if (std::filesystem::exists(std::string(kDefaultCatalogPath))) return std::string(kDefaultCatalogPath);
  return std::nullopt;
}

AuditOptions AuditOptionsFrom(const Args& args) {
  AuditOptions options;
  if (args.Has("allow-in-flight")) {
    const std::string age = *args.Last("allow-in-flight");
    options.in_flight =
        age.empty() ? std::optional<std::chrono::milliseconds>(kDefaultInFlightAge) : ParseDuration(age);
    if (!options.in_flight) {
      throw UsageError("--allow-in-flight takes an age like 90s, 5m or 1h (--allow-in-flight=5m), got '" + age + "'");
    }
  }
  options.fail_on_dlq = args.Has("fail-on-dlq");
  return options;
}

int AuditRun(const Args& args, const Io& io) {
  if (args.positional.size() > 1) {
    std::string hint;
    if (ParseDuration(args.positional[1])) {
      hint = " (an age for --allow-in-flight goes after '=': --allow-in-flight=" + args.positional[1] + ")";
    }
    throw UsageError("unexpected argument '" + args.positional[1] + "'" + hint);
  }
  AuditSources sources;
  sources.stores = ComponentStores(args, io.env, "audit");
  sources.catalog_path = CatalogFrom(args, io.env);
  const AuditOptions options = AuditOptionsFrom(args);
  if (!args.Has("no-broker")) sources.broker = EndpointsFrom(args, io.env);

  AuditReport report = Audit(LoadAuditData(sources), options);
  if (args.Has("json")) {
    io.out << AuditJson(report) << "\n";
  } else {
    WriteAuditText(io.out, report, args.Has("verbose"));
  }
  return report.Clean() ? kExitOk : kExitFailure;
}

void AuditOptionsOf(Poco::Util::OptionSet& options) {
  AddComponentStoreOptions(options);
  AddOnce(options, Valued("catalog", "PATH"));
  AddOnce(options, OptionalValue("allow-in-flight", "AGE"));
  for (const char* flag : {"no-broker", "fail-on-dlq", "verbose"}) AddOnce(options, Flag(flag));
}

}  // namespace

Command AuditCommand() { return {.path = {"audit"}, .usage = kAuditUsage, .define = AuditOptionsOf, .run = AuditRun}; }

}  // namespace choreo::admin::cli
