#pragma once
#include <array>
#include <concepts>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <Poco/Data/Binding.h>
#include <Poco/Data/Extraction.h>
#include <Poco/Data/Limit.h>
#include <Poco/Data/Range.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/Data/TypeHandler.h>
#include <Poco/Exception.h>
#include <Poco/Nullable.h>

#include "choreo/store/detail/postgres_fast_path.hpp"
#include "choreo/store/errors.hpp"
#include "choreo/store/options.hpp"
#include "choreo/store/sql.hpp"

// Poco 1.11 knows Poco::Nullable but not std::optional; this handler lets
// `into(std::optional<T>&)` and `use(std::optional<T>&)` map NULL <-> std::nullopt.
namespace Poco::Data {
template <typename T>
class TypeHandler<std::optional<T>> {
 public:
  static void bind(std::size_t pos, const std::optional<T>& obj, AbstractBinder::Ptr binder,
                   AbstractBinder::Direction dir) {
    if (obj) {
      TypeHandler<T>::bind(pos, *obj, binder, dir);
    } else {
      binder->bind(pos, Poco::Data::Keywords::null, dir);
    }
  }
  static void prepare(std::size_t pos, const std::optional<T>& obj,
                      AbstractPreparator::Ptr preparator) {
    TypeHandler<T>::prepare(pos, obj ? *obj : T(), preparator);
  }
  static std::size_t size() { return 1u; }
  static void extract(std::size_t pos, std::optional<T>& obj, const std::optional<T>&,
                      AbstractExtractor::Ptr extractor) {
    T value{};
    if (extractor->extract(pos, value)) {
      obj = std::move(value);
    } else {
      obj.reset();
    }
  }
  TypeHandler() = delete;
};
}  // namespace Poco::Data

struct sqlite3_stmt;

namespace choreo::store {

namespace detail {

template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};

// Arguments of Tx::Run that Poco attaches to a statement as they are.
template <class P>
concept PocoStatementPart =
    std::same_as<std::remove_cvref_t<P>, Poco::Data::AbstractExtraction::Ptr> ||
    std::same_as<std::remove_cvref_t<P>, Poco::Data::AbstractBinding::Ptr> ||
    std::same_as<std::remove_cvref_t<P>, Poco::Data::Limit> ||
    std::same_as<std::remove_cvref_t<P>, Poco::Data::Range>;

// The type a plain C++ value is bound as. Every integer becomes Int64 because Poco 1.11
// on LP64 has no binder for `long long`, and one integer type keeps SQLite and
// PostgreSQL behaving alike; strings and string_views are copied so temporaries are safe.
template <class V>
auto BindableValue(const V& value) {
  if constexpr (std::is_same_v<V, bool>) {
    return value;
  } else if constexpr (std::is_integral_v<V>) {
    if constexpr (std::is_unsigned_v<V> && sizeof(V) >= sizeof(std::int64_t)) {
      if (value > static_cast<V>(std::numeric_limits<std::int64_t>::max())) {
        throw std::out_of_range("choreo::store: unsigned value does not fit a 64-bit column");
      }
    }
    return static_cast<Poco::Int64>(value);
  } else if constexpr (std::is_floating_point_v<V>) {
    return static_cast<double>(value);
  } else if constexpr (std::is_same_v<V, std::nullopt_t> || std::is_same_v<V, std::nullptr_t>) {
    // The type of a NULL parameter does not matter: SQLite binds NULL, PostgreSQL infers
    // the parameter type from the statement.
    return std::optional<std::string>();
  } else if constexpr (std::is_pointer_v<V> && std::is_convertible_v<V, const char*>) {
    if (value == nullptr) {
      throw std::invalid_argument("choreo::store: null char pointer bound; use std::nullopt");
    }
    return std::string(value);
  } else if constexpr (std::is_convertible_v<const V&, std::string_view>) {
    return std::string(std::string_view(value));
  } else if constexpr (IsOptional<V>::value) {
    using Inner = decltype(BindableValue(std::declval<const typename V::value_type&>()));
    return value ? std::optional<Inner>(BindableValue(*value)) : std::optional<Inner>();
  } else {
    return value;  // Poco::Nullable, Poco::DateTime, Poco::Data::BLOB, ...
  }
}

// Values Tx::Run can bind to a cached SQLite statement itself (see Tx::Run): what
// BindableValue maps to an integer, a double, text or NULL.
template <class V>
struct IsRawBindable
    : std::bool_constant<std::is_arithmetic_v<V> || std::is_same_v<V, std::nullopt_t> ||
                         std::is_same_v<V, std::nullptr_t> || std::is_convertible_v<const V&, std::string_view>> {};
template <class V>
struct IsRawBindable<std::optional<V>> : IsRawBindable<V> {};

template <class P>
concept RawBindablePart = !PocoStatementPart<P> && IsRawBindable<std::remove_cvref_t<P>>::value;

// What the PostgreSQL fast path takes: plain values and into(...) targets.
template <class P>
concept PostgresFastPart = RawBindablePart<P> || ExtractionPart<P>;

// The per-connection cache of prepared SQLite statements (src/statement_cache.hpp).
class StatementCache;
// The cached statement for `sql`, ready to bind, or nullptr if it must run through Poco.
sqlite3_stmt* FindCachedStatement(StatementCache& cache, std::string_view sql, int parameters);
void BindNull(sqlite3_stmt* statement, int index);
void BindInt64(sqlite3_stmt* statement, int index, std::int64_t value);
void BindDouble(sqlite3_stmt* statement, int index, double value);
void BindText(sqlite3_stmt* statement, int index, std::string_view value);
// Runs the bound statement to its end and resets it; returns the rows changed.
std::size_t StepCachedStatement(sqlite3_stmt* statement, std::string_view sql);

}  // namespace detail

