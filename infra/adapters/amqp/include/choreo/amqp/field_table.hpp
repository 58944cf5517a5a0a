#pragma once
// AMQP field tables (message headers, queue arguments) as plain C++ values. Covers what
// RabbitMQ sends and accepts, including nested tables and arrays (the x-death header is
// an array of tables). Integers of every AMQP width are widened to int64_t, short and
// long strings as well as byte arrays become std::string; a table encodes integers as
// signed 64-bit ('l'), which RabbitMQ accepts for every numeric argument.
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace choreo::amqp {

class FieldValue;
struct FieldEntry;
using FieldArray = std::vector<FieldValue>;
using Timestamp = std::chrono::sys_seconds;

// Ordered key/value list: AMQP tables are small, and keeping wire order makes a round
// trip exact.
class FieldTable {
 public:
  FieldTable();
  FieldTable(std::initializer_list<FieldEntry> entries);
  FieldTable(const FieldTable&);
  FieldTable(FieldTable&&) noexcept;
  FieldTable& operator=(const FieldTable&);
  FieldTable& operator=(FieldTable&&) noexcept;
  ~FieldTable();

  // Replaces an existing entry with the same key, otherwise appends.
  FieldTable& Set(std::string key, FieldValue value);
  // Appends without looking for an existing key: for callers that know the key is new
  // (Set is linear, so decoding a table of many keys with it would be quadratic).
  FieldTable& Append(std::string key, FieldValue value);
  const FieldValue* Find(std::string_view key) const;
  bool Erase(std::string_view key);
  bool Empty() const;
  std::size_t Size() const;
  const std::vector<FieldEntry>& Entries() const;

  // Typed look-ups: nullopt when absent or of another type.
  std::optional<std::string> GetString(std::string_view key) const;
  std::optional<int64_t> GetInt(std::string_view key) const;

  friend bool operator==(const FieldTable& a, const FieldTable& b);

 private:
  std::vector<FieldEntry> entries_;
};

class FieldValue {
 public:
  using Variant = std::variant<std::monostate, bool, int64_t, double, std::string, Timestamp,
                               FieldArray, FieldTable>;

  FieldValue() = default;
  FieldValue(bool v) : value_(v) {}
  // Every integer width becomes int64_t (unsigned 64-bit values above INT64_MAX wrap).
  template <class T>
    requires(std::is_integral_v<T> && !std::is_same_v<T, bool>)
  FieldValue(T v) : value_(static_cast<int64_t>(v)) {}
  FieldValue(double v) : value_(v) {}
  FieldValue(std::string v) : value_(std::move(v)) {}
  FieldValue(std::string_view v) : value_(std::string(v)) {}
  FieldValue(const char* v) : value_(std::string(v)) {}
  FieldValue(Timestamp v) : value_(v) {}
  FieldValue(FieldArray v) : value_(std::move(v)) {}
  FieldValue(FieldTable v) : value_(std::move(v)) {}

  const Variant& Value() const { return value_; }
  bool IsVoid() const { return std::holds_alternative<std::monostate>(value_); }
  template <class T>
  const T* As() const {
    return std::get_if<T>(&value_);
  }

  friend bool operator==(const FieldValue& a, const FieldValue& b) { return a.value_ == b.value_; }

 private:
  Variant value_;
};

struct FieldEntry {
  std::string key;
  FieldValue value;
  friend bool operator==(const FieldEntry&, const FieldEntry&) = default;
};

}  // namespace choreo::amqp
