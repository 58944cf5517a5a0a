#include "choreo/gateway/validation.hpp"

#include <algorithm>
#include <array>
#include <set>
#include <stdexcept>
#include <string>

namespace choreo::gateway {
namespace {

using nlohmann::json;

// Officially assigned ISO 3166-1 alpha-2 codes (249), sorted for binary search.
constexpr std::array<std::string_view, 249> kCountryCodes{
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW"};

const std::set<std::string_view> kPriceFields{"price", "unit_price", "unit_price_minor", "total",
                                               "total_minor", "amount", "amount_minor"};

bool IsIdChar(char c, bool allow_colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || (allow_colon && c == ':');
}

// Code points of a string nlohmann already checked to be valid UTF-8.
std::size_t CodePoints(std::string_view text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

bool HasControlChar(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7F;
  });
}

// Client text echoed in a message, cut short so an error never repeats a huge value.
std::string Quote(std::string_view text) {
  constexpr std::size_t kMax = 40;
  if (text.size() <= kMax) return "'" + std::string(text) + "'";
  std::size_t cut = kMax;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // whole code points
  return "'" + std::string(text.substr(0, cut)) + "...'";
}

bool IsBlank(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c == ' '; });
}

std::string TypeName(const json& value) {
  if (value.is_number_integer()) return "an integer";
  if (value.is_number_float()) return "a decimal number";
  switch (value.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::string: return "a string";
    case json::value_t::array: return "an array";
    case json::value_t::object: return "an object";
    default: return "a number";
  }
}

class Validator {
 public:
  std::vector<FieldError> errors;

  // A body of thousands of bad fields must not produce a response larger than itself.
  static constexpr std::size_t kMaxErrors = 50;

  void Fail(std::string pointer, std::string message) {
    if (errors.size() < kMaxErrors) {
      errors.push_back({std::move(pointer), std::move(message)});
    } else if (errors.size() == kMaxErrors) {
      errors.push_back({"", "more than " + std::to_string(kMaxErrors) + " problems; fix these first"});
    }
  }

  // Reports fields not in `allowed`; a price gets a message of its own since clients
  // never send prices.
  void NoUnknownFields(const json& object, const std::string& pointer,
                       std::initializer_list<std::string_view> allowed) {
    for (const auto& [key, value] : object.items()) {
      if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
      std::string message;
      if (kPriceFields.count(key) != 0) {
        message = "prices are not accepted from clients; remove '" + key + "' (inventory prices the order)";
      } else {
        message = "unknown field " + Quote(key) + "; allowed: ";
        bool first = true;
        for (auto name : allowed) {
          message += (first ? "" : ", ") + std::string(name);
          first = false;
        }
      }
      Fail(pointer + "/" + EscapePointer(key.size() > 64 ? key.substr(0, 64) : key), std::move(message));
    }
  }

  static std::string EscapePointer(const std::string& key) {
    std::string out;
    for (char c : key) {
      if (c == '~') out += "~0";
      else if (c == '/') out += "~1";
      else out += c;
    }
    return out;
  }

  // The member `key` of `object` if it is present and an object; reports otherwise.
  const json* Object(const json& object, const std::string& pointer, const char* key) {
    auto it = object.find(key);
    std::string here = pointer + "/" + key;
    if (it == object.end()) {
      Fail(here, "is required (an object)");
      return nullptr;
    }
    if (!it->is_object()) {
      Fail(here, "must be an object, got " + TypeName(*it));
      return nullptr;
    }
    return &*it;
  }

  // A required (or optional) string member; nullopt when absent or wrong.
  std::optional<std::string> String(const json& object, const std::string& pointer, const char* key,
                                    bool required = true) {
    auto it = object.find(key);
    std::string here = pointer + "/" + key;
    if (it == object.end()) {
      if (required) Fail(here, "is required (a string)");
      return std::nullopt;
    }
    if (!it->is_string()) {
      Fail(here, "must be a string, got " + TypeName(*it));
      return std::nullopt;
    }
    return it->get<std::string>();
  }

