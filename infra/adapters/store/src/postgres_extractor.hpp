#pragma once
// Reads one row of a PGresult (text format) into Poco into(...) targets, the way Poco's
// own PostgreSQL extractor reads them, so the fast path of Tx::Run (postgres_statements)
// fills targets exactly as the Poco path does: same parsing, same NULL handling, same
// errors. Only the types IsFastExtraction accepts are ever asked for.
#include <cstddef>

#include <Poco/Data/AbstractExtraction.h>
#include <Poco/Data/AbstractExtractor.h>
#include <libpq-fe.h>

namespace choreo::store::detail {

// True when `extraction` is an into(...) target of a type PgRowExtractor fills: bool,
// integers, float, double, char, std::string, each alone or in std::optional or
// Poco::Nullable, and std::vector of those.
bool IsFastExtraction(const Poco::Data::AbstractExtraction& extraction);

class PgRowExtractor final : public Poco::Data::AbstractExtractor {
 public:
  // Reads row `row` of `result` until the next call; nullptr detaches.
  void SetRow(const PGresult* result, int row) {
    result_ = result;
    row_ = row;
  }

  bool extract(std::size_t pos, Poco::Int8& val) override;
  bool extract(std::size_t pos, Poco::UInt8& val) override;
  bool extract(std::size_t pos, Poco::Int16& val) override;
  bool extract(std::size_t pos, Poco::UInt16& val) override;
  bool extract(std::size_t pos, Poco::Int32& val) override;
  bool extract(std::size_t pos, Poco::UInt32& val) override;
  bool extract(std::size_t pos, Poco::Int64& val) override;
  bool extract(std::size_t pos, Poco::UInt64& val) override;
  bool extract(std::size_t pos, bool& val) override;
  bool extract(std::size_t pos, float& val) override;
  bool extract(std::size_t pos, double& val) override;
  bool extract(std::size_t pos, char& val) override;
  bool extract(std::size_t pos, std::string& val) override;
  // Never asked for (IsFastExtraction): statements with such targets run through Poco.
  bool extract(std::size_t pos, Poco::Data::BLOB& val) override;
  bool extract(std::size_t pos, Poco::Data::CLOB& val) override;
  bool extract(std::size_t pos, Poco::DateTime& val) override;
  bool extract(std::size_t pos, Poco::Data::Date& val) override;
  bool extract(std::size_t pos, Poco::Data::Time& val) override;
  bool extract(std::size_t pos, Poco::UUID& val) override;
  bool extract(std::size_t pos, Poco::Any& val) override;
  bool extract(std::size_t pos, Poco::Dynamic::Var& val) override;
  bool isNull(std::size_t col, std::size_t row) override;

 private:
  // The value at column `pos` of the current row, or nullptr for NULL. Throws as Poco's
  // extractor does when the row has no such column.
  const char* Value(std::size_t pos) const;

  const PGresult* result_ = nullptr;
  int row_ = 0;
};

}  // namespace choreo::store::detail
