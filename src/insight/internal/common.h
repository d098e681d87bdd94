// What the insight/ sources share (not part of the module's interface): the cursors' names,
// the funnel stages and the lenient readers of event payloads.
#pragma once

#include <cstdint>
#include <string>

#include "base/id.h"
#include "base/json.h"
#include "insight/internal/days.h"

namespace xd::insight::internal {

inline constexpr const char* kIngestCursor = "insight.log";   // in the trading store
inline constexpr const char* kProjectCursor = "projections";  // in the analytics store

// Visitor stages per merchant and day (merchant_day_visitors.stage).
enum Stage : int { kViewed = 1, kCarted = 2, kOrdered = 3, kPaid = 4 };

// A payload's id (a decimal string or an integer), integer, string; 0 or "" when absent or of
// another type.
inline int64_t JsonId(const Json& j, const char* key) {
  if (!j.is_object() || !j.contains(key)) return 0;
  const Json& v = j[key];
  if (v.is_string()) return ParseId(v.get<std::string>()).value_or(0);
  if (v.is_number_integer()) return v.get<int64_t>();
  return 0;
}
inline int64_t JsonInt(const Json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number_integer()) return 0;
  return j[key].get<int64_t>();
}
inline std::string JsonStr(const Json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_string()) return "";
  return j[key].get<std::string>();
}

}  // namespace xd::insight::internal
