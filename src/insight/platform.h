// The platform's BI for the admin (issue 19): GMV and paid orders by merchant kind per day,
// merchants by size band, the long tail's share of GMV and of impressions, the exposure Gini.
// Over the data platform's projections (merchant_days: paid orders and GMV by payment day,
// impressions the shop logged) and the trading store's merchants (kind, status). The size
// bands and the Gini are feed/bands.h's — the fairness report's definitions.
//
//   ASSIGN_OR_RETURN(Json bi, insight::PlatformOverview(insight, store, from, to, policy));
#pragma once

#include <cstdint>

#include "base/json.h"
#include "base/result.h"
#include "insight/insight.h"
#include "store/store.h"

namespace xd::insight {

// Over China-time days [from_day, to_day] (≤ config::kMaxReportDays; FIELD_INVALID otherwise):
// {"from","to","head_merchants","active_merchants",
//  "days":[{"day","gmv_fen":{"c2c","b2c","ka"},"paid_orders":{…}}],   every day of the range
//  "kinds":[{"kind","merchants","gmv_fen","paid_orders"}],            merchants: active ones
//  "bands":[{"band","merchants","gmv_fen","paid_orders","impressions","gmv_share","impression_share"}],
//  "long_tail":{"merchants","gmv_share","impression_share"},
//  "totals":{"gmv_fen","paid_orders","impressions"},"exposure_gini"}.
// Shares are fractions in [0, 1] rounded to 4 places (0 when the total is 0).
Result<Json> PlatformOverview(Insight& insight, Store& trading, int64_t from_day, int64_t to_day,
                              const feed::ExposurePolicy& policy);

}  // namespace xd::insight
