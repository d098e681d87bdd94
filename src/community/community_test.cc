// Community group buying without a server: the commission formula the posting and `xiaodian
// check` share, masked phones, and the request readers' refusals.
#include "community/community.h"

#include <gtest/gtest.h>

#include "base/messages.h"
#include "community/internal/community_internal.h"

namespace xd::community {
namespace {

using internal::CommissionFor;
using internal::CommissionLine;

TEST(Community, CommissionIsRateTimesPickedUpPartOfWhatWasKept) {
  // 2 × 990 picked at 10%, 1 × 500 picked at 15%: 198 + 75.
  std::vector<CommissionLine> lines{{990, 2, 1000}, {500, 1, 1500}};
  EXPECT_EQ(CommissionFor(lines, 10'000), 198 + 75);
  // Nothing picked up: nothing owed; a refund leaving less than the picked value shrinks it.
  EXPECT_EQ(CommissionFor({{990, 0, 1000}}, 990), 0);
  EXPECT_EQ(CommissionFor({{1000, 1, 1000}}, 500), 50);
  EXPECT_EQ(CommissionFor({{1000, 1, 1000}}, 0), 0);
  // Each line rounds down: 333 × 3% = 9.99 → 9.
  EXPECT_EQ(CommissionFor({{333, 1, 300}}, 333), 9);
}

TEST(Community, ApplicationNeedsExactlyOnePickupPoint) {
  Json base{{"merchant_id", "42"}, {"name", "王阿姨"}, {"phone", "13800001234"}};
  auto none = ApplicationFromJson(base);
  ASSERT_FALSE(none);
  EXPECT_EQ(ReasonOf(none.error()), Msg::LEADER_POINT_NEEDED);
  Json with = base;
  with["pickup_point"] = Json{{"name", "便利店"},
                              {"address", "幸福路 88 号"},
                              {"latitude", 31.2},
                              {"longitude", 121.5},
                              {"capacity", 100}};
  auto ok = ApplicationFromJson(with);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->pickup_point->latitude_e6, 31'200'000);
  with["pickup_point"]["latitude"] = 91;
  EXPECT_FALSE(ApplicationFromJson(with));
}

TEST(Community, CampaignNeedsACutoffAfterItsStartAndADate) {
  Json body{{"title", "周三蔬果团"},
            {"cutoff_at", "2026-12-09T14:00:00Z"},
            {"pickup_date", "2026-12-10"},
            {"commission_bps", 1000},
            {"items", {{{"sku_id", "7"}, {"price_fen", 990}, {"stock", 10}}}}};
  auto ok = CampaignInputFromJson(body, ParseRfc3339("2026-12-08T00:00:00Z"));
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->unpicked_rule, "refund");
  auto late = CampaignInputFromJson(body, ParseRfc3339("2026-12-10T00:00:00Z"));
  ASSERT_FALSE(late);
  EXPECT_EQ(ReasonOf(late.error()), Msg::CAMPAIGN_TIMES);
  body["pickup_date"] = "10/12/2026";
  EXPECT_EQ(ReasonOf(CampaignInputFromJson(body, 0).error()), Msg::PICKUP_DATE_INVALID);
  body["pickup_date"] = "2026-12-10";
  body["unpicked_rule"] = "keep";
  EXPECT_EQ(ReasonOf(CampaignInputFromJson(body, 0).error()), Msg::UNPICKED_RULE_INVALID);
}

}  // namespace
}  // namespace xd::community
