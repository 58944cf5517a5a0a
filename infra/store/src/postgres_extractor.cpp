#include "postgres_extractor.hpp"

#include <optional>
#include <string>
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
bool PgRowExtractor::extract(std::size_t pos, Poco::Int8& val) {
  const char* text = Value(pos);
  int parsed = 0;
  if (text == nullptr || !Poco::NumberParser::tryParse(text, parsed)) return false;
  val = static_cast<Poco::Int8>(parsed);
  return true;
}

bool PgRowExtractor::extract(std::size_t pos, Poco::UInt8& val) {
  const char* text = Value(pos);
  unsigned parsed = 0;
  if (text == nullptr || !Poco::NumberParser::tryParseUnsigned(text, parsed)) return false;
  val = static_cast<Poco::UInt8>(parsed);
  return true;
}

bool PgRowExtractor::extract(std::size_t pos, Poco::Int16& val) {
  const char* text = Value(pos);
  int parsed = 0;
  if (text == nullptr || !Poco::NumberParser::tryParse(text, parsed)) return false;
  val = static_cast<Poco::Int16>(parsed);
  return true;
}

bool PgRowExtractor::extract(std::size_t pos, Poco::UInt16& val) {
  const char* text = Value(pos);
  unsigned parsed = 0;
  if (text == nullptr || !Poco::NumberParser::tryParseUnsigned(text, parsed)) return false;
  val = static_cast<Poco::UInt16>(parsed);
  return true;
}

bool PgRowExtractor::extract(std::size_t pos, Poco::Int32& val) {
  const char* text = Value(pos);
  return text != nullptr && Poco::NumberParser::tryParse(text, val);
}

bool PgRowExtractor::extract(std::size_t pos, Poco::UInt32& val) {
  const char* text = Value(pos);
  return text != nullptr && Poco::NumberParser::tryParseUnsigned(text, val);
}

bool PgRowExtractor::extract(std::size_t pos, Poco::Int64& val) {
  const char* text = Value(pos);
  return text != nullptr && Poco::NumberParser::tryParse64(text, val);
}

bool PgRowExtractor::extract(std::size_t pos, Poco::UInt64& val) {
  const char* text = Value(pos);
  return text != nullptr && Poco::NumberParser::tryParseUnsigned64(text, val);
}

bool PgRowExtractor::extract(std::size_t pos, bool& val) {
  const char* text = Value(pos);
  if (text == nullptr) return false;
  val = *text == 't';
  return true;
}

bool PgRowExtractor::extract(std::size_t pos, float& val) {
  const char* text = Value(pos);
  double parsed = 0.0;
  if (text == nullptr || !Poco::NumberParser::tryParseFloat(text, parsed)) return false;
  val = static_cast<float>(parsed);
  return true;
}

bool PgRowExtractor::extract(std::size_t pos, double& val) {
  const char* text = Value(pos);
  return text != nullptr && Poco::NumberParser::tryParseFloat(text, val);
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
