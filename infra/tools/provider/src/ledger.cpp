#include "choreo/provider/ledger.hpp"

#include <algorithm>
#include <chrono>
#include <functional>
#include <stdexcept>
#include <vector>

#include <Poco/UUIDGenerator.h>

namespace choreo::provider {

using Poco::Data::Keywords::into;

namespace {

// Timestamps are epoch milliseconds (BIGINT) so both dialects store the same values.
// Effect tables repeat the idempotency key with a UNIQUE constraint: even a bug in the
// claim logic could not record one key's effect twice, and the auditor can join effects
// to the worker's idempotency keys ("charge:<order_id>").
constexpr const char* kLedgerTables = R"(CREATE TABLE provider_idempotency (
            idempotency_key TEXT PRIMARY KEY,
            endpoint TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            status_code BIGINT NOT NULL,
            response_body TEXT NOT NULL,
            created_at BIGINT NOT NULL
          );
          CREATE TABLE provider_charges (
            charge_id TEXT PRIMARY KEY,
            idempotency_key TEXT NOT NULL UNIQUE,
            order_id TEXT NOT NULL,
            amount_minor BIGINT NOT NULL,
            currency TEXT NOT NULL,
            token TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('captured', 'declined')),
            decline_reason TEXT NOT NULL DEFAULT '',
            created_at BIGINT NOT NULL
          );
          CREATE INDEX provider_charges_order ON provider_charges (order_id);
          CREATE TABLE provider_refunds (
            refund_id TEXT PRIMARY KEY,
            idempotency_key TEXT NOT NULL UNIQUE,
            charge_id TEXT NOT NULL REFERENCES provider_charges (charge_id),
            amount_minor BIGINT NOT NULL,
            reason TEXT NOT NULL,
            created_at BIGINT NOT NULL
          );
          CREATE INDEX provider_refunds_charge ON provider_refunds (charge_id);
          CREATE TABLE provider_emails (
            email_id TEXT PRIMARY KEY,
            idempotency_key TEXT NOT NULL UNIQUE,
            to_address TEXT NOT NULL,
            template TEXT NOT NULL,
            order_id TEXT NOT NULL,
            subject TEXT NOT NULL,
            body TEXT NOT NULL,
            created_at BIGINT NOT NULL
          );
          CREATE INDEX provider_emails_order ON provider_emails (order_id);
          CREATE TABLE provider_flaky_attempts (
            idempotency_key TEXT PRIMARY KEY,
            attempts BIGINT NOT NULL
          );)";

const std::vector<store::Migration>& Migrations() {
  static const std::vector<store::Migration> migrations = {{1, "create provider ledger", kLedgerTables, ""}};
  return migrations;
}

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string NewId(std::string_view prefix) {
  std::string uuid = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
  uuid.erase(std::remove(uuid.begin(), uuid.end(), '-'), uuid.end());
  return std::string(prefix) + uuid;
}

// The effect's answer and whether it becomes the key's stored response. tok_flaky's
// transient failures are not stored, so a retry with the same key can still succeed.
struct Outcome {
  Reply reply;
  bool record = true;
};

Reply StoredReply(store::Tx& tx, std::string_view key,
                  const std::string& fingerprint) {
  std::string stored_endpoint;
  std::string stored_fingerprint;
  Poco::Int64 status = 0;
  std::string body;
  if (tx.Run("SELECT endpoint, fingerprint, status_code, response_body FROM provider_idempotency "
             "WHERE idempotency_key = ?",
             into(stored_endpoint), into(stored_fingerprint), into(status), into(body), key) == 0) {
    // The claim lost a race with a transaction that then rolled back; the caller retries.
    return {503, Problem(503, "request-in-flight", "Service Unavailable",
                         "another request with this Idempotency-Key was in flight; retry")};
  }
  if (stored_fingerprint != fingerprint) {
    return {422,
            Problem(422, "idempotency-key-reused", "Idempotency-Key reused",
                    "this Idempotency-Key was first used for a different request (" +
                        stored_endpoint + "); use a new key for a new request")};
  }
  if (status == 0) {
    // Only visible if a claim were ever committed unfinished; answer like an in-flight
    // request rather than replaying an empty response.
    return {503, Problem(503, "request-in-flight", "Service Unavailable",
                         "a request with this Idempotency-Key is still in flight; retry")};
  }
  Reply reply;
  reply.status = static_cast<int>(status);
  reply.body = nlohmann::json::parse(body);
  reply.replayed = true;
  return reply;
}

