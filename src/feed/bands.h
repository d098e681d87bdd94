// Merchants by size band (issue 20's fairness report, issue 19's platform BI): one definition
// of the head, the middle and the long tail, and the exposure Gini, for every report that
// shows them. Pure, like rank.h.
//
//   std::vector<SizeBand> b = SizeBands(gmv_by_merchant, active_merchants, policy.head_merchants);
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace xd::feed {

// By GMV rank over a report's window (1 = the largest; only merchants with GMV are ranked):
// the head is rank ≤ head_merchants (ExposurePolicy, the feed's own head), the middle is the
// rest of the top 20% of active merchants (at least one), the long tail is everyone else —
// the bottom 80% and every merchant without GMV.
enum class SizeBand { kHead = 0, kMiddle = 1, kLongTail = 2 };
inline constexpr int kSizeBands = 3;
const char* SizeBandName(SizeBand band);  // "head", "middle", "long_tail"

// The band of each merchant of `gmv` ({merchant id, GMV in fen over the window}), in the order
// given. `active_merchants` counts every active merchant, those with no row in `gmv` too (they
// are long tail). Ties in GMV rank by merchant id.
std::vector<SizeBand> SizeBands(const std::vector<std::pair<int64_t, int64_t>>& gmv,
                                int64_t active_merchants, int64_t head_merchants);

// Gini coefficient of non-negative values (0: equal, → 1: one holds everything).
double Gini(std::vector<int64_t> v);

// The exposure Gini over active merchants: `impressions` (one per merchant that has a row)
// padded with zeros up to `active_merchants` (active merchants shown nothing).
double ExposureGini(std::vector<int64_t> impressions, int64_t active_merchants);

}  // namespace xd::feed
