#include "postgres_extractor.hpp"

#include <optional>
#include <string>
#include <type_traits>
#include <typeindex>
#include <unordered_set>
#include <vector>

#include <Poco/Data/Extraction.h>
#include <Poco/Data/PostgreSQL/PostgreSQLException.h>
#include <Poco/Exception.h>
#include <Poco/NumberParser.h>
#include <Poco/Nullable.h>

#include "choreo/store/tx.hpp"  // TypeHandler<std::optional<T>>, which Extraction<std::optional<T>> needs

namespace choreo::store::detail {
namespace {

// Extraction<T> for T = value, std::optional<value>, Poco::Nullable<value>, and
// Extraction<std::vector<T>> of each.
template <class... Values>
std::unordered_set<std::type_index> FastExtractionTypes() {
  std::unordered_set<std::type_index> types;
  auto add = [&types]<class T>(const T*) {
    types.insert(typeid(Poco::Data::Extraction<T>));
    types.insert(typeid(Poco::Data::Extraction<std::vector<T>>));
  };
  (add(static_cast<const Values*>(nullptr)), ...);
  (add(static_cast<const std::optional<Values>*>(nullptr)), ...);
  (add(static_cast<const Poco::Nullable<Values>*>(nullptr)), ...);
  return types;
}

// As Poco 1.11's PostgreSQL Extractor: the 32- and 64-bit integers and double straight
// into `val`; the narrower types (and float) through int, unsigned or double, then narrowed.
template <class T>
bool ParseNumber(const char* text, T& val) {
  using Poco::NumberParser;
  if (text == nullptr) return false;
  if constexpr (std::is_same_v<T, Poco::Int32>) {
    return NumberParser::tryParse(text, val);
  } else if constexpr (std::is_same_v<T, Poco::UInt32>) {
    return NumberParser::tryParseUnsigned(text, val);
  } else if constexpr (std::is_same_v<T, Poco::Int64>) {
    return NumberParser::tryParse64(text, val);
  } else if constexpr (std::is_same_v<T, Poco::UInt64>) {
    return NumberParser::tryParseUnsigned64(text, val);
  } else if constexpr (std::is_same_v<T, double>) {
    return NumberParser::tryParseFloat(text, val);
  } else {
    using Wide = std::conditional_t<std::is_floating_point_v<T>, double,
                                    std::conditional_t<std::is_signed_v<T>, Poco::Int32, Poco::UInt32>>;
    Wide parsed = 0;
    if (!ParseNumber(text, parsed)) return false;
    val = static_cast<T>(parsed);
    return true;
  }
}

}  // namespace

bool IsFastExtraction(const Poco::Data::AbstractExtraction& extraction) {
  static const std::unordered_set<std::type_index> kTypes =
      FastExtractionTypes<bool, Poco::Int8, Poco::UInt8, Poco::Int16, Poco::UInt16, Poco::Int32, Poco::UInt32,
                          Poco::Int64, Poco::UInt64, float, double, char, std::string>();
  // position(): a target for a later result set of a multi-statement call, which only Poco handles.
  return extraction.position() == 0 && !extraction.isBulk() && kTypes.contains(std::type_index(typeid(extraction)));
}

const char* PgRowExtractor::Value(std::size_t pos) const {
  if (result_ == nullptr || pos >= static_cast<std::size_t>(PQnfields(result_))) {
    // Poco's text, so callers see the same error whichever path ran the statement.
    throw Poco::Data::PostgreSQL::PostgreSQLException(
        "Extractor: attempt to extract more parameters than query result contains");
  }
  const int column = static_cast<int>(pos);
  if (PQgetisnull(result_, row_, column) == 1) return nullptr;
  return PQgetvalue(result_, row_, column);
}

// Each overload parses as Poco 1.11's Data/PostgreSQL/src/Extractor.cpp does: false
// (and `val` untouched) for NULL and for text that does not parse.
bool PgRowExtractor::extract(std::size_t pos, Poco::Int8& val) { return ParseNumber(Value(pos), val); }
bool PgRowExtractor::extract(std::size_t pos, Poco::UInt8& val) { return ParseNumber(Value(pos), val); }
bool PgRowExtractor::extract(std::size_t pos, Poco::Int16& val) { return ParseNumber(Value(pos), val); }
bool PgRowExtractor::extract(std::size_t pos, Poco::UInt16& val) { return ParseNumber(Value(pos), val); }
bool PgRowExtractor::extract(std::size_t pos, Poco::Int32& val) { return ParseNumber(Value(pos), val); }
bool PgRowExtractor::extract(std::size_t pos, Poco::UInt32& val) { return ParseNumber(Value(pos), val); }
bool PgRowExtractor::extract(std::size_t pos, Poco::Int64& val) { return ParseNumber(Value(pos), val); }
bool PgRowExtractor::extract(std::size_t pos, Poco::UInt64& val) { return ParseNumber(Value(pos), val); }
bool PgRowExtractor::extract(std::size_t pos, float& val) { return ParseNumber(Value(pos), val); }
bool PgRowExtractor::extract(std::size_t pos, double& val) { return ParseNumber(Value(pos), val); }

bool PgRowExtractor::extract(std::size_t pos, bool& val) {
  const char* text = Value(pos);
  if (text == nullptr) return false;
  val = *text == 't';
  return true;
}

bool PgRowExtractor::extract(std::size_t pos, char& val) {
  const char* text = Value(pos);
  if (text == nullptr) return false;
  val = *text;
  return true;
}

bool PgRowExtractor::extract(std::size_t pos, std::string& val) {
  const char* text = Value(pos);
  if (text == nullptr) return false;
  val.assign(text, static_cast<std::size_t>(PQgetlength(result_, row_, static_cast<int>(pos))));
  return true;
}

namespace {
[[noreturn]] bool NotOnFastPath() {
  throw Poco::NotImplementedException("choreo::store: type not extracted by the PostgreSQL fast path");
}
}  // namespace

bool PgRowExtractor::extract(std::size_t, Poco::Data::BLOB&) { NotOnFastPath(); }
bool PgRowExtractor::extract(std::size_t, Poco::Data::CLOB&) { NotOnFastPath(); }
bool PgRowExtractor::extract(std::size_t, Poco::DateTime&) { NotOnFastPath(); }
bool PgRowExtractor::extract(std::size_t, Poco::Data::Date&) { NotOnFastPath(); }
bool PgRowExtractor::extract(std::size_t, Poco::Data::Time&) { NotOnFastPath(); }
bool PgRowExtractor::extract(std::size_t, Poco::UUID&) { NotOnFastPath(); }
bool PgRowExtractor::extract(std::size_t, Poco::Any&) { NotOnFastPath(); }
bool PgRowExtractor::extract(std::size_t, Poco::Dynamic::Var&) { NotOnFastPath(); }

bool PgRowExtractor::isNull(std::size_t col, std::size_t) { return Value(col) == nullptr; }

}  // namespace choreo::store::detail
