#include "choreo/amqp/field_table.hpp"

#include <algorithm>

namespace choreo::amqp {

FieldTable::FieldTable() = default;
FieldTable::FieldTable(std::initializer_list<FieldEntry> entries) {
  for (const auto& e : entries) Set(e.key, e.value);
}
FieldTable::FieldTable(const FieldTable&) = default;
FieldTable::FieldTable(FieldTable&&) noexcept = default;
FieldTable& FieldTable::operator=(const FieldTable&) = default;
FieldTable& FieldTable::operator=(FieldTable&&) noexcept = default;
FieldTable::~FieldTable() = default;

FieldTable& FieldTable::Append(std::string key, FieldValue value) {
  entries_.push_back(FieldEntry{std::move(key), std::move(value)});
  return *this;
}

FieldTable& FieldTable::Set(std::string key, FieldValue value) {
  for (auto& e : entries_) {
    if (e.key == key) {
      e.value = std::move(value);
      return *this;
    }
  }
  entries_.push_back(FieldEntry{std::move(key), std::move(value)});
  return *this;
}

const FieldValue* FieldTable::Find(std::string_view key) const {
  for (const auto& e : entries_) {
    if (e.key == key) return &e.value;
  }
  return nullptr;
}

bool FieldTable::Erase(std::string_view key) {
  auto it = std::find_if(entries_.begin(), entries_.end(),
                         [&](const FieldEntry& e) { return e.key == key; });
  if (it == entries_.end()) return false;
  entries_.erase(it);
  return true;
}

bool FieldTable::Empty() const { return entries_.empty(); }
std::size_t FieldTable::Size() const { return entries_.size(); }
const std::vector<FieldEntry>& FieldTable::Entries() const { return entries_; }

std::optional<std::string> FieldTable::GetString(std::string_view key) const {
  const FieldValue* v = Find(key);
  if (v == nullptr) return std::nullopt;
  if (const auto* s = v->As<std::string>()) return *s;
  return std::nullopt;
}

std::optional<int64_t> FieldTable::GetInt(std::string_view key) const {
  const FieldValue* v = Find(key);
  if (v == nullptr) return std::nullopt;
  if (const auto* i = v->As<int64_t>()) return *i;
  return std::nullopt;
}

bool operator==(const FieldTable& a, const FieldTable& b) { return a.entries_ == b.entries_; }

}  // namespace choreo::amqp
