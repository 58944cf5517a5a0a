#include "choreo/contracts/limits.hpp"

#include <stdexcept>
#include <string>

#include "choreo/contracts/error.hpp"

namespace choreo::contracts {

void MessageLimits::Validate() const {
  if (max_bytes == 0) throw std::invalid_argument("message limits: max_bytes must be at least 1");
  // Below 2 not even an envelope with a payload object fits; far above a few hundred the
  // recursive passes over the tree start to threaten the stack.
  if (max_depth < 2 || max_depth > 512) throw std::invalid_argument("message limits: max_depth must be 2..512");
}

void CheckLimits(std::string_view body, const MessageLimits& limits) {
  if (body.size() > limits.max_bytes) {
    throw ContractError(ErrorKind::kTooLarge, "",
                        "body of " + std::to_string(body.size()) + " bytes exceeds the limit of " +
                            std::to_string(limits.max_bytes) + " bytes; not parsed");
  }
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (std::size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"': in_string = true; break;
      case '[':
      case '{':
        if (++depth > limits.max_depth) {
          throw ContractError(ErrorKind::kTooDeep, "",
                              "nesting deeper than " + std::to_string(limits.max_depth) +
                                  " levels (at byte " + std::to_string(i) + "); not parsed");
        }
        break;
      case ']':
      case '}':
        // Unbalanced closers are the parser's business; never let them lower the count
        // below zero and so allow extra depth later.
        if (depth > 0) --depth;
        break;
      default: break;
    }
  }
}

}  // namespace choreo::contracts
