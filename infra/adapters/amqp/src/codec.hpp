#pragma once
// Conversions between the C++ values of this library and rabbitmq-c structures.
#include <cstdint>
#include <optional>

#include "choreo/amqp/field_table.hpp"
#include "choreo/amqp/message.hpp"
#include "rabbitmq.hpp"

namespace choreo::amqp::detail {

// The result points into `table` (keys, strings) and into `pool` (entry arrays): both
// must outlive its use.
amqp_table_t ToAmqpTable(const FieldTable& table, amqp_pool_t* pool);
FieldTable FromAmqpTable(const amqp_table_t& table);

// Message properties for basic.publish; `publish_seq` is added as kPublishSeqHeader.
// Same lifetime rules as ToAmqpTable.
amqp_basic_properties_t ToAmqpProperties(const Message& message, amqp_pool_t* pool,
                                         std::optional<int64_t> publish_seq);
Message FromAmqpMessage(const amqp_basic_properties_t& properties, amqp_bytes_t body);

// RAII for an amqp_pool_t.
class Pool {
 public:
  explicit Pool(std::size_t page_size = 4096) { init_amqp_pool(&pool_, page_size); }
  ~Pool() { empty_amqp_pool(&pool_); }
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;
  amqp_pool_t* Get() { return &pool_; }
  // Keeps the first page for reuse, which makes per-publish scratch use cheap.
  void Recycle() { recycle_amqp_pool(&pool_); }

 private:
  amqp_pool_t pool_;
};

}  // namespace choreo::amqp::detail
