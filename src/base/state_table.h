// The machinery of a status table (trade/states.cc, pay/states.cc, promo/status.cc): one row
// per status of an `enum class`, in declaration order, each with its stored `name`, the `Set`
// of statuses it may move to (`next`) and whatever properties the module's checks rely on.
//
//   struct Row { E status; const char* name; unsigned next; };
//   constexpr Row kTable[] = {{E::kA, "a", Set<E>({E::kB})}, {E::kB, "b", Set<E>({})}};
//   static_assert(InOrder(kTable));
//   At(kTable, s).name;  Find<E>(kTable, "a");  Contains(At(kTable, from).next, to);
#pragma once

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace xd::state_table {

// A set of statuses as a bit mask (bit n = the enum's n-th value).
template <class E>
constexpr unsigned Set(std::initializer_list<E> list) {
  unsigned m = 0;
  for (E s : list) m |= 1u << static_cast<unsigned>(s);
  return m;
}

// The tables are indexed by the enum's value: each row sits at its status's position.
template <class Row, size_t N>
constexpr bool InOrder(const Row (&table)[N]) {
  for (size_t i = 0; i < N; ++i)
    if (static_cast<size_t>(table[i].status) != i) return false;
  return true;
}

template <class Row, size_t N, class E>
const Row& At(const Row (&table)[N], E s) {
  return table[static_cast<size_t>(s)];
}

// The status stored as `name`, if any.
template <class E, class Row, size_t N>
std::optional<E> Find(const Row (&table)[N], std::string_view name) {
  for (const Row& r : table)
    if (name == r.name) return r.status;
  return std::nullopt;
}

template <class E>
bool Contains(unsigned set, E s) {
  return (set >> static_cast<unsigned>(s)) & 1u;
}

// The names of the statuses `pred` holds for, as an SQL list ('a','b'); "NULL" for none.
template <class Row, size_t N, class Pred>
std::string SqlList(const Row (&table)[N], Pred pred) {
  std::string out;
  for (const Row& r : table) {
    if (!pred(r.status)) continue;
    if (!out.empty()) out += ",";
    out += "'" + std::string(r.name) + "'";
  }
  return out.empty() ? "NULL" : out;  // IN (NULL) matches nothing
}

}  // namespace xd::state_table
