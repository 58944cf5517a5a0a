#pragma once
// A table read whole into records, one column vector per field:
//   using std::string;
//   std::vector<ChargeRecord> charges = store::ReadRecords<ChargeRecord, string, string, Poco::Int64>(
//       tx, "SELECT charge_id, order_id, amount_minor FROM provider_charges ORDER BY charge_id");
#include <cstddef>
#include <string_view>
#include <tuple>
#include <vector>

#include "choreo/store/tx.hpp"

namespace choreo::store {

// Runs `sql` with one into(std::vector<Column>) target per selected column, in the order of
// `Columns`, and makes Record{value of each column...} of every row: Record is an aggregate
// whose fields take the columns in that order.
template <class Record, class... Columns>
std::vector<Record> ReadRecords(Tx& tx, std::string_view sql) {
  std::tuple<std::vector<Columns>...> columns;
  std::apply([&](auto&... column) { tx.Run(sql, Poco::Data::Keywords::into(column)...); }, columns);
  std::vector<Record> records;
  const std::size_t rows = std::get<0>(columns).size();
  records.reserve(rows);
  for (std::size_t i = 0; i < rows; ++i) {
    records.push_back(std::apply([i](const auto&... column) { return Record{column[i]...}; }, columns));
  }
  return records;
}

}  // namespace choreo::store
