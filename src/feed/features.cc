// SignalsOf (features.h): the one place training and serving turn histories into Signals.
#include "feed/features.h"

#include <algorithm>
#include <cmath>

namespace xd::feed {

Signals SignalsOf(const ProductHistory& product, const VisitorHistory& visitor,
                  const std::string& category, int64_t interest_half_life_ms) {
  Signals s;
  s.impressions = product.impressions;
  s.clicks = product.views;
  s.purchases = product.paid_units;
  if (visitor.paid_units > 0 && visitor.paid_fen > 0)
    s.user_typical_price_fen = visitor.paid_fen / visitor.paid_units;
  if (visitor.interests.empty() || category.empty() || interest_half_life_ms <= 0) return s;
  int64_t newest = visitor.interests.front().updated_ms;
  for (const auto& in : visitor.interests) newest = std::max(newest, in.updated_ms);
  const double half = static_cast<double>(interest_half_life_ms);
  auto decayed = [&](const VisitorHistory::Interest& in) {
    return static_cast<double>(in.score_milli) *
           std::exp2(-static_cast<double>(newest - in.updated_ms) / half);
  };
  double top = 0, mine = 0;
  for (const auto& in : visitor.interests) {
    const double d = decayed(in);
    top = std::max(top, d);
    if (in.category == category) mine = d;
  }
  if (top > 0) s.category_affinity = std::clamp(mine / top, 0.0, 1.0);
  return s;
}

}  // namespace xd::feed
