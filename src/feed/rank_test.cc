// The ranking core's promises (rank.h): the exposure rules hold on every page of a scripted
// multi-page feed, the new-merchant boost decays, search keeps relevance bands, and hot shops
// ignore self-purchases and refunds.
#include "feed/rank.h"
#include "feed/bands.h"
#include "feed/internal/ranker.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

namespace xd::feed {
namespace {

constexpr int64_t kNow = 1'767'225'600'000;
constexpr int64_t kDay = 24LL * 3600 * 1000;

// 10 head merchants whose products the model likes far more than the 50 long-tail merchants'
// (so the guarantee has work to do), 8 categories, 6 products per merchant.
struct World {
  std::vector<Candidate> candidates;
  std::vector<MerchantFacts> merchants;
};
World MakeWorld() {
  World w;
  std::mt19937_64 rng(42);
  for (int m = 1; m <= 60; ++m) {
    const bool head = m <= 10;
    w.merchants.push_back({m, head ? m : 10 + m, kNow - 400 * kDay});
    for (int k = 0; k < 6; ++k) {
      Candidate c;
      c.product_id = m * 100 + k;
      c.merchant_id = m;
      c.category = "c" + std::to_string((m + k) % 8);
      c.price_fen = 5000 + static_cast<int64_t>(rng() % 5000);
      c.signals.category_affinity = head ? 0.9 : 0.3;
      c.signals.impressions = 1000;
      c.signals.clicks = head ? 120 : 20;
      c.signals.purchases = head ? 30 : 2;
      w.candidates.push_back(c);
    }
  }
  return w;
}

TEST(RankTest, GuaranteeAndCapsHoldOnEveryPageOfAScriptedFeed) {
  const World w = MakeWorld();
  ExposurePolicy policy;
  policy.head_merchants = 10;
  policy.long_tail_share_bps = 4000;
  policy.max_per_merchant_per_page = 2;
  policy.max_per_merchant_per_user_day = 3;
  policy.max_per_category_per_page = 3;
  const Model model = Model::Default();

  RankRequest req;
  req.now_ms = kNow;
  req.page_size = 20;
  req.merchants = w.merchants;
  std::set<int64_t> shown;
  std::map<int64_t, int> day_total;
  int pages = 0;
  for (int p = 0; p < 20; ++p) {
    req.candidates.clear();
    for (const auto& c : w.candidates) {
      if (!shown.count(c.product_id)) req.candidates.push_back(c);
    }
    const Page page = Rank(model, policy, req);
    if (page.items.empty()) break;
    ++pages;
    std::map<int64_t, int> per_merchant;
    std::map<std::string, int> per_category;
    int long_tail = 0;
    for (size_t i = 0; i < page.items.size(); ++i) {
      const RankedItem& it = page.items[i];
      EXPECT_EQ(it.position, req.first_position + static_cast<int64_t>(i));
      EXPECT_TRUE(shown.insert(it.product_id).second) << "product shown twice " << it.product_id;
      EXPECT_LE(++per_merchant[it.merchant_id], policy.max_per_merchant_per_page);
      EXPECT_LE(++day_total[it.merchant_id], policy.max_per_merchant_per_user_day);
      EXPECT_LE(++per_category[req.candidates[it.candidate].category],
                policy.max_per_category_per_page);
      EXPECT_EQ(it.long_tail, it.merchant_id > 10);
      if (it.long_tail) ++long_tail;
      // The floor position by position: after i+1 slots at least floor((i+1)·40%).
      EXPECT_GE(long_tail, static_cast<int>((i + 1) * 4 / 10)) << "page " << p << " slot " << i;
    }
    EXPECT_EQ(long_tail, page.long_tail_items);
    for (const auto& it : page.items) ++req.shown_today[it.merchant_id];
    req.first_position += static_cast<int64_t>(page.items.size());
  }
  EXPECT_GE(pages, 9);  // 180 items, 20 a page; the last pages run short on merchants
  // The day cap is what ends the feed: 60 merchants × 3 items.
  EXPECT_EQ(static_cast<int>(shown.size()), 60 * 3);
}

// What the visitor asked for by following a shop or befriending someone shows on every page,
// even when the model scores it last: five followed-shop and friend products the model likes
// least among 360 come one per page by slot kSocialSlot until the caps stop them (their shop's
// day cap of 3 ends them after three pages).
TEST(RankTest, EveryPageShowsASocialItemBySlotTwoWhileOneIsAllowed) {
  World w = MakeWorld();
  // Merchant 60 (long tail, the least liked): four followed-shop products, one a friend
  // recommended, one plain; all scored below everything else.
  std::set<int64_t> social;
  for (auto& c : w.candidates) {
    if (c.merchant_id != 60) continue;
    const int64_t k = c.product_id % 100;
    c.signals.category_affinity = 0, c.signals.clicks = 0, c.signals.purchases = 0;
    c.price_fen = 100;
    if (k == 5) continue;
    c.source = k == 4 ? Source::kFriendRecommendation : Source::kFollowedShop;
    social.insert(c.product_id);
  }
  ExposurePolicy policy;
  policy.head_merchants = 10;
  policy.long_tail_share_bps = 4000;
  policy.max_per_merchant_per_page = 2;
  policy.max_per_merchant_per_user_day = 3;  // merchant 60 shows three of its six, no more
  policy.max_per_category_per_page = 20;
  const Model model = Model::Default();
  const RankRequest req{.now_ms = kNow, .candidates = w.candidates, .merchants = w.merchants};
  const internal::Ranker ranker(model, policy, req);
  const std::vector<Page> pages = ranker.Pages(10, 1000, {});
  ASSERT_GE(pages.size(), 5u);
  int shown_social = 0;
  for (size_t p = 0; p < pages.size(); ++p) {
    int first_social = -1;
    for (size_t i = 0; i < pages[p].items.size(); ++i) {
      if (!social.count(pages[p].items[i].product_id)) continue;
      ++shown_social;
      if (first_social < 0) first_social = static_cast<int>(i);
    }
    // Three social items the day cap allows: pages 0-2 have one each by slot 2, later pages none.
    if (p < 3) {
      EXPECT_GE(first_social, 0) << "page " << p;
      EXPECT_LE(first_social, kSocialSlot) << "page " << p;
    } else {
      EXPECT_EQ(first_social, -1) << "page " << p;
    }
  }
  EXPECT_EQ(shown_social, 3);
  // Without the social sources the same products come last: the first pages have none.
  std::vector<Candidate> plain = w.candidates;
  for (auto& c : plain) c.source = Source::kPersonalised;
  const RankRequest plain_req{.now_ms = kNow, .candidates = plain, .merchants = w.merchants};
  const internal::Ranker by_score(model, policy, plain_req);
  const std::vector<Page> by_score_pages = by_score.Pages(10, 0, {});
  for (const RankedItem& it : by_score_pages.front().items)
    EXPECT_FALSE(social.count(it.product_id)) << it.product_id;
}

TEST(RankTest, WithoutTheGuaranteeTheHeadTakesThePage) {
  // The scripted world above is one where the guarantee binds: by score alone the first page
  // has (far) fewer long-tail items than the floor, and the guarantee marks what it placed.
  const World w = MakeWorld();
  ExposurePolicy policy;
  policy.head_merchants = 10;
  policy.long_tail_share_bps = 0;
  RankRequest req;
  req.now_ms = kNow;
  req.candidates = w.candidates;
  req.merchants = w.merchants;
  const Page free_page = Rank(Model::Default(), policy, req);
  ASSERT_EQ(free_page.items.size(), 20u);
  // Item counts on a page of 20, not times: 8 is the 40% long-tail floor (4,000 bps).
  EXPECT_LT(free_page.long_tail_items, 8);
  policy.long_tail_share_bps = 4000;
  const Page fair_page = Rank(Model::Default(), policy, req);
  EXPECT_GE(fair_page.long_tail_items, 8);
  int guaranteed = 0;
  for (const auto& it : fair_page.items) guaranteed += it.guaranteed ? 1 : 0;
  EXPECT_GT(guaranteed, 0);
}

TEST(RankTest, SameInputsSamePage) {
  const World w = MakeWorld();
  RankRequest req;
  req.now_ms = kNow;
  req.candidates = w.candidates;
  req.merchants = w.merchants;
  const Page a = Rank(Model::Default(), ExposurePolicy{}, req);
  std::reverse(req.candidates.begin(), req.candidates.end());
  const Page b = Rank(Model::Default(), ExposurePolicy{}, req);
  ASSERT_EQ(a.items.size(), b.items.size());
  for (size_t i = 0; i < a.items.size(); ++i)
    EXPECT_EQ(a.items[i].product_id, b.items[i].product_id);
}

// The feed ranks its pages in one pass (internal/ranker.h); every page must be the one Rank gives
// when the pages before it are replayed: their items removed from the candidates and counted in
// shown_today. Random worlds with duplicate products (two sources), caps that bind, a day cap
// already half used, several page sizes and policies.
TEST(RankTest, RankerPagesAreTheReplayedRankPages) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 40; ++round) {
    RankRequest req;
    req.now_ms = kNow;
    const int merchants = 5 + static_cast<int>(rng() % 40);
    for (int m = 1; m <= merchants; ++m)
      req.merchants.push_back({m, static_cast<int64_t>(rng() % 8), kNow - static_cast<int64_t>(rng() % 60) * kDay});
    const int products = 10 + static_cast<int>(rng() % 300);
    for (int k = 0; k < products; ++k) {
      Candidate c;
      c.product_id = 1000 + static_cast<int64_t>(rng() % (products * 9 / 10 + 1));  // some twice
      c.merchant_id = 1 + static_cast<int64_t>(rng() % merchants);
      c.category = "c" + std::to_string(rng() % 5);
      c.price_fen = 100 + static_cast<int64_t>(rng() % 20000);
      c.source = static_cast<Source>(rng() % 6);
      c.signals.category_affinity = static_cast<double>(rng() % 100) / 100;
      c.signals.impressions = static_cast<int64_t>(rng() % 500);
      c.signals.clicks = static_cast<int64_t>(rng() % 50);
      c.signals.purchases = static_cast<int64_t>(rng() % 10);
      req.candidates.push_back(c);
    }
    for (int m = 1; m <= merchants; m += 3) req.shown_today[m] = static_cast<int>(rng() % 4);
    ExposurePolicy policy;
    policy.head_merchants = static_cast<int64_t>(rng() % 6);
    policy.long_tail_share_bps = static_cast<int64_t>(rng() % 10001);
    policy.max_per_merchant_per_page = 1 + static_cast<int>(rng() % 3);
    policy.max_per_merchant_per_user_day = 1 + static_cast<int>(rng() % 8);
    policy.max_per_category_per_page = 1 + static_cast<int>(rng() % 4);
    const int page_size = 5 + static_cast<int>(rng() % 26);
    const int64_t through = page_size * static_cast<int64_t>(rng() % 12);

    const internal::Ranker ranker(Model::Default(), policy, req);
    const std::vector<Page> pages = ranker.Pages(page_size, through, req.shown_today);

    RankRequest replay = req;
    replay.page_size = page_size;
    std::set<int64_t> placed;
    size_t compared = 0;
    for (int64_t start = 0;; start += page_size) {
      replay.candidates.clear();
      for (const Candidate& c : req.candidates)
        if (!placed.count(c.product_id)) replay.candidates.push_back(c);
      replay.first_position = start;
      const Page want = Rank(Model::Default(), policy, replay);
      ASSERT_LT(compared, pages.size()) << "round " << round;
      const Page& got = pages[compared++];
      ASSERT_EQ(got.items.size(), want.items.size()) << "round " << round << " page at " << start;
      EXPECT_EQ(got.long_tail_items, want.long_tail_items);
      for (size_t i = 0; i < got.items.size(); ++i) {
        EXPECT_EQ(got.items[i].product_id, want.items[i].product_id) << "round " << round;
        EXPECT_EQ(got.items[i].position, want.items[i].position);
        EXPECT_EQ(got.items[i].guaranteed, want.items[i].guaranteed);
        EXPECT_EQ(got.items[i].score, want.items[i].score);
        EXPECT_EQ(req.candidates[got.items[i].candidate].product_id, got.items[i].product_id);
      }
      if (start >= through || want.items.empty()) break;
      for (const RankedItem& it : want.items) {
        placed.insert(it.product_id);
        ++replay.shown_today[it.merchant_id];
      }
    }
    EXPECT_EQ(compared, pages.size()) << "round " << round;
  }
}

