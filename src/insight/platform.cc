// The platform's BI (platform.h).
#include "insight/platform.h"

#include <algorithm>
#include <array>
#include <iterator>
#include <cmath>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "feed/bands.h"
#include "insight/internal/days.h"
#include "insight/internal/merchant_sums.h"

namespace xd::insight {

namespace {

constexpr const char* kKinds[] = {"c2c", "b2c", "ka"};

double Share(int64_t part, int64_t total) {
  return total > 0 ? std::round(static_cast<double>(part) / static_cast<double>(total) * 10000) /
                         10000
                   : 0.0;
}

struct Totals {
  int64_t impressions = 0, paid_orders = 0, gmv_fen = 0;
};

}  // namespace

Result<Json> PlatformOverview(Insight& insight, Store& trading, int64_t from_day, int64_t to_day,
                              const feed::ExposurePolicy& policy) {
  ASSIGN_OR_RETURN(internal::DayRange range, internal::CheckDayRange(from_day, to_day));
  // Kinds and status from the trading store.
  constexpr int kKindCount = 3;
  std::unordered_map<int64_t, int> kind_of;  // merchant → index in kKinds
  int64_t active = 0;
  int64_t active_by_kind[kKindCount] = {0, 0, 0};
  RETURN_IF_ERROR(trading.Read([&](Reader& r) -> Status {
    ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT id, kind, status FROM merchants"));
    kind_of.reserve(rows.size());
    for (const Row& row : rows) {
      const bool is_active = row.Str(2) == "active";
      active += is_active;
      const auto* k = std::find(std::begin(kKinds), std::end(kKinds), row.Str(1));
      if (k == std::end(kKinds)) continue;
      const int kind = static_cast<int>(k - std::begin(kKinds));
      kind_of[row.Int(0)] = kind;
      active_by_kind[kind] += is_active;
    }
    return Ok();
  }));

  // One pass over the range's merchant_days: by day and kind, and the per-merchant totals (the
  // fairness report's rows, Insight::MerchantExposures).
  std::vector<int64_t> day_list;  // the range's days, yyyymmdd
  std::unordered_map<int64_t, size_t> day_at;
  for (int64_t t = range.start_ms; t <= range.end_ms; t += internal::kDayMs) {
    day_at[DayOf(t)] = day_list.size();
    day_list.push_back(DayOf(t));
  }
  std::vector<std::array<Totals, kKindCount>> by_day(day_list.size());
  Totals by_kind[kKindCount];
  std::vector<Insight::MerchantExposure> merchants;  // per merchant over the range
  RETURN_IF_ERROR(insight.analytics().Read([&](Reader& r) -> Status {
    ASSIGN_OR_RETURN(merchants, internal::SumMerchantDays(r, from_day, to_day, [&](const Row& row) {
                       if (row.Int(4) == 0 && row.Int(5) == 0) return;
                       auto k = kind_of.find(row.Int(0));
                       auto d = day_at.find(row.Int(1));
                       if (k == kind_of.end() || d == day_at.end()) return;  // a merchant the trading store does not have
                       for (Totals* t : {&by_day[d->second][static_cast<size_t>(k->second)], &by_kind[k->second]}) {
                         t->paid_orders += row.Int(4);
                         t->gmv_fen += row.Int(5);
                       }
                     }));
    return Ok();
  }));
  Json days = Json::array();
  for (size_t i = 0; i < day_list.size(); ++i) {
    Json gmv = Json::object(), orders = Json::object();
    for (int k = 0; k < kKindCount; ++k) {
      gmv[kKinds[k]] = by_day[i][static_cast<size_t>(k)].gmv_fen;
      orders[kKinds[k]] = by_day[i][static_cast<size_t>(k)].paid_orders;
    }
    days.push_back({{"day", internal::DayText(day_list[i])}, {"gmv_fen", gmv}, {"paid_orders", orders}});
  }
  Json kinds = Json::array();
  for (int k = 0; k < kKindCount; ++k)
    kinds.push_back({{"kind", kKinds[k]},
                     {"merchants", active_by_kind[k]},
                     {"gmv_fen", by_kind[k].gmv_fen},
                     {"paid_orders", by_kind[k].paid_orders}});

  // Size bands over the range: feed/bands.h, as the fairness report.
  std::vector<std::pair<int64_t, int64_t>> gmv;
  gmv.reserve(merchants.size());
  for (const auto& m : merchants) gmv.emplace_back(m.merchant_id, m.gmv_fen);
  const std::vector<feed::SizeBand> band_of =
      feed::SizeBands(gmv, active, feed::Resolved(policy, active).head_merchants);
  Totals bands[feed::kSizeBands], total;
  int64_t band_merchants[feed::kSizeBands] = {0, 0, 0};
  std::vector<int64_t> exposure;
  exposure.reserve(merchants.size());
  for (size_t i = 0; i < merchants.size(); ++i) {
    const Insight::MerchantExposure& t = merchants[i];
    const int b = static_cast<int>(band_of[i]);
    ++band_merchants[b];
    bands[b].impressions += t.impressions, bands[b].paid_orders += t.paid_orders,
        bands[b].gmv_fen += t.gmv_fen;
    total.impressions += t.impressions, total.paid_orders += t.paid_orders,
        total.gmv_fen += t.gmv_fen;
    exposure.push_back(t.impressions);
  }
  const int tail = static_cast<int>(feed::SizeBand::kLongTail);
  band_merchants[tail] += std::max<int64_t>(0, active - static_cast<int64_t>(merchants.size()));
  Json out_bands = Json::array();
  for (int b = 0; b < feed::kSizeBands; ++b)
    out_bands.push_back({{"band", feed::SizeBandName(static_cast<feed::SizeBand>(b))},
                         {"merchants", band_merchants[b]},
                         {"gmv_fen", bands[b].gmv_fen},
                         {"paid_orders", bands[b].paid_orders},
                         {"impressions", bands[b].impressions},
                         {"gmv_share", Share(bands[b].gmv_fen, total.gmv_fen)},
                         {"impression_share", Share(bands[b].impressions, total.impressions)}});
  const double gini = feed::ExposureGini(std::move(exposure), active);
  return Json{{"from", internal::DayText(from_day)},
              {"to", internal::DayText(to_day)},
              {"head_merchants", feed::Resolved(policy, active).head_merchants},
              {"active_merchants", active},
              {"days", days},
              {"kinds", kinds},
              {"bands", out_bands},
              {"long_tail",
               {{"merchants", band_merchants[tail]},
                {"gmv_share", Share(bands[tail].gmv_fen, total.gmv_fen)},
                {"impression_share", Share(bands[tail].impressions, total.impressions)}}},
              {"totals",
               {{"gmv_fen", total.gmv_fen},
                {"paid_orders", total.paid_orders},
                {"impressions", total.impressions}}},
              {"exposure_gini", std::round(gini * 10000) / 10000}};
}

}  // namespace xd::insight
