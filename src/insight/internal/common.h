// What the insight/ sources share (not part of the module's interface): the cursors' names,
// the funnel stages and the lenient readers of event payloads.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

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

// A user's interest in a category (user_categories): a score in thousandths decayed with
// config::kInterestHalfLifeMs, brought up to date at `updated` (the newest event seen). The
// projection and the ranking trainer (decision 045) apply events to it by AddInterest alone.
struct Interest {
  int64_t score = 0, updated = 0;
};
// The weights of the events that raise an interest.
inline constexpr int64_t kInterestView = 1000, kInterestClick = 500, kInterestCart = 3000,
                         kInterestPaidItem = 5000;
// Adds an event of `weight_milli` at `at` to `in` (`known`: false for an interest not seen yet):
// the score at the newest moment seen, an older event adding its weight decayed to that moment.
// Deterministic in replay order.
inline void AddInterest(Interest& in, bool known, int64_t weight_milli, int64_t at,
                        int64_t half_life_ms) {
  if (!known) {
    in = {weight_milli, at};
    return;
  }
  const double half = static_cast<double>(half_life_ms);
  if (at >= in.updated) {
    in.score = std::llround(static_cast<double>(in.score) *
                            std::exp2(-static_cast<double>(at - in.updated) / half)) +
               weight_milli;
    in.updated = at;
  } else {
    in.score += std::llround(static_cast<double>(weight_milli) *
                             std::exp2(-static_cast<double>(in.updated - at) / half));
  }
}

// One line of an order.paid row's data.items (ingest.cc writes them), read by the projection,
// the fill of migration 063 and the ranking trainer alike.
struct PaidItem {
  int64_t product_id = 0, quantity = 0, line_fen = 0;
  std::string category;
};
inline std::vector<PaidItem> PaidItems(const Json& data) {
  std::vector<PaidItem> out;
  if (!data.is_object() || !data.contains("items") || !data["items"].is_array()) return out;
  for (const Json& it : data["items"])
    out.push_back({JsonInt(it, "product_id"), JsonInt(it, "quantity"), JsonInt(it, "line_fen"),
                   JsonStr(it, "category")});
  return out;
}
// Whether an order.paid row is a self-purchase: its buyer is the shop's owner or staff
// (data.self, set at ingestion). Self-purchases count in the merchant's own BI, never in what the
// feed ranks by (decision 045).
inline bool IsSelfPurchase(const Json& data) {
  return data.is_object() && data.contains("self") && data["self"].is_boolean() &&
         data["self"].get<bool>();
}

}  // namespace xd::insight::internal