TEST(RankTest, NewMerchantBoostDecaysWithAge) {
  ExposurePolicy policy;
  policy.new_merchant_boost_bps = 20000;
  policy.new_merchant_half_life_ms = 5 * kDay;
  policy.new_merchant_window_ms = 20 * kDay;
  EXPECT_DOUBLE_EQ(NewMerchantBoost(policy, 0), 2.0);
  EXPECT_NEAR(NewMerchantBoost(policy, 5 * kDay), 1.0, 1e-12);
  EXPECT_NEAR(NewMerchantBoost(policy, 10 * kDay), 0.5, 1e-12);
  double prev = 1e9;
  for (int64_t d = 0; d < 20; ++d) {
    const double b = NewMerchantBoost(policy, d * kDay);
    EXPECT_LT(b, prev);
    prev = b;
  }
  EXPECT_EQ(NewMerchantBoost(policy, 20 * kDay), 0);
  EXPECT_EQ(NewMerchantBoost(policy, 400 * kDay), 0);

  // In a page: a new merchant's product a little worse than an old one's comes first while the
  // merchant is new, and second once the boost has decayed.
  RankRequest req;
  req.page_size = 2;
  Candidate old_c{1, 1, "a", 10000, Source::kPersonalised, {0.5, 0, 1000, 50, 5}};
  Candidate new_c{2, 2, "b", 9000, Source::kPersonalised, {0.5, 0, 1000, 50, 5}};
  req.candidates = {old_c, new_c};
  ExposurePolicy p2 = policy;
  p2.long_tail_share_bps = 0;
  req.merchants = {{1, 5, kNow - 300 * kDay}, {2, 0, kNow - 1 * kDay}};
  req.now_ms = kNow;
  EXPECT_EQ(Rank(Model::Default(), p2, req).items[0].product_id, 2);
  req.now_ms = kNow + 25 * kDay;
  EXPECT_EQ(Rank(Model::Default(), p2, req).items[0].product_id, 1);
}

