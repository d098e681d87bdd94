// BuyerDays, DayGaps and RangeFigures against the figures' definitions over the paid days
// themselves (merchant_bi.h), on seeded random histories paid in random order.
#include "insight/internal/buyer_days.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <vector>

namespace xd::insight::internal {
namespace {

using Days = std::map<std::pair<int64_t, int32_t>, DayGaps>;  // (buyer, epoch day) → gaps

// The figures by definition: each buyer's sorted paid days, the range [from, from + n).
struct Expected {
  int64_t buyers = 0, new_buyers = 0, new_orders = 0, repeat_buyers = 0;
  std::map<int32_t, std::vector<int64_t>> cohorts;
};
Expected ByDefinition(const std::map<int64_t, std::vector<int32_t>>& paid, int32_t from, int32_t n) {
  Expected e;
  const int32_t weeks = (n + 6) / 7;
  for (const auto& [buyer, days] : paid) {
    const int32_t first = days.front();
    int64_t in_range = 0;
    std::set<int32_t> weeks_paid;
    for (int32_t d : days)
      if (d >= from && d < from + n) {
        ++in_range;
        weeks_paid.insert((d - from) / 7);
        if (first >= from) ++e.new_orders;
      }
    if (in_range > 0) ++e.buyers;
    if (in_range >= 2) ++e.repeat_buyers;
    if (first >= from && first < from + n) {
      ++e.new_buyers;
      const int32_t cohort = (first - from) / 7;
      auto& retention = e.cohorts[cohort];
      if (retention.empty()) retention.assign(static_cast<size_t>(weeks - cohort), 0);
      for (int32_t w : weeks_paid) retention[static_cast<size_t>(w - cohort)] += 1;
    }
  }
  return e;
}

TEST(BuyerDays, IncrementalGapsEqualTheDefinitionWhateverTheOrderOfPayments) {
  std::mt19937 rng(20261205);
  for (int round = 0; round < 40; ++round) {
    // 30 buyers, 1–12 orders each over ~500 days (some gaps beyond a year), paid in a shuffled
    // order (a late payment lands before a buyer's first, between days, on a busy day).
    std::map<int64_t, std::vector<int32_t>> paid;
    std::vector<std::pair<int64_t, int32_t>> payments;
    const int32_t base = 20'000;
    for (int64_t b = 1; b <= 30; ++b) {
      const int k = 1 + static_cast<int>(rng() % 12);
      for (int i = 0; i < k; ++i) {
        const int32_t day = base + static_cast<int32_t>(rng() % (round % 2 ? 500 : 40));
        payments.emplace_back(b, day);
        paid[b].push_back(day);
      }
    }
    for (auto& [b, days] : paid) std::sort(days.begin(), days.end());
    std::shuffle(payments.begin(), payments.end(), rng);
    std::map<int64_t, BuyerDays> buyers;
    std::map<int32_t, DayGaps> incremental;
    for (const auto& [b, day] : payments) {
      std::vector<GapChange> changes;
      buyers[b].Add(day, changes);
      for (const GapChange& c : changes) incremental[c.gaps.day].Add(c.gaps, c.sign);
    }
    std::map<int32_t, DayGaps> whole;
    for (const auto& [b, d] : buyers) {
      EXPECT_EQ(d.orders(), static_cast<int64_t>(paid[b].size()));
      auto decoded = BuyerDays::Decode(d.Encode());
      ASSERT_TRUE(decoded);
      EXPECT_EQ(decoded->Encode(), d.Encode());
      for (const OrderGaps& g : d.All()) whole[g.day].Add(g, 1);
    }
    std::erase_if(incremental, [](const auto& e) { return e.second.Empty(); });
    ASSERT_EQ(incremental.size(), whole.size()) << "round " << round;
    for (const auto& [day, gaps] : whole) {
      EXPECT_EQ(incremental[day].Encode(), gaps.Encode()) << "round " << round << " day " << day;
      auto decoded = DayGaps::Decode(gaps.Encode());
      ASSERT_TRUE(decoded);
      EXPECT_EQ(*decoded, gaps);
    }
    // Ranges of 1–366 days anywhere over the history.
    for (int q = 0; q < 25; ++q) {
      const int32_t n = 1 + static_cast<int32_t>(rng() % 366);
      const int32_t from = base - 30 + static_cast<int32_t>(rng() % 560);
      RangeFigures got(n);
      for (const auto& [day, gaps] : whole)
        if (day >= from && day < from + n) got.AddDay(day - from, gaps);
      const Expected want = ByDefinition(paid, from, n);
      EXPECT_EQ(got.buyers, want.buyers) << "round " << round << " from " << from << " n " << n;
      EXPECT_EQ(got.new_buyers, want.new_buyers);
      EXPECT_EQ(got.new_orders, want.new_orders);
      EXPECT_EQ(got.repeat_buyers, want.repeat_buyers);
      EXPECT_EQ(got.Cohorts(), want.cohorts) << "round " << round << " from " << from << " n " << n;
    }
  }
}

TEST(BuyerDays, EpochDaysAreChinaDays) {
  // 2026-12-05 00:00 China time is 2026-12-04 16:00 UTC.
  const int64_t midnight = 1796400000000LL;  // 2026-12-04T16:00:00Z
  EXPECT_EQ(DayOfEpochDay(EpochDayOf(midnight)), 20261205);
  EXPECT_EQ(DayOfEpochDay(EpochDayOf(midnight - 1)), 20261204);
  EXPECT_EQ(EpochDayOf(midnight) - EpochDayOf(midnight - 1), 1);
}

TEST(BuyerDays, MalformedTextIsRefused) {
  EXPECT_FALSE(BuyerDays::Decode("20000:1,19999:1"));  // not ascending
  EXPECT_FALSE(BuyerDays::Decode("20000:0"));
  EXPECT_FALSE(BuyerDays::Decode("20000"));
  EXPECT_TRUE(BuyerDays::Decode(""));
  EXPECT_FALSE(DayGaps::Decode("1:2|x:1|"));
  EXPECT_FALSE(DayGaps::Decode("1:2,1:3||"));
  ASSERT_TRUE(DayGaps::Decode("||"));
  EXPECT_TRUE(DayGaps::Decode("||")->Empty());
}

}  // namespace
}  // namespace xd::insight::internal
