#pragma once
// Limits checked on a message body BEFORE it is parsed. A worker reads bytes from anyone
// who can publish to its exchanges; JSON that is merely big or deeply nested (an extra
// payload field 400,000 arrays deep passes schema validation, since schemas are tolerant
// readers) would otherwise cost unbounded memory, and recursion over the parsed tree
// (copying, destroying, validating) overflows the stack. Checking the raw bytes first
// means such a body is never turned into a tree at all: it is dead-lettered unparsed.
#include <cstddef>
#include <string_view>

namespace choreo::contracts {

struct MessageLimits {
  // Largest body accepted. The biggest real event (an order of many lines) is a few KB.
  std::size_t max_bytes = 1024 * 1024;
  // Deepest nesting of arrays and objects accepted (the envelope itself is 1, its payload
  // 2). Real events nest 4 levels; the limit leaves room for extensions while keeping
  // every recursive pass over the tree far from the stack's end.
  int max_depth = 64;

  // Throws std::invalid_argument naming the offending field.
  void Validate() const;
};

// Throws ContractError (ErrorKind::kTooLarge or kTooDeep) when `body` exceeds `limits`.
// A linear scan that tracks strings and escapes, so brackets inside strings do not
// count; it does not check that the body is valid JSON (the parser does).
void CheckLimits(std::string_view body, const MessageLimits& limits);

}  // namespace choreo::contracts