TEST(RankTest, SearchKeepsRelevanceBandsAndReordersOnlyInside) {
  ExposurePolicy policy;
  policy.head_merchants = 1;
  const std::vector<MerchantFacts> merchants = {{1, 1, kNow - 400 * kDay},
                                                {2, 50, kNow - 400 * kDay}};
  // Band 1: relevance 10.0, 9.8 (within 5%); band 2: 8.0, 7.9; a lone 2.0.
  std::vector<SearchHit> hits = {
      {11, 1, 10.0}, {21, 2, 9.8}, {12, 1, 8.0}, {22, 2, 7.9}, {13, 1, 2.0}};
  const auto order = RerankSearch(policy, kNow, hits, merchants);
  EXPECT_EQ(order, (std::vector<int64_t>{21, 11, 22, 12, 13}));
  // A head merchant's clearly more relevant hit is never passed.
  hits = {{11, 1, 10.0}, {21, 2, 5.0}};
  EXPECT_EQ(RerankSearch(policy, kNow, hits, merchants), (std::vector<int64_t>{11, 21}));
  // A merchant's second hit in a band comes after the other merchants' first.
  hits = {{11, 1, 10.0}, {12, 1, 10.0}, {31, 3, 9.9}, {32, 3, 9.9}};
  EXPECT_EQ(RerankSearch(policy, kNow, hits, merchants), (std::vector<int64_t>{31, 11, 32, 12}));
}