// One database transaction, handed to the callable of Store::InTransaction. Valid only
// during that call; use it from the calling thread only.
class Tx {
 public:
  // `cache`: the connection's prepared SQLite statements, or nullptr (PostgreSQL).
  // `pg_cache`: the connection's prepared PostgreSQL statements, or nullptr (SQLite).
  Tx(Poco::Data::Session& session, store::Dialect dialect, detail::StatementCache* cache = nullptr,
     detail::PgStatementCache* pg_cache = nullptr)
      : session_(session), dialect_(dialect), cache_(cache), pg_cache_(pg_cache) {}
  Tx(const Tx&) = delete;
  Tx& operator=(const Tx&) = delete;

  store::Dialect Dialect() const { return dialect_; }

  // The Poco session for anything Run does not cover. Statements built on it by hand
  // should pass their SQL through Sql(); Poco exceptions they throw are translated when
  // they leave the InTransaction callable. Runs what Defer queued first.
  Poco::Data::Session& Session() {
    Flush();
    return session_;
  }

  // `sql` with `?` placeholders rewritten for this dialect (see RewritePlaceholders).
  std::string Sql(std::string_view sql) const { return RewritePlaceholders(sql, dialect_); }

  // Runs one statement written with `?` placeholders. Each of `parts` is either
  //  - a Poco::Data::Keywords::into(...) target, a use(...) binding, limit(...) or range(...):
  //    attached as is (into targets are filled in order of the result columns), or
  //  - a plain value, bound (copied) to the next `?`: integers, bool, double, strings and
  //    string_views, std::optional of those or std::nullopt / nullptr for NULL,
  //    Poco::Nullable, Poco::DateTime, ...
  // Returns the rows affected (INSERT/UPDATE/DELETE) or fetched (SELECT).
  // Throws StoreError / TransientStoreError.
  //   tx.Run("INSERT INTO kv (k, v) VALUES (?, ?)", key, std::optional<std::int64_t>{});
  //   std::string v;
  //   bool found = tx.Run("SELECT v FROM kv WHERE k = ?", into(v), key) == 1;
  //
  // On SQLite, a statement whose parts are all plain values and that returns no rows runs
  // on a prepared statement kept with the connection: Poco::Data would compile it again on
  // every call, which cost as much as executing it.
  // On PostgreSQL, a statement whose parts are plain values and into(...) targets of the
  // common types (see src/postgres_statements.cpp) runs on a prepared statement kept with
  // the connection: one round trip per call, where Poco::Data spends four (prepare,
  // describe, execute, deallocate) and the server sat idle waiting for them.
  template <class... Parts>
  std::size_t Run(std::string_view sql, Parts&&... parts) {
    if constexpr ((detail::RawBindablePart<Parts> && ...)) {
      if (cache_ != nullptr) {
        if (sqlite3_stmt* statement = detail::FindCachedStatement(*cache_, sql, static_cast<int>(sizeof...(Parts)))) {
          int index = 0;
          (BindRaw(statement, ++index, static_cast<const std::remove_cvref_t<Parts>&>(parts)), ...);
          return detail::StepCachedStatement(statement, sql);
        }
      }
    }
    try {
      if constexpr ((detail::PostgresFastPart<Parts> && ...)) {
        if (pg_cache_ != nullptr) {
          detail::PgParams params(sizeof...(Parts));
          std::array<Poco::Data::AbstractExtraction*, sizeof...(Parts) + 1> extractions{};
          std::size_t extraction_count = 0;
          (CollectPostgres(params, extractions, extraction_count, parts), ...);
          if (auto rows = detail::RunCachedPostgres(*pg_cache_, sql, params,
                                                    std::span(extractions.data(), extraction_count))) {
            return *rows;
          }
        }
      }
      Flush();  // what Defer queued runs before, as on the fast path
      Poco::Data::Statement statement(session_);
      statement << Sql(sql);
      (Attach(statement, std::forward<Parts>(parts)), ...);
      return statement.execute();
    } catch (const Poco::Exception& error) {
      detail::ThrowStoreError(error, sql);
    }
  }