  std::optional<std::string> Identifier(const json& object, const std::string& pointer, const char* key,
                                        std::size_t max_length, bool allow_colon) {
    auto value = String(object, pointer, key);
    if (!value) return std::nullopt;
    std::string here = pointer + "/" + key;
    std::string allowed = allow_colon ? "letters, digits, '.', '_', '-', ':'" : "letters, digits, '.', '_', '-'";
    if (value->empty() || value->size() > max_length) {
      Fail(here, "must be 1 to " + std::to_string(max_length) + " characters long, got " +
                     std::to_string(value->size()));
      return std::nullopt;
    }
    if (!std::all_of(value->begin(), value->end(), [&](char c) { return IsIdChar(c, allow_colon); })) {
      Fail(here, "may only contain " + allowed);
      return std::nullopt;
    }
    return value;
  }

  std::optional<std::string> Text(const json& object, const std::string& pointer, const char* key,
                                  std::size_t max_length, bool required = true) {
    auto value = String(object, pointer, key, required);
    if (!value) return std::nullopt;
    std::string here = pointer + "/" + key;
    std::size_t length = CodePoints(*value);
    if (HasControlChar(*value)) {
      Fail(here, "must not contain control characters (line breaks, tabs, ...)");
      return std::nullopt;
    }
    if ((required && IsBlank(*value)) || length > max_length) {
      Fail(here, std::string(required ? "must be 1" : "may be at most") + (required ? " to " : " ") +
                     std::to_string(max_length) + " characters long" + (required ? " and not blank" : "") +
                     ", got " + std::to_string(length));
      return std::nullopt;
    }
    return value;
  }
};

}  // namespace

bool IsCountryCode(std::string_view code) {
  return std::binary_search(kCountryCodes.begin(), kCountryCodes.end(), code);
}

std::vector<std::string> OrderRequestFields() {
  return {"customer_id", "lines", "payment", "shipping_address"};
}

