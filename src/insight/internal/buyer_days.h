// A merchant's repeat-purchase figures over any range of days from one row per day (decision
// 042): the breakdowns' buyers, new and repeat buyers, new buyers' orders and weekly cohorts
// (merchant_bi.h) without reading the range's paid orders. Not part of the module's interface.
//
// Each buyer's paid days at a merchant (BuyerDays, merchant_customers.paid_days) place every
// paid order among the buyer's others, in days: the gap to the order before it, the gap to the
// one before that, and the age since the buyer's first. A day's orders are kept as counts by
// those (DayGaps, merchant_order_gaps.gaps), and for a range starting on day F every figure is a
// sum over the range's days d of counts on one side of the threshold t = d − F:
//   buyers          orders with gap > t (the buyer's first order in the range)
//   new buyers      orders with no order before them
//   new orders      orders with age ≤ t (the buyer's first order is in the range)
//   repeat buyers   orders with gap ≤ t, minus orders with second gap ≤ t (one per buyer with
//                   at least two orders in the range: the second one counts in the first sum
//                   and not the second)
//   cohorts         orders with age ≤ t and gap > t mod 7 (the buyer's first order in its week
//                   of the range), by the week of d − age and the week of d
// A range spans at most config::kMaxReportDays = 366 days, so t ≤ 365: gaps and ages of 366 days
// or more are kept as one value, and ages that long are not kept by age at all.
//
//   BuyerDays days = BuyerDays::Decode(row.Str(0)).value();
//   std::vector<GapChange> changes;
//   days.Add(EpochDayOf(paid_at_ms), changes);        // then DayGaps::Add each change
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "insight/internal/days.h"
#include "store/store.h"

namespace xd::insight::internal {

inline constexpr int32_t kLongAgo = 366;  // a gap or age of 366 days or more
inline constexpr int32_t kNoOrder = 367;  // a gap with no such earlier order

// One paid order among its buyer's paid orders at a merchant (sorted by day).
struct OrderGaps {
  int32_t day = 0;      // epoch day
  int32_t gap = 0;      // to the order before it (0: the same day), kLongAgo, or kNoOrder
  int32_t gap2 = 0;     // to the order two before it, likewise
  int32_t age = 0;      // since the buyer's first paid order, or kLongAgo
};
struct GapChange {
  OrderGaps gaps;
  int64_t sign = 0;  // +1: a count to add; −1: one to take away (the order's place changed)
};

// A buyer's paid days at a merchant, ascending, each with its number of paid orders. Text:
// "<epoch day>:<orders>" joined by ','; "" for none.
class BuyerDays {
 public:
  static std::optional<BuyerDays> Decode(std::string_view text);
  std::string Encode() const;

  // Adds an order paid on `day`. `changes` gets what that does to the buyer's orders' gaps: the
  // new order's, and for the orders after it whose earlier orders changed, the old gaps out and
  // the new ones in (all of them when the new order is the buyer's first; at most five changes
  // otherwise). Orders of one day are interchangeable.
  void Add(int32_t day, std::vector<GapChange>& changes);
  // Every order's gaps, in day order.
  std::vector<OrderGaps> All() const;
  int64_t orders() const;

 private:
  std::vector<std::pair<int32_t, int64_t>> days_;  // (epoch day, orders)
};

// Counts of one merchant-day's paid orders: by gap, by second gap, and by (age, min(gap, 7)) for
// ages under kLongAgo. Counts may go negative while a round's changes are gathered; stored rows
// never have one. Text: the three maps as "<key>:<count>" joined by ',', separated by '|'; the
// third map's key is age * 8 + min(gap, 7).
class DayGaps {
 public:
  static std::optional<DayGaps> Decode(std::string_view text);
  std::string Encode() const;

  void Add(const OrderGaps& g, int64_t sign);
  void Merge(const DayGaps& other);
  bool Empty() const;
  bool Negative() const;
  bool operator==(const DayGaps&) const = default;

 private:
  friend class RangeFigures;
  std::map<int32_t, int64_t> gap_, gap2_, age_gap_;
};

// The figures of a range of `days` days, from each day's DayGaps in any order.
class RangeFigures {
 public:
  explicit RangeFigures(int32_t days);
  // The gaps of the range's day `offset` (0: the first).
  void AddDay(int32_t offset, const DayGaps& day);

  int64_t buyers = 0, new_buyers = 0, new_orders = 0, repeat_buyers = 0;
  // By the week of the first paid order (weeks from the range's first day): retention[k], of the
  // week's new buyers, those who paid k weeks later (k = 0: all of them), up to the range's last
  // week. Weeks with no new buyer are absent.
  std::map<int32_t, std::vector<int64_t>> Cohorts() const;

 private:
  int32_t weeks_ = 0;
  int64_t repeat_second_ = 0, repeat_third_ = 0;  // orders with gap ≤ t; with second gap ≤ t
  std::map<int32_t, std::vector<int64_t>> cohorts_;
};

// Of (merchant, buyer) pairs, when each buyer claimed the merchant's member card (absent: no
// card), read from the trading store: ingestion marks a paid order as a member's (data.member)
// when the card was claimed at or before the payment, so that the log alone says it.
Result<std::map<std::pair<int64_t, int64_t>, int64_t>> CardsClaimed(
    Reader& trading, const std::set<std::pair<int64_t, int64_t>>& merchant_buyers);

// The projection's own consistency, for `xiaodian check`: each customer's paid days add up to
// its paid orders, and each merchant-day's gaps are those its customers' paid days give (a
// pass over merchant_customers and merchant_order_gaps). At most a few problems of each kind.
Result<std::vector<std::string>> CheckBuyerDays(Reader& analytics);

// Analytics migration 057's fill (the 'order_gaps' key in meta): the member marks of the log's
// paid orders from `trading` (rows logged before 057 lack them; null: none marked), then the
// buyers' paid days, the days' gaps and members' orders of the rows up to the projection cursor
// computed from the log (later rows are the projection's).
Status FillBuyerDays(Store& analytics, Store* trading);

}  // namespace xd::insight::internal
