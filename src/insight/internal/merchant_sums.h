// Merchants' sums of merchant_days over a range of days, in one ordered pass over the range's
// rows (feed_reads.cc): the exposure reads and the platform report share it.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "insight/insight.h"

namespace xd::insight::internal {

// Per merchant over China-time days [from_day, to_day], most impressions first, then merchant
// id. `each_row`, when given, also sees every row of the range: merchant_id, day, impressions,
// views, paid_orders, gmv_fen (the platform report's per-day figures come from the same pass).
Result<std::vector<Insight::MerchantExposure>> SumMerchantDays(
    Reader& r, int64_t from_day, int64_t to_day,
    const std::function<void(const Row&)>& each_row = {});

}  // namespace xd::insight::internal