TEST(RankTest, SelfPurchasesAndRefundsCannotRaiseHotShopRank) {
  // Shop 1 (a brand) and shop 2 (small, honestly growing); shop 3 tries to buy its way up.
  std::vector<HotOrder> honest;
  int64_t buyer = 1000;
  for (int d = 1; d <= 28; ++d) {
    for (int k = 0; k < 20; ++k)
      honest.push_back({1, buyer++, 20000, kNow - d * kDay - 1, false, false});
    honest.push_back({2, buyer++, 3000, kNow - d * kDay - 1, false, false});
    honest.push_back({3, buyer++, 3000, kNow - d * kDay - 1, false, false});
  }
  for (int k = 0; k < 20; ++k) honest.push_back({1, buyer++, 21000, kNow - 3600'000, false, false});
  for (int k = 0; k < 6; ++k) honest.push_back({2, buyer++, 3000, kNow - 3600'000, false, false});
  honest.push_back({3, buyer++, 3000, kNow - 3600'000, false, false});

  const auto before = HotShops(honest, kNow);
  std::vector<HotOrder> gamed = honest;
  for (int k = 0; k < 200; ++k) {
    gamed.push_back({3, 3, 50000, kNow - 1000 - k, /*self_purchase=*/true, false});
    gamed.push_back({3, buyer++, 50000, kNow - 2000 - k, false, /*refunded=*/true});
  }
  const auto after = HotShops(gamed, kNow);
  ASSERT_EQ(before.size(), after.size());
  for (size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(before[i].merchant_id, after[i].merchant_id);
    EXPECT_DOUBLE_EQ(before[i].score, after[i].score);
    EXPECT_EQ(before[i].recent_fen, after[i].recent_fen);
  }
  // Velocity, not size: the small shop taking off ranks above the brand growing 5%.
  ASSERT_GE(before.size(), 2u);
  EXPECT_EQ(before[0].merchant_id, 2);
  // The same orders counted as honest would have made shop 3 the hottest: the filter matters.
  for (auto& o : gamed) o.self_purchase = o.refunded = false;
  EXPECT_EQ(HotShops(gamed, kNow)[0].merchant_id, 3);
}

TEST(RankTest, OneBuyerCannotMakeAShopHot) {
  std::vector<HotOrder> orders;
  for (int k = 0; k < 50; ++k) orders.push_back({7, 1, 100000, kNow - 1000 - k, false, false});
  orders.push_back({7, 2, 1000, kNow - 5000, false, false});
  const auto shops = HotShops(orders, kNow);
  ASSERT_EQ(shops.size(), 1u);
  EXPECT_EQ(shops[0].buyers, 2);
  // Buyer 1 counts up to 30% of the uncapped 5,001,000 fen.
  EXPECT_EQ(shops[0].recent_fen, int64_t{5'001'000} * 3000 / 10000 + 1000);
}

TEST(RankTest, PolicyValidation) {
  EXPECT_EQ(InvalidField(ExposurePolicy{}), std::nullopt);
  ExposurePolicy p;
  p.long_tail_share_bps = 10001;
  EXPECT_EQ(InvalidField(p), "long_tail_share_bps");
  p = {};
  p.max_per_merchant_per_page = 0;
  EXPECT_EQ(InvalidField(p), "max_per_merchant_per_page");
  EXPECT_EQ(SourceFromName(SourceName(Source::kLiveNow)), Source::kLiveNow);
  EXPECT_EQ(SourceFromName("nope"), std::nullopt);
}

// Size bands (bands.h): with 10 active merchants the top 20% is 2; head_merchants 1 puts rank 1
// in the head, rank 2 in the middle, the rest (and merchants without GMV) in the long tail;
// ties rank by merchant id. The Gini of (0, 0, 0, 4) is 0.75, of equal values 0.
TEST(Bands, HeadMiddleLongTailAndGini) {
  std::vector<std::pair<int64_t, int64_t>> gmv = {{7, 500}, {3, 900}, {5, 500}, {9, 0}, {2, 100}};
  auto b = SizeBands(gmv, 10, 1);
  ASSERT_EQ(b.size(), gmv.size());
  EXPECT_EQ(b[1], SizeBand::kHead);      // 900
  EXPECT_EQ(b[2], SizeBand::kMiddle);    // 500, merchant 5 before merchant 7
  EXPECT_EQ(b[0], SizeBand::kLongTail);  // 500, merchant 7: rank 3
  EXPECT_EQ(b[3], SizeBand::kLongTail);  // no GMV
  EXPECT_EQ(b[4], SizeBand::kLongTail);
  EXPECT_STREQ(SizeBandName(SizeBand::kLongTail), "long_tail");
  EXPECT_NEAR(Gini({0, 0, 0, 4}), 0.75, 1e-12);
  EXPECT_NEAR(ExposureGini({4}, 4), 0.75, 1e-12);  // three active merchants shown nothing
  EXPECT_NEAR(Gini({3, 3, 3}), 0.0, 1e-12);
}

// The shipped head is the one the market simulator measured (decision 045): the top 20% of the
// active merchants by GMV, resolved into a count before ranking; a count set without a share is
// kept as it is.
TEST(Policy, TheDefaultHeadIsAShareOfTheMerchants) {
  const ExposurePolicy shipped;
  EXPECT_EQ(shipped.head_share_bps, 2000);
  const ExposurePolicy at_10k = Resolved(shipped, 10'000);
  EXPECT_EQ(at_10k.head_merchants, 2000);
  EXPECT_EQ(at_10k.head_share_bps, 0);
  EXPECT_EQ(Resolved(shipped, 9).head_merchants, 1);
  EXPECT_FALSE(IsLongTail(at_10k, {.merchant_id = 1, .gmv_rank = 2000}));
  EXPECT_TRUE(IsLongTail(at_10k, {.merchant_id = 1, .gmv_rank = 2001}));
  ExposurePolicy count;
  count.head_share_bps = 0, count.head_merchants = 7;
  EXPECT_EQ(Resolved(count, 10'000).head_merchants, 7);
  ExposurePolicy bad;
  bad.head_share_bps = 10001;
  EXPECT_EQ(InvalidField(bad), "head_share_bps");
}

}  // namespace
}  // namespace xd::feed
