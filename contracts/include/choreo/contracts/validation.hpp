#pragma once
// Runtime validation of incoming messages against the JSON Schemas in
// contracts/schemas/ (compiled into the library). Tolerant reader: unknown fields are
// ignored and a newer minor version of a known major is accepted; an unknown major
// version is refused.
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "choreo/contracts/envelope.hpp"
#include "choreo/contracts/error.hpp"
#include "choreo/contracts/limits.hpp"

namespace choreo::contracts {

struct ValidationIssue {
  std::string path;     // JSON Pointer into the envelope, "" for the whole message
  std::string message;
};

struct ValidationResult {
  std::vector<ValidationIssue> issues;  // empty when valid
  ErrorKind kind = ErrorKind::kInvalidValue;  // meaningful only when !Ok()

  bool Ok() const { return issues.empty(); }
  explicit operator bool() const { return Ok(); }
  // The first issue as a ContractError (precondition: !Ok()).
  ContractError ToError() const;
  // "field '/payload/lines/0/quantity': ...; field ..." for logs and DLQ headers.
  std::string Describe() const;
};

// Checks an envelope (already parsed JSON) against the schema of its type and major
// version.
ValidationResult Validate(const nlohmann::json& envelope);

// Checks an envelope against a schema document this build does not carry (one being
// written, a test's own); its $refs into ../common/v1.json resolve to the embedded copy.
// Throws std::invalid_argument for a document that is not a usable schema.
ValidationResult ValidateWithSchema(std::string_view schema_document, const nlohmann::json& envelope);

// Checks `limits` on the raw bytes, then parses, validates and reads the envelope of a
// message body. Throws ContractError (permanent: straight to the DLQ) on anything that is
// not a valid message.
Envelope ParseAndValidate(std::string_view body, const MessageLimits& limits = {});

// The major versions this build can read for `type` (ascending; empty if unknown).
std::vector<int> SupportedMajors(std::string_view type);

}  // namespace choreo::contracts