// One request = one transaction: claim the key, apply the effect, store the response.
// If the transaction fails, none of the three remains.
Reply Idempotent(store::Store& store, std::string_view endpoint, std::string_view key,
                 const nlohmann::json& canonical_request,
                 const std::function<Outcome(store::Tx&)>& apply) {
  const std::string fingerprint = RequestFingerprint(endpoint, canonical_request);
  return store.InTransaction([&](store::Tx& tx) -> Reply {
    const bool claimed =
        tx.Run("INSERT INTO provider_idempotency "
               "(idempotency_key, endpoint, fingerprint, status_code, response_body, created_at) "
               "VALUES (?, ?, ?, 0, '', ?) ON CONFLICT (idempotency_key) DO NOTHING",
               key, endpoint, fingerprint, NowMs()) == 1;
    if (!claimed) return StoredReply(tx, key, fingerprint);
    Outcome outcome = apply(tx);
    if (!outcome.record) {
      tx.Run("DELETE FROM provider_idempotency WHERE idempotency_key = ?", key);
      return outcome.reply;
    }
    tx.Run("UPDATE provider_idempotency SET status_code = ?, response_body = ? WHERE idempotency_key = ?",
           outcome.reply.status, outcome.reply.body.dump(), key);
    return outcome.reply;
  });
}

}  // namespace

void LedgerOptions::Validate() const {
  if (flaky_failures < 0 || flaky_failures > 1000) {
    throw std::invalid_argument("LedgerOptions.flaky_failures must be from 0 to 1000");
  }
}

Ledger::Ledger(store::Store& store, LedgerOptions options) : store_(store), options_(options) {
  options_.Validate();
  store_.Migrate("choreo.provider", Migrations());
}

Reply Ledger::Charge(std::string_view idempotency_key, const ChargeRequest& request) {
  return Idempotent(store_, "POST /v1/charges", idempotency_key, ToJson(request), [&](store::Tx& tx) -> Outcome {
    if (request.token == kTokenFlaky) {
      // Counted in the ledger rather than in memory so concurrent attempts with one key
      // count once each and a restarted provider keeps its promise of N failures.
      tx.Run("INSERT INTO provider_flaky_attempts (idempotency_key, attempts) VALUES (?, 1) "
             "ON CONFLICT (idempotency_key) DO UPDATE SET attempts = provider_flaky_attempts.attempts + 1",
             idempotency_key);
      Poco::Int64 attempts = 0;
      tx.Run("SELECT attempts FROM provider_flaky_attempts WHERE idempotency_key = ?", into(attempts),
             idempotency_key);
      if (attempts <= options_.flaky_failures) {
        return {{503,
                 Problem(503, "transient-failure", "Service Unavailable",
                         "tok_flaky: transient failure " + std::to_string(attempts) + " of " +
                             std::to_string(options_.flaky_failures) + "; retry with the same Idempotency-Key")},
                /*record=*/false};
      }
    }
    std::string status = "captured";
    std::string reason;
    if (request.token == kTokenDecline) {
      status = "declined";
      reason = "card_declined";
    } else if (request.token != kTokenOk && request.token != kTokenFlaky && request.token != kTokenSlow) {
      status = "declined";
      reason = "invalid_token";
    }
    const std::string charge_id = NewId("ch_");
    tx.Run("INSERT INTO provider_charges (charge_id, idempotency_key, order_id, amount_minor, currency, "
           "token, status, decline_reason, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
           charge_id, idempotency_key, request.order_id, request.amount_minor, request.currency,
           request.token, status, reason, NowMs());
    if (status == "captured") {
      return {{201,
               {{"charge_id", charge_id},
                {"status", status},
                {"order_id", request.order_id},
                {"amount_minor", request.amount_minor},
                {"currency", request.currency}}}};
    }
    return {{402, {{"charge_id", charge_id}, {"status", status}, {"reason", reason}}}};
  });
}

Reply Ledger::Refund(std::string_view idempotency_key, const RefundRequest& request) {
  return Idempotent(store_, "POST /v1/refunds", idempotency_key, ToJson(request), [&](store::Tx& tx) -> Outcome {
    // PostgreSQL runs READ COMMITTED: lock the charge so two refunds of it (different
    // keys) cannot both pass the total check. SQLite already serialises writers.
    const char* select_charge = tx.Dialect() == store::Dialect::kPostgres
                                    ? "SELECT status, amount_minor FROM provider_charges WHERE charge_id = ? FOR UPDATE"
                                    : "SELECT status, amount_minor FROM provider_charges WHERE charge_id = ?";
    std::string charge_status;
    Poco::Int64 captured = 0;
    if (tx.Run(select_charge, into(charge_status), into(captured), request.charge_id) == 0) {
      return {{404, Problem(404, "charge-not-found", "Charge not found",
                            "no charge with id \"" + request.charge_id + "\"")}};
    }
    if (charge_status != "captured") {
      return {{409, Problem(409, "charge-not-captured", "Charge not captured",
                            "charge \"" + request.charge_id + "\" was " + charge_status + "; nothing to refund")}};
    }
    Poco::Int64 refunded = 0;
    tx.Run("SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) FROM provider_refunds WHERE charge_id = ?",
           into(refunded), request.charge_id);
    if (request.amount_minor > captured - refunded) {
      return {{409, Problem(409, "refund-exceeds-charge", "Refund exceeds charge",
                            "charge captured " + std::to_string(captured) + ", already refunded " +
                                std::to_string(refunded) + ", refund of " +
                                std::to_string(request.amount_minor) + " would exceed it")}};
    }
    const std::string refund_id = NewId("re_");
    tx.Run("INSERT INTO provider_refunds (refund_id, idempotency_key, charge_id, amount_minor, reason, created_at) "
           "VALUES (?, ?, ?, ?, ?, ?)",
           refund_id, idempotency_key, request.charge_id, request.amount_minor, request.reason, NowMs());
    return {{201,
             {{"refund_id", refund_id},
              {"status", "refunded"},
              {"charge_id", request.charge_id},
              {"amount_minor", request.amount_minor}}}};
  });
}

