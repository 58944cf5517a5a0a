#pragma once
#include <stdexcept>
#include <string>
#include <string_view>

namespace choreo::contracts {

// What is wrong with a message. Every kind is permanent: redelivering the same bytes can
// never make them valid, so the worker runtime sends these straight to the DLQ.
enum class ErrorKind {
  kNotJson,
  kNotObject,
  kMissingField,
  kWrongType,       // a field has the wrong JSON type (string for a number, float for money)
  kInvalidValue,    // right type, value outside the contract (unknown enum, bad pattern)
  kUnknownType,     // event type this build does not know
  kUnknownVersion,  // a major version this build has no schema for
  kTooLarge,        // body over the byte limit: dead-lettered unparsed (limits.hpp)
  kTooDeep,         // nesting over the depth limit: dead-lettered unparsed
};

std::string_view ToString(ErrorKind kind);

// A message that breaks the contract. `Path()` is a JSON Pointer into the envelope
// ("/payload/lines/0/quantity", "" for the message as a whole) so the DLQ entry says
// exactly which field to look at.
class ContractError : public std::runtime_error {
 public:
  // Written into the dead-letter headers as the error class.
  static constexpr std::string_view kErrorClass = "contract_violation";

  ContractError(ErrorKind kind, std::string path, std::string reason);

  ErrorKind Kind() const noexcept { return kind_; }
  const std::string& Path() const noexcept { return path_; }
  const std::string& Reason() const noexcept { return reason_; }
  // Always true; spelled out so handlers can ask without knowing the taxonomy.
  bool IsPermanent() const noexcept { return true; }

  // The same error one level further out, e.g. "/sku" -> "/lines/0/sku" as the
  // deserialiser unwinds.
  ContractError Nested(std::string_view segment) const;

 private:
  ErrorKind kind_;
  std::string path_;
  std::string reason_;
};

// Escapes one JSON Pointer reference token (RFC 6901: "~" -> "~0", "/" -> "~1").
std::string EscapePointerToken(std::string_view token);

}  // namespace choreo::contracts