  // A statement whose result nobody reads (an outbox row, a history row, an advisory
  // lock), bound to plain values as Run binds them. On PostgreSQL it is queued and sent
  // with the next statement Run sends, or at commit, in one round trip with it (libpq's
  // pipeline mode): a batch's per-message inserts cost no round trip of their own.
  // Statements still run in the order they were issued, so a queued lock is held before
  // the next statement runs. A queued statement's failure surfaces there (or at commit)
  // as that statement's error, and the transaction fails as it would have anyway: defer
  // nothing whose failure the caller handles itself, and no DDL (the next statement is
  // prepared before the queue runs). On SQLite it runs at once.
  //   tx.Defer("INSERT INTO history (order_id, event) VALUES (?, ?)", id, event);
  template <class... Values>
  void Defer(std::string_view sql, const Values&... values) {
    static_assert((detail::RawBindablePart<const Values&> && ...), "Tx::Defer binds plain values only");
    if (pg_cache_ == nullptr) {
      Run(sql, values...);
      return;
    }
    try {
      detail::PgParams params(sizeof...(Values));
      (BindPostgres(params, values), ...);
      detail::DeferCachedPostgres(*pg_cache_, sql, params);
    } catch (const Poco::Exception& error) {
      detail::ThrowStoreError(error, sql);
    }
  }

  // Runs the statements Defer queued now. The store does before COMMIT; anything that
  // uses the session past Run (Session(), RunScript) does too.
  void Flush() {
    if (pg_cache_ == nullptr) return;
    try {
      detail::FlushDeferredPostgres(*pg_cache_);
    } catch (const Poco::Exception& error) {
      detail::ThrowStoreError(error, "deferred statements");
    }
  }

  // Runs several `;`-separated statements without parameters (DDL, migrations) with the
  // engine's own script runner, so trigger bodies and dollar-quoted functions work.
  // Throws StoreError / TransientStoreError.
  void RunScript(std::string_view script);

 private:
  template <class P>
  static void Attach(Poco::Data::Statement& statement, P&& part) {
    if constexpr (detail::PocoStatementPart<P>) {
      statement, std::forward<P>(part);
    } else {
      auto value = detail::BindableValue(static_cast<const std::remove_cvref_t<P>&>(part));
      statement, Poco::Data::AbstractBinding::Ptr(
                     new Poco::Data::CopyBinding<decltype(value)>(value));
    }
  }

  // Binds as BindableValue would, without copying strings: the statement is stepped and
  // reset before Run returns.
  template <class V>
  static void BindRaw(sqlite3_stmt* statement, int index, const V& value) {
    if constexpr (detail::IsOptional<V>::value) {
      if (value) {
        BindRaw(statement, index, *value);
      } else {
        detail::BindNull(statement, index);
      }
    } else if constexpr (std::is_same_v<V, std::nullopt_t> || std::is_same_v<V, std::nullptr_t>) {
      detail::BindNull(statement, index);
    } else if constexpr (std::is_same_v<V, bool> || std::is_integral_v<V>) {
      detail::BindInt64(statement, index, static_cast<std::int64_t>(detail::BindableValue(value)));
    } else if constexpr (std::is_floating_point_v<V>) {
      detail::BindDouble(statement, index, static_cast<double>(value));
    } else {
      if constexpr (std::is_pointer_v<V>) {
        if (value == nullptr) throw std::invalid_argument("choreo::store: null char pointer bound; use std::nullopt");
      }
      detail::BindText(statement, index, std::string_view(value));
    }
  }

  template <class P, std::size_t N>
  static void CollectPostgres(detail::PgParams& params, std::array<Poco::Data::AbstractExtraction*, N>& extractions,
                              std::size_t& extraction_count, P& part) {
    if constexpr (detail::ExtractionPart<P>) {
      extractions[extraction_count++] = part.get();
    } else {
      BindPostgres(params, static_cast<const std::remove_cvref_t<P>&>(part));
    }
  }

  // Adds `value` as BindableValue and Poco's binder would send it. std::string and C
  // strings are passed without copying: the statement runs before Run returns.
  template <class V>
  static void BindPostgres(detail::PgParams& params, const V& value) {
    if constexpr (detail::IsOptional<V>::value) {
      if (value) {
        BindPostgres(params, *value);
      } else {
        params.AddNull();
      }
    } else if constexpr (std::is_same_v<V, std::nullopt_t> || std::is_same_v<V, std::nullptr_t>) {
      params.AddNull();
    } else if constexpr (std::is_same_v<V, bool>) {
      params.AddBool(value);
    } else if constexpr (std::is_integral_v<V>) {
      params.AddInt64(static_cast<std::int64_t>(detail::BindableValue(value)));
    } else if constexpr (std::is_floating_point_v<V>) {
      params.AddDouble(static_cast<double>(value));
    } else if constexpr (std::is_same_v<V, std::string>) {
      params.AddText(value.c_str());
    } else if constexpr (std::is_array_v<V> || (std::is_pointer_v<V> && std::is_convertible_v<V, const char*>)) {
      const char* text = value;
      if (text == nullptr) throw std::invalid_argument("choreo::store: null char pointer bound; use std::nullopt");
      params.AddText(text);
    } else {
      params.AddCopy(std::string_view(value));  // string_view and the like need not end in NUL
    }
  }

  Poco::Data::Session& session_;
  store::Dialect dialect_;
  detail::StatementCache* cache_;
  detail::PgStatementCache* pg_cache_;
};

}  // namespace choreo::store
