#include "codec.hpp"

#include <new>
#include <string>
#include <unordered_set>

#include "choreo/amqp/publisher.hpp"

namespace choreo::amqp::detail {

namespace {

template <class T>
T* AllocArray(amqp_pool_t* pool, std::size_t n) {
  if (n == 0) return nullptr;
  void* p = amqp_pool_alloc(pool, n * sizeof(T));
  if (p == nullptr) throw std::bad_alloc();
  return static_cast<T*>(p);
}

amqp_field_value_t ToAmqpValue(const FieldValue& value, amqp_pool_t* pool);

amqp_array_t ToAmqpArray(const FieldArray& array, amqp_pool_t* pool) {
  amqp_array_t out{};
  out.num_entries = static_cast<int>(array.size());
  out.entries = AllocArray<amqp_field_value_t>(pool, array.size());
  for (std::size_t i = 0; i < array.size(); ++i) out.entries[i] = ToAmqpValue(array[i], pool);
  return out;
}

amqp_field_value_t ToAmqpValue(const FieldValue& value, amqp_pool_t* pool) {
  amqp_field_value_t out{};
  const auto& v = value.Value();
  if (std::holds_alternative<std::monostate>(v)) {
    out.kind = AMQP_FIELD_KIND_VOID;
  } else if (const bool* b = std::get_if<bool>(&v)) {
    out.kind = AMQP_FIELD_KIND_BOOLEAN;
    out.value.boolean = *b ? 1 : 0;
  } else if (const int64_t* i = std::get_if<int64_t>(&v)) {
    out.kind = AMQP_FIELD_KIND_I64;
    out.value.i64 = *i;
  } else if (const double* d = std::get_if<double>(&v)) {
    out.kind = AMQP_FIELD_KIND_F64;
    out.value.f64 = *d;
  } else if (const std::string* s = std::get_if<std::string>(&v)) {
    out.kind = AMQP_FIELD_KIND_UTF8;
    out.value.bytes = Bytes(*s);
  } else if (const Timestamp* t = std::get_if<Timestamp>(&v)) {
    out.kind = AMQP_FIELD_KIND_TIMESTAMP;
    out.value.u64 = static_cast<uint64_t>(t->time_since_epoch().count());
  } else if (const FieldArray* a = std::get_if<FieldArray>(&v)) {
    out.kind = AMQP_FIELD_KIND_ARRAY;
    out.value.array = ToAmqpArray(*a, pool);
  } else if (const FieldTable* t = std::get_if<FieldTable>(&v)) {
    out.kind = AMQP_FIELD_KIND_TABLE;
    out.value.table = ToAmqpTable(*t, pool);
  }
  return out;
}

// Headers come from whoever published the message. A table nested thousands of levels deep
// fits in one frame; converting, copying and destroying it recursively would risk the
// stack, so what lies deeper than this is replaced by a note. choreo's own headers (x-death
// included) nest two levels.
constexpr int kMaxTableDepth = 32;
const char* const kTooDeepNote = "(dropped by choreo: field table nested too deep)";

FieldValue FromAmqpValue(const amqp_field_value_t& v, int depth);
FieldTable FromAmqpTableAt(const amqp_table_t& table, int depth);

FieldArray FromAmqpArray(const amqp_array_t& array, int depth) {
  FieldArray out;
  out.reserve(static_cast<std::size_t>(array.num_entries));
  for (int i = 0; i < array.num_entries; ++i) out.push_back(FromAmqpValue(array.entries[i], depth));
  return out;
}

FieldValue FromAmqpValue(const amqp_field_value_t& v, int depth) {
  switch (v.kind) {
    case AMQP_FIELD_KIND_BOOLEAN: return FieldValue(v.value.boolean != 0);
    case AMQP_FIELD_KIND_I8: return FieldValue(static_cast<int64_t>(v.value.i8));
    case AMQP_FIELD_KIND_U8: return FieldValue(static_cast<int64_t>(v.value.u8));
    case AMQP_FIELD_KIND_I16: return FieldValue(static_cast<int64_t>(v.value.i16));
    case AMQP_FIELD_KIND_U16: return FieldValue(static_cast<int64_t>(v.value.u16));
    case AMQP_FIELD_KIND_I32: return FieldValue(static_cast<int64_t>(v.value.i32));
    case AMQP_FIELD_KIND_U32: return FieldValue(static_cast<int64_t>(v.value.u32));
    case AMQP_FIELD_KIND_I64: return FieldValue(v.value.i64);
    case AMQP_FIELD_KIND_U64: return FieldValue(static_cast<int64_t>(v.value.u64));
    case AMQP_FIELD_KIND_F32: return FieldValue(static_cast<double>(v.value.f32));
    case AMQP_FIELD_KIND_F64: return FieldValue(v.value.f64);
    case AMQP_FIELD_KIND_DECIMAL: {
      double d = static_cast<double>(v.value.decimal.value);
      for (uint8_t i = 0; i < v.value.decimal.decimals; ++i) d /= 10.0;
      return FieldValue(d);
    }
    case AMQP_FIELD_KIND_UTF8:
    case AMQP_FIELD_KIND_BYTES: return FieldValue(String(v.value.bytes));
    case AMQP_FIELD_KIND_TIMESTAMP:
      return FieldValue(Timestamp(std::chrono::seconds(static_cast<int64_t>(v.value.u64))));
    case AMQP_FIELD_KIND_ARRAY:
      if (depth >= kMaxTableDepth) return FieldValue(kTooDeepNote);
      return FieldValue(FromAmqpArray(v.value.array, depth + 1));
    case AMQP_FIELD_KIND_TABLE:
      if (depth >= kMaxTableDepth) return FieldValue(kTooDeepNote);
      return FieldValue(FromAmqpTableAt(v.value.table, depth + 1));
    case AMQP_FIELD_KIND_VOID:
    default: return FieldValue();
  }
}

void SetShortString(const std::string& s, amqp_bytes_t* field, amqp_flags_t flag,
                    amqp_basic_properties_t* p) {
  if (s.empty()) return;
  *field = Bytes(s);
  p->_flags |= flag;
}

void GetShortString(const amqp_basic_properties_t& p, amqp_flags_t flag, amqp_bytes_t field,
                    std::string* out) {
  if ((p._flags & flag) != 0) *out = String(field);
}

}  // namespace

amqp_table_t ToAmqpTable(const FieldTable& table, amqp_pool_t* pool) {
  amqp_table_t out{};
  const auto& entries = table.Entries();
  out.num_entries = static_cast<int>(entries.size());
  out.entries = AllocArray<amqp_table_entry_t>(pool, entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    out.entries[i].key = Bytes(entries[i].key);
    out.entries[i].value = ToAmqpValue(entries[i].value, pool);
  }
  return out;
}

namespace {

FieldTable FromAmqpTableAt(const amqp_table_t& table, int depth) {
  FieldTable out;
  // A foreign table may repeat a key; the last one wins, as Set would have it.
  std::unordered_set<std::string> seen;
  seen.reserve(static_cast<std::size_t>(table.num_entries));
  for (int i = 0; i < table.num_entries; ++i) {
    std::string key = String(table.entries[i].key);
    FieldValue value = FromAmqpValue(table.entries[i].value, depth);
    if (seen.insert(key).second) {
      out.Append(std::move(key), std::move(value));
    } else {
      out.Set(std::move(key), std::move(value));
    }
  }
  return out;
}

}  // namespace

FieldTable FromAmqpTable(const amqp_table_t& table) { return FromAmqpTableAt(table, 1); }

amqp_basic_properties_t ToAmqpProperties(const Message& m, amqp_pool_t* pool,
                                         std::optional<int64_t> publish_seq) {
  amqp_basic_properties_t p{};
  p._flags = AMQP_BASIC_DELIVERY_MODE_FLAG;
  p.delivery_mode = static_cast<uint8_t>(m.delivery_mode);
  SetShortString(m.content_type, &p.content_type, AMQP_BASIC_CONTENT_TYPE_FLAG, &p);
  SetShortString(m.content_encoding, &p.content_encoding, AMQP_BASIC_CONTENT_ENCODING_FLAG, &p);
  SetShortString(m.correlation_id, &p.correlation_id, AMQP_BASIC_CORRELATION_ID_FLAG, &p);
  SetShortString(m.reply_to, &p.reply_to, AMQP_BASIC_REPLY_TO_FLAG, &p);
  SetShortString(m.expiration, &p.expiration, AMQP_BASIC_EXPIRATION_FLAG, &p);
  SetShortString(m.message_id, &p.message_id, AMQP_BASIC_MESSAGE_ID_FLAG, &p);
  SetShortString(m.type, &p.type, AMQP_BASIC_TYPE_FLAG, &p);
  SetShortString(m.user_id, &p.user_id, AMQP_BASIC_USER_ID_FLAG, &p);
  SetShortString(m.app_id, &p.app_id, AMQP_BASIC_APP_ID_FLAG, &p);
  if (m.timestamp) {
    p._flags |= AMQP_BASIC_TIMESTAMP_FLAG;
    p.timestamp = static_cast<uint64_t>(m.timestamp->time_since_epoch().count());
  }
  if (m.priority) {
    p._flags |= AMQP_BASIC_PRIORITY_FLAG;
    p.priority = *m.priority;
  }
  if (!m.headers.Empty() || publish_seq) {
    const auto& entries = m.headers.Entries();
    auto* out = AllocArray<amqp_table_entry_t>(pool, entries.size() + 1);
    int n = 0;
    for (const auto& e : entries) {
      if (publish_seq && e.key == kPublishSeqHeader) continue;
      out[n].key = Bytes(e.key);
      out[n].value = ToAmqpValue(e.value, pool);
      ++n;
    }
    if (publish_seq) {
      out[n].key = amqp_cstring_bytes(kPublishSeqHeader);
      out[n].value.kind = AMQP_FIELD_KIND_I64;
      out[n].value.value.i64 = *publish_seq;
      ++n;
    }
    p._flags |= AMQP_BASIC_HEADERS_FLAG;
    p.headers.num_entries = n;
    p.headers.entries = out;
  }
  return p;
}

Message FromAmqpMessage(const amqp_basic_properties_t& p, amqp_bytes_t body) {
  Message m;
  m.body = String(body);
  GetShortString(p, AMQP_BASIC_CONTENT_TYPE_FLAG, p.content_type, &m.content_type);
  GetShortString(p, AMQP_BASIC_CONTENT_ENCODING_FLAG, p.content_encoding, &m.content_encoding);
  GetShortString(p, AMQP_BASIC_CORRELATION_ID_FLAG, p.correlation_id, &m.correlation_id);
  GetShortString(p, AMQP_BASIC_REPLY_TO_FLAG, p.reply_to, &m.reply_to);
  GetShortString(p, AMQP_BASIC_EXPIRATION_FLAG, p.expiration, &m.expiration);
  GetShortString(p, AMQP_BASIC_MESSAGE_ID_FLAG, p.message_id, &m.message_id);
  GetShortString(p, AMQP_BASIC_TYPE_FLAG, p.type, &m.type);
  GetShortString(p, AMQP_BASIC_USER_ID_FLAG, p.user_id, &m.user_id);
  GetShortString(p, AMQP_BASIC_APP_ID_FLAG, p.app_id, &m.app_id);
  // Absent delivery mode means transient per the spec.
  m.delivery_mode = ((p._flags & AMQP_BASIC_DELIVERY_MODE_FLAG) != 0 && p.delivery_mode == 2)
                        ? DeliveryMode::kPersistent
                        : DeliveryMode::kTransient;
  if ((p._flags & AMQP_BASIC_TIMESTAMP_FLAG) != 0) {
    m.timestamp = Timestamp(std::chrono::seconds(static_cast<int64_t>(p.timestamp)));
  }
  if ((p._flags & AMQP_BASIC_PRIORITY_FLAG) != 0) m.priority = p.priority;
  if ((p._flags & AMQP_BASIC_HEADERS_FLAG) != 0) m.headers = FromAmqpTable(p.headers);
  return m;
}

}  // namespace choreo::amqp::detail
