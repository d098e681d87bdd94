// A merchant's BI beyond the overview (issue 19): group-buy success, coupon redemption, sales
// per chat group, live room, community leader and store, new vs returning buyers and the
// repurchase rate, weekly cohorts, members vs non-members, and share chains. The per-channel
// tables, coupons, group buys and share chains are read from the trading store, each query
// narrowed by the merchant (an index on merchant_id, or a join from the merchant's orders); the
// buyers, cohorts and members' figures and the live rooms' traffic from the data platform's
// projections (decision 042: one row per day whatever the shop's size), so they trail the
// trading store by the projection's lag. Nothing of another merchant is read into a figure.
//
//   ASSIGN_OR_RETURN(Json b, insight::MerchantBreakdowns(trading, analytics, merchant_id, from_day, to_day));
#pragma once

#include <cstdint>

#include "base/json.h"
#include "base/result.h"
#include "store/store.h"

namespace xd::insight {

namespace config {
inline constexpr int kMaxBreakdownRows = 50;  // chat groups, rooms, leaders, stores, coupons
}

// Over China-time days [from_day, to_day] (≤ kMaxReportDays; FIELD_INVALID otherwise). "Paid
// orders" are the merchant's orders paid in the range (paid_at_ms; refunds are not taken off,
// as the overview's GMV), GMV their total_fen. Rates are fractions in [0, 1] (4 places), null
// when there is nothing to divide by.
// {"from","to",
//  "group_buy":{"closed","succeeded","failed","success_rate"},      groups that ended in the range
//  "coupons":[{"coupon_id","title","claimed","used","redemption_rate"}],  claims in the range; used: of those
//  "chat_groups":[{"chat_group","orders","gmv_fen"}],
//  "live_rooms":[{"room_id","title","orders","gmv_fen"[,"views","likes","comments"]}],
//  "leaders":[{"leader_id","name","orders","gmv_fen"}],
//  "stores":[{"store_id","name","orders","gmv_fen"}],               completed POS purchases in the range
//  "customers":{"buyers","new_buyers","returning_buyers","new_orders","returning_orders",
//               "repeat_buyers","repurchase_rate"},                 new: first paid order ever in the range
//  "cohorts":[{"week","buyers","retention":[…]}],  by first-order week (7-day weeks from `from`);
//               retention[k]: of the cohort, buyers with a paid order k weeks later (k = 0: all)
//  "members":{"member":{"orders","gmv_fen","aov_fen"},"non_member":{…}},  member: a card of this
//               merchant claimed at or before the order was paid
//  "shares":{"shared_orders","sharers","sharer_orders","viral_coefficient","max_depth",
//            "by_depth":[{"depth","orders"}]}}
// Share chains: a paid order is brought by a share when checkout attributed it to a sharer
// (order_commissions, as the channel "share"); its depth is 1 + the depth of the sharer's own
// share-brought purchase from this merchant (the longest such chain; cycles cut). The viral
// coefficient is shared orders / the sharers' own paid orders in the range.
// Each live room also carries its "views" (viewers' first visits), "likes" (taps) and
// "comments" in the range, and rooms with traffic but no paid order follow the others (orders
// 0), up to kMaxBreakdownRows.
Result<Json> MerchantBreakdowns(Store& trading, Store& analytics, int64_t merchant_id,
                                int64_t from_day, int64_t to_day);

}  // namespace xd::insight
