#pragma once
// The machinery behind every event's to_json/from_json. An event or payload part lists
// its fields once (a static `Fields()` returning a tuple of `Field(...)`), an enum lists
// its wire names once (an `EnumNames<E>` specialisation); the templates below do the
// rest. Deserialisation is strict about types (money is never a float, an enum string
// must be known) and lenient about unknown keys (tolerant reader), and every failure is
// a ContractError whose path names the field.
#include <array>
#include <concepts>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "choreo/contracts/error.hpp"

namespace choreo::contracts {

// --- enums -------------------------------------------------------------------------

// Specialise with `static constexpr std::array<std::pair<E, std::string_view>, N> kNames`.
template <class E>
struct EnumNames;

template <class E>
concept NamedEnum = std::is_enum_v<E> && requires { EnumNames<E>::kNames; };

template <NamedEnum E>
constexpr std::string_view ToString(E value) {
  for (const auto& [candidate, name] : EnumNames<E>::kNames) {
    if (candidate == value) return name;
  }
  return {};
}

template <NamedEnum E>
constexpr std::optional<E> FromString(std::string_view name) {
  for (const auto& [candidate, candidate_name] : EnumNames<E>::kNames) {
    if (candidate_name == name) return candidate;
  }
  return std::nullopt;
}

// The accepted names, "a | b | c", for error messages.
template <NamedEnum E>
std::string AllowedNames() {
  std::string out;
  for (const auto& [value, name] : EnumNames<E>::kNames) {
    if (!out.empty()) out += " | ";
    out += name;
  }
  return out;
}

template <NamedEnum E>
void to_json(nlohmann::json& j, E value) {
  j = std::string(ToString(value));
}

template <NamedEnum E>
void from_json(const nlohmann::json& j, E& value) {
  if (!j.is_string()) {
    throw ContractError(ErrorKind::kWrongType, "", "expected a string (" + AllowedNames<E>() + ")");
  }
  const auto parsed = FromString<E>(j.get_ref<const std::string&>());
  if (!parsed) {
    throw ContractError(ErrorKind::kInvalidValue, "",
                        "unknown value '" + j.get<std::string>() + "', expected " + AllowedNames<E>());
  }
  value = *parsed;
}

// --- described structs ---------------------------------------------------------------

template <class T, class M>
struct FieldSpec {
  std::string_view name;
  M T::*member;
};

template <class T, class M>
constexpr FieldSpec<T, M> Field(std::string_view name, M T::*member) {
  return {name, member};
}

template <class T>
concept Described = requires { T::Fields(); };

namespace detail {

std::string_view JsonTypeName(const nlohmann::json& j);

[[noreturn]] void ThrowWrongType(const nlohmann::json& j, std::string_view expected);

template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};

template <class T>
struct IsVector : std::false_type {};
template <class T>
struct IsVector<std::vector<T>> : std::true_type {};

// Reads one JSON value into `out`, refusing anything nlohmann would silently coerce.
template <class T>
void Read(const nlohmann::json& j, T& out) {
  if constexpr (std::is_same_v<T, nlohmann::json>) {
    out = j;
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!j.is_string()) ThrowWrongType(j, "string");
    out = j.get_ref<const std::string&>();
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!j.is_boolean()) ThrowWrongType(j, "boolean");
    out = j.get<bool>();
  } else if constexpr (std::is_integral_v<T>) {
    // A float here would be money or a quantity rounded behind our back.
    if (!j.is_number_integer()) ThrowWrongType(j, "integer");
    if (j.is_number_unsigned()) {
      const auto value = j.get<std::uint64_t>();
      if (value > static_cast<std::uint64_t>(std::numeric_limits<T>::max())) {
        throw ContractError(ErrorKind::kInvalidValue, "", "integer out of range");
      }
      out = static_cast<T>(value);
    } else {
      const auto value = j.get<std::int64_t>();
      if (value < static_cast<std::int64_t>(std::numeric_limits<T>::min()) ||
          (value > 0 && static_cast<std::uint64_t>(value) >
                            static_cast<std::uint64_t>(std::numeric_limits<T>::max()))) {
        throw ContractError(ErrorKind::kInvalidValue, "", "integer out of range");
      }
      out = static_cast<T>(value);
    }
  } else if constexpr (IsVector<T>::value) {
    if (!j.is_array()) ThrowWrongType(j, "array");
    out.clear();
    out.resize(j.size());
    for (std::size_t i = 0; i < j.size(); ++i) {
      try {
        Read(j[i], out[i]);
      } catch (const ContractError& e) {
        throw e.Nested(std::to_string(i));
      }
    }
  } else if constexpr (Described<T>) {
    if (!j.is_object()) ThrowWrongType(j, "object");
    from_json(j, out);
  } else {
    // Enums and anything else with its own from_json.
    j.get_to(out);
  }
}

}  // namespace detail

template <Described T>
void to_json(nlohmann::json& j, const T& value) {
  j = nlohmann::json::object();
  std::apply(
      [&](const auto&... field) {
        (
            [&] {
              const auto& member = value.*(field.member);
              using M = std::remove_cvref_t<decltype(member)>;
              if constexpr (detail::IsOptional<M>::value) {
                // Absent rather than null: fewer shapes for readers to handle.
                if (member) j[std::string(field.name)] = *member;
              } else {
                j[std::string(field.name)] = member;
              }
            }(),
            ...);
      },
      T::Fields());
}

template <Described T>
void from_json(const nlohmann::json& j, T& value) {
  if (!j.is_object()) detail::ThrowWrongType(j, "object");
  std::apply(
      [&](const auto&... field) {
        (
            [&] {
              auto& member = value.*(field.member);
              using M = std::remove_cvref_t<decltype(member)>;
              const auto it = j.find(field.name);
              try {
                if constexpr (detail::IsOptional<M>::value) {
                  // null is read as absent: some producers write it for "no value".
                  if (it == j.end() || it->is_null()) {
                    member.reset();
                  } else {
                    typename M::value_type inner{};
                    detail::Read(*it, inner);
                    member = std::move(inner);
                  }
                } else {
                  if (it == j.end()) {
                    throw ContractError(ErrorKind::kMissingField, "", "required field is missing");
                  }
                  detail::Read(*it, member);
                }
              } catch (const ContractError& e) {
                throw e.Nested(field.name);
              }
            }(),
            ...);
      },
      T::Fields());
}

}  // namespace choreo::contracts