nlohmann::json ParseJsonBody(std::string_view text) {
  // The callback sees every nesting level while parsing; refusing depth here keeps a
  // "[[[[..." body from costing more than the size limit already allows.
  auto depth_guard = [](int depth, json::parse_event_t, json&) {
    if (depth > static_cast<int>(kMaxJsonDepth)) {
      throw std::invalid_argument("JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    }
    return true;
  };
  try {
    return json::parse(text.begin(), text.end(), depth_guard);
  } catch (const json::parse_error& error) {
    std::string message = error.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 3: ..." -> from "parse error".
    auto start = message.find("] ");
    if (start != std::string::npos) message = message.substr(start + 2);
    throw std::invalid_argument("malformed JSON: " + message);
  }
}

ValidationResult ValidateOrderRequest(const nlohmann::json& body) {
  Validator v;
  ValidationResult result;
  if (!body.is_object()) {
    v.Fail("", "the body must be a JSON object, got " + TypeName(body));
    result.errors = std::move(v.errors);
    return result;
  }
  OrderRequest order;

  if (auto id = v.Identifier(body, "", "customer_id", kMaxCustomerIdLength, true)) order.customer_id = *id;

  auto lines = body.find("lines");
  if (lines == body.end()) {
    v.Fail("/lines", "is required (an array of 1 to " + std::to_string(kMaxLines) + " lines)");
  } else if (!lines->is_array()) {
    v.Fail("/lines", "must be an array, got " + TypeName(*lines));
  } else if (lines->size() < kMinLines || lines->size() > kMaxLines) {
    v.Fail("/lines", "must hold 1 to " + std::to_string(kMaxLines) + " lines, got " + std::to_string(lines->size()));
  } else {
    std::set<std::string> skus;
    for (std::size_t i = 0; i < lines->size(); ++i) {
      const json& line = (*lines)[i];
      std::string here = "/lines/" + std::to_string(i);
      if (!line.is_object()) {
        v.Fail(here, "must be an object with sku and quantity, got " + TypeName(line));
        continue;
      }
      v.NoUnknownFields(line, here, {"sku", "quantity"});
      contracts::OrderLine parsed;
      if (auto sku = v.Identifier(line, here, "sku", kMaxSkuLength, false)) {
        if (!skus.insert(*sku).second) {
          v.Fail(here + "/sku", "'" + *sku + "' appears in more than one line; put its total quantity in one line");
        }
        parsed.sku = *sku;
      }
      auto quantity = line.find("quantity");
      std::string range = "an integer from " + std::to_string(kMinQuantity) + " to " + std::to_string(kMaxQuantity);
      if (quantity == line.end()) {
        v.Fail(here + "/quantity", "is required (" + range + ")");
      } else if (!quantity->is_number_integer()) {
        v.Fail(here + "/quantity", "must be " + range + ", got " + TypeName(*quantity));
      } else {
        // Unsigned parses of huge values would wrap through get<int64_t>; compare first.
        bool in_range = quantity->is_number_unsigned()
                            ? quantity->get<std::uint64_t>() <= static_cast<std::uint64_t>(kMaxQuantity) &&
                                  quantity->get<std::uint64_t>() >= static_cast<std::uint64_t>(kMinQuantity)
                            : quantity->get<std::int64_t>() >= kMinQuantity && quantity->get<std::int64_t>() <= kMaxQuantity;
        if (!in_range) {
          v.Fail(here + "/quantity", "must be " + range + ", got " + quantity->dump());
        } else {
          parsed.quantity = quantity->get<std::int64_t>();
        }
      }
      order.lines.push_back(std::move(parsed));
    }
  }

  if (const json* payment = v.Object(body, "", "payment")) {
    v.NoUnknownFields(*payment, "/payment", {"method", "token"});
    if (auto method = v.String(*payment, "/payment", "method")) {
      if (auto parsed = contracts::FromString<contracts::PaymentMethod>(*method)) {
        order.payment.method = *parsed;
      } else {
        v.Fail("/payment/method", "must be one of " + contracts::AllowedNames<contracts::PaymentMethod>() +
                                      ", got " + Quote(*method));
      }
    }
    if (auto token = v.String(*payment, "/payment", "token")) {
      bool printable = std::all_of(token->begin(), token->end(), [](char c) { return c > 0x20 && c < 0x7F; });
      if (token->empty() || token->size() > kMaxTokenLength) {
        v.Fail("/payment/token", "must be 1 to " + std::to_string(kMaxTokenLength) + " characters long");
      } else if (!printable) {
        v.Fail("/payment/token", "must be printable ASCII without spaces");
      } else {
        order.payment.token = *token;
      }
    }
  }

  if (const json* address = v.Object(body, "", "shipping_address")) {
    const std::string here = "/shipping_address";
    v.NoUnknownFields(*address, here, {"name", "line1", "line2", "city", "postal_code", "country"});
    contracts::Address& out = order.shipping_address;
    if (auto name = v.Text(*address, here, "name", kMaxNameLength)) out.name = *name;
    if (auto line1 = v.Text(*address, here, "line1", kMaxNameLength)) out.line1 = *line1;
    if (auto line2 = v.Text(*address, here, "line2", kMaxNameLength, false)) {
      if (!line2->empty()) out.line2 = *line2;
    }
    if (auto city = v.Text(*address, here, "city", kMaxCityLength)) out.city = *city;
    if (auto postal = v.Text(*address, here, "postal_code", kMaxPostalCodeLength)) {
      bool ok = std::all_of(postal->begin(), postal->end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ' || c == '-';
      });
      if (ok) {
        out.postal_code = *postal;
      } else {
        v.Fail(here + "/postal_code", "may only contain letters, digits, spaces and '-'");
      }
    }
    if (auto country = v.String(*address, here, "country")) {
      if (IsCountryCode(*country)) {
        out.country = *country;
      } else {
        std::string upper = *country;
        std::transform(upper.begin(), upper.end(), upper.begin(),
                       [](char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; });
        v.Fail(here + "/country", IsCountryCode(upper)
                                      ? "must be upper case: use '" + upper + "'"
                                      : "must be an ISO 3166-1 alpha-2 country code such as 'DE', got " + Quote(*country));
      }
    }
  }

  // Unknown fields last, so the detail line names a missing required field first.
  v.NoUnknownFields(body, "", {"customer_id", "lines", "payment", "shipping_address"});

  if (v.errors.empty()) {
    result.order = std::move(order);
  } else {
    result.errors = std::move(v.errors);
  }
  return result;
}

}  // namespace choreo::gateway