Reply Ledger::SendEmail(std::string_view idempotency_key, const EmailRequest& request) {
  return Idempotent(store_, "POST /v1/emails", idempotency_key, ToJson(request), [&](store::Tx& tx) -> Outcome {
    const std::string email_id = NewId("em_");
    tx.Run("INSERT INTO provider_emails (email_id, idempotency_key, to_address, template, order_id, subject, "
           "body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
           email_id, idempotency_key, request.to, request.template_name, request.order_id, request.subject,
           request.body, NowMs());
    return {{202, {{"email_id", email_id}, {"status", "queued"}}}};
  });
}

Reply Ledger::FindCharge(std::string_view idempotency_key) {
  return store_.InTransaction([&](store::Tx& tx) -> Reply {
    std::string charge_id, order_id, currency, status, reason;
    Poco::Int64 amount = 0;
    if (tx.Run("SELECT charge_id, order_id, amount_minor, currency, status, decline_reason "
               "FROM provider_charges WHERE idempotency_key = ?",
               into(charge_id), into(order_id), into(amount), into(currency), into(status), into(reason),
               idempotency_key) == 0) {
      return {404, Problem(404, "charge-not-found", "Charge not found",
                           "no charge with Idempotency-Key \"" + std::string(idempotency_key) + "\"")};
    }
    nlohmann::json body = {{"charge_id", charge_id}, {"idempotency_key", idempotency_key},
                           {"order_id", order_id},   {"amount_minor", amount},
                           {"currency", currency},   {"status", status}};
    if (!reason.empty()) body["reason"] = reason;
    return {200, std::move(body)};
  });
}

nlohmann::json Ledger::Snapshot() {
  return store_.InTransaction([](store::Tx& tx) {
    nlohmann::json ledger = {{"charges", nlohmann::json::array()},
                             {"refunds", nlohmann::json::array()},
                             {"emails", nlohmann::json::array()}};
    {
      std::vector<std::string> id, key, order, currency, token, status, reason;
      std::vector<Poco::Int64> amount, created;
      tx.Run("SELECT charge_id, idempotency_key, order_id, amount_minor, currency, token, status, "
             "decline_reason, created_at FROM provider_charges ORDER BY created_at, charge_id",
             into(id), into(key), into(order), into(amount), into(currency), into(token), into(status),
             into(reason), into(created));
      for (std::size_t i = 0; i < id.size(); ++i) {
        nlohmann::json row = {{"charge_id", id[i]},           {"idempotency_key", key[i]},
                              {"order_id", order[i]},         {"amount_minor", amount[i]},
                              {"currency", currency[i]},      {"token", token[i]},
                              {"status", status[i]},          {"created_at_ms", created[i]}};
        if (!reason[i].empty()) row["reason"] = reason[i];
        ledger["charges"].push_back(std::move(row));
      }
    }
    {
      std::vector<std::string> id, key, charge, reason;
      std::vector<Poco::Int64> amount, created;
      tx.Run("SELECT refund_id, idempotency_key, charge_id, amount_minor, reason, created_at "
             "FROM provider_refunds ORDER BY created_at, refund_id",
             into(id), into(key), into(charge), into(amount), into(reason), into(created));
      for (std::size_t i = 0; i < id.size(); ++i) {
        ledger["refunds"].push_back({{"refund_id", id[i]},         {"idempotency_key", key[i]},
                                     {"charge_id", charge[i]},     {"amount_minor", amount[i]},
                                     {"reason", reason[i]},        {"created_at_ms", created[i]}});
      }
    }
    {
      std::vector<std::string> id, key, to, templ, order, subject, body;
      std::vector<Poco::Int64> created;
      tx.Run("SELECT email_id, idempotency_key, to_address, template, order_id, subject, body, created_at "
             "FROM provider_emails ORDER BY created_at, email_id",
             into(id), into(key), into(to), into(templ), into(order), into(subject), into(body), into(created));
      for (std::size_t i = 0; i < id.size(); ++i) {
        ledger["emails"].push_back({{"email_id", id[i]},           {"idempotency_key", key[i]},
                                    {"to", to[i]},                 {"template", templ[i]},
                                    {"order_id", order[i]},        {"subject", subject[i]},
                                    {"body", body[i]},             {"created_at_ms", created[i]}});
      }
    }
    return ledger;
  });
}

}  // namespace choreo::provider
