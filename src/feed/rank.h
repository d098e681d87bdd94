// The ranking core of the traffic layer (issue 20, SPEC §9, decision 027): pure, store-free
// functions that turn candidates into a ranked page under exposure rules. Nothing here reads a
// store, a clock or a random source: the caller (the feed service, the search route, the market
// simulator in bench/market_sim) gathers candidates and facts and passes `now_ms` in, so the
// same inputs always give the same page.
//
//   feed::RankRequest req;                 // now_ms, page_size, first_position, seen today
//   req.candidates = ...;                  // products with their source and signals
//   req.merchants = ...;                   // GMV rank and creation time of their merchants
//   feed::Page page = feed::Rank(model, policy, req);
//   for (const auto& item : page.items) LogImpression(item.product_id, item.position);
//
// Three entry points:
//  - Rank: the home feed. Expected value = p(click) · p(buy | click) · price from a Model
//    (two logistic regressions over Features()), times a new-merchant boost; then a greedy
//    fill that keeps the exposure rules (ExposurePolicy) on every page.
//  - RerankSearch: search keeps relevance first; the exposure rules only reorder hits inside
//    one relevance band (see its contract).
//  - HotShops: GMV velocity relative to the shop's own baseline, from clean order facts.
//
// Thread-safety: every function is pure; a Model is immutable once built and may be shared
// between threads (ModelSource hands out shared_ptr<const Model>).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace xd::feed {

// Where a candidate came from (SPEC §9's mix). Every source is ranked by the same model; the
// source is a feature (a friend's recommendation clicks more) and is logged with the impression.
enum class Source {
  kFriendRecommendation,  // a friend recommended it (朋友圈推荐)
  kFollowedShop,          // a new product of a shop the user follows
  kLiveNow,               // on sale in a live room that is live now
  kPersonalised,          // from the user's tags and co-purchase
  kHotShop,               // from a shop on the hot-shops list
  kColdStart,             // anonymous visitor / new user, or a new merchant's product
};
// "friend", "followed", "live", "personalised", "hot_shop", "cold_start" (event data, JSON).
const char* SourceName(Source source);
std::optional<Source> SourceFromName(const std::string& name);

// What the caller knows about a candidate, the inputs of Features(). Counts are the product's
// recent history over all users (impressions, clicks, purchases from the event log).
struct Signals {
  double category_affinity = 0;        // the user's interest in the category, in [0, 1]
  int64_t user_typical_price_fen = 0;  // the user's usual item price; 0 when unknown
  int64_t impressions = 0;             // of this product, recent window
  int64_t clicks = 0;
  int64_t purchases = 0;
};

struct Candidate {
  int64_t product_id = 0;
  int64_t merchant_id = 0;
  std::string category;
  int64_t price_fen = 0;
  Source source = Source::kPersonalised;
  Signals signals;
};

// A merchant's facts as the exposure rules see them.
struct MerchantFacts {
  int64_t merchant_id = 0;
  int64_t gmv_rank = 0;       // 1 = the largest by recent GMV; 0 = no GMV yet (long tail)
  int64_t created_at_ms = 0;  // the merchant's opening; its age is now_ms - created_at_ms
};

// The model's inputs, one fixed vector for training and serving. kPosition is the slot the item
// was shown in (training learns position bias from logged impressions); serving sets it to 0,
// so items are compared as if each were shown first.
enum Feature : int {
  kBias = 0,
  kCategoryAffinity,
  kPriceFit,        // -|ln(price / user's typical price)|, 0 when unknown
  kCtrLogit,        // smoothed click-through rate of the product, logit
  kCvrLogit,        // smoothed purchases per click, logit
  kLogImpressions,  // ln(1 + impressions) / 10: how sure the two rates above are
  kFriend,
  kFollowed,
  kLive,
  kLogPosition,  // ln(1 + position)
  kLogPrice,     // ln(1 + price in yuan) / 5
  kFeatureCount
};
using FeatureVector = std::array<double, kFeatureCount>;
FeatureVector Features(const Candidate& c, int64_t position);

// Two logistic regressions over FeatureVector: p(click | shown) and p(buy | clicked).
// Default() is a hand-set prior for cold start, used until a trained model exists.
struct Model {
  FeatureVector click_weights{};
  FeatureVector buy_weights{};
  int64_t version = 0;  // 0 = the default prior; trained models count up
  int64_t trained_at_ms = 0;
  int64_t examples = 0;  // impressions it was trained on
  double click_auc = 0;  // on the held-out split; 0 when not measured
  double buy_auc = 0;

  static Model Default();
  double PClick(const FeatureVector& x) const;
  double PBuy(const FeatureVector& x) const;
};

// Hands the feed service the model to rank with (the trainer in insight implements it; a
// fixed model in tests). Current() never returns null.
class ModelSource {
 public:
  virtual ~ModelSource() = default;
  virtual std::shared_ptr<const Model> Current() const = 0;
};

// The exposure rules. Defaults are the ones measured in docs/traffic-simulation.md (decision 045:
// the measured head is a share of the merchants, and so is the shipped one).
struct ExposurePolicy {
  // Merchants ranked 1..head_merchants by GMV are the head; everyone else (and any merchant
  // without GMV) is the long tail the guarantee protects. With head_share_bps > 0 the head is
  // that share of the active merchants instead (rounded down): the caller turns it into
  // head_merchants with Resolved() before ranking, since the functions below read the count.
  int64_t head_merchants = 100;
  int64_t head_share_bps = 2000;  // the top 20% of merchants by GMV; 0: head_merchants as set
  // At least this share of every page's slots (rounded down, position by position: after k
  // slots, at least floor(k · share) long-tail items) goes to long-tail merchants, as long as
  // long-tail candidates remain that the caps allow.
  int64_t long_tail_share_bps = 4000;
  int max_per_merchant_per_page = 2;
  // A merchant's items shown to one user in one China-time day (all pages, all requests);
  // the caller passes what was already shown today in RankRequest::shown_today.
  int max_per_merchant_per_user_day = 8;
  // Diversity: at most this many items of one category on a page; relaxed only when no other
  // category is left among the candidates the merchant caps allow.
  int max_per_category_per_page = 3;
  // New-merchant boost: score × (1 + boost), boost = new_merchant_boost_bps/10000 halved every
  // new_merchant_half_life_ms of the merchant's age, and 0 from new_merchant_window_ms on.
  int64_t new_merchant_boost_bps = 10000;
  int64_t new_merchant_half_life_ms = 7LL * 24 * 3600 * 1000;
  int64_t new_merchant_window_ms = 30LL * 24 * 3600 * 1000;
};
// `policy` with its head as a count for `active_merchants`: head_merchants = active ·
// head_share_bps / 10000 and head_share_bps = 0 when a share is set; unchanged otherwise. What
// Rank, RerankSearch, IsLongTail and the size bands read.
ExposurePolicy Resolved(const ExposurePolicy& policy, int64_t active_merchants);
// The first field out of range ("long_tail_share_bps", …), or nullopt when the policy is valid.
std::optional<std::string> InvalidField(const ExposurePolicy& policy);

// The boost multiplier minus one for a merchant of age `age_ms` (see ExposurePolicy).
double NewMerchantBoost(const ExposurePolicy& policy, int64_t age_ms);
bool IsLongTail(const ExposurePolicy& policy, const MerchantFacts& m);

struct RankRequest {
  int64_t now_ms = 0;
  int page_size = 20;
  int64_t first_position = 0;  // the position of the page's first slot (the cursor's offset)
  std::vector<Candidate> candidates;
  // Facts of the candidates' merchants; a merchant missing here counts as long tail, age 0.
  std::vector<MerchantFacts> merchants;
  // merchant id → items of that merchant already shown to this user today (earlier pages).
  std::unordered_map<int64_t, int> shown_today;
};

struct RankedItem {
  int64_t product_id = 0;
  int64_t merchant_id = 0;
  int64_t position = 0;  // first_position + index on the page
  size_t candidate = 0;  // index into RankRequest::candidates
  Source source = Source::kPersonalised;
  double p_click = 0;
  double p_buy = 0;
  double expected_fen = 0;  // p_click · p_buy · price (a score, not money)
  double score = 0;         // expected_fen × (1 + new-merchant boost)
  bool long_tail = false;
  bool guaranteed = false;  // placed by the long-tail guarantee, not by score alone
};

struct Page {
  std::vector<RankedItem> items;  // in position order; shorter than page_size when the caps
                                  // or the candidates run out
  int long_tail_items = 0;
  int social_items = 0;  // a friend's recommendation or a followed shop's product
};

// The visitor's own social candidates (a friend's recommendation, a followed shop's new product)
// are what the visitor asked for by following and befriending: every page shows one by this
// slot (0-based), while one the caps allow remains, whatever the model scores it. Where the
// long-tail floor needs the same slot and no long-tail social item is left, the floor takes it
// and the social item the next free slot.
inline constexpr int kSocialSlot = 2;

// Ranks a page. Every page it returns keeps, for any candidates: at most
// max_per_merchant_per_page items of a merchant; shown_today + items on the page ≤
// max_per_merchant_per_user_day for each merchant; no product twice; the long-tail floor
// position by position while long-tail candidates the caps allow remain; a social item by
// kSocialSlot while one the caps allow remains (above); the category cap unless only one category remains. Ties break on product id, so the
// order is deterministic.
Page Rank(const Model& model, const ExposurePolicy& policy, const RankRequest& request);

// ---- search ----
struct SearchHit {
  int64_t product_id = 0;
  int64_t merchant_id = 0;
  double relevance = 0;  // higher is more relevant (e.g. -bm25)
};
// Relevance stays first. Hits are sorted by relevance (descending, product id on ties) and cut
// into bands: a band starts at its most relevant hit and takes every following hit whose
// relevance is at least top - band_width · |top| (band_width = band_width_bps / 10000; hits
// with equal relevance always share a band). Inside a band, and only there, the order is by
// exposure: long-tail merchants' hits and new merchants' (boosted) before head merchants',
// a merchant's second hit in the band after every other merchant's first, relevance then
// product id last. No hit ever moves to another band, so a less relevant hit never passes a
// clearly more relevant one. Returns product ids in the new order.
std::vector<int64_t> RerankSearch(const ExposurePolicy& policy, int64_t now_ms,
                                  std::vector<SearchHit> hits,
                                  const std::vector<MerchantFacts>& merchants,
                                  int64_t band_width_bps = 500);

// ---- hot shops (热门微卖场) ----
// One paid order as the hot-shops ranking sees it. The CALLER'S CONTRACT: `self_purchase` is
// true when the buyer is the merchant's owner or staff (or the merchant's own account), and
// `refunded` when any refund on the order succeeded or is in progress; HotShops drops both, so
// a merchant cannot buy its way up and a refunded order never counts.
struct HotOrder {
  int64_t merchant_id = 0;
  int64_t buyer_id = 0;
  int64_t amount_fen = 0;
  int64_t paid_at_ms = 0;
  bool self_purchase = false;
  bool refunded = false;
};
struct HotShopsOptions {
  int64_t recent_ms = 24LL * 3600 * 1000;         // velocity: GMV per day over this window
  int64_t baseline_ms = 28LL * 24 * 3600 * 1000;  // the shop's own baseline before it
  // Smoothing prior in fen per day added to both rates: a shop going from 0 to 1 yuan is not
  // "infinitely hot"; at 10 yuan/day a shop's velocity needs real sales to show.
  int64_t prior_fen_per_day = 1000;
  // One buyer's orders count up to this share of the shop's recent GMV before the cap (a friend
  // ordering many times does not make a shop hot).
  int64_t max_buyer_share_bps = 3000;
  int limit = 20;
};
struct HotShop {
  int64_t merchant_id = 0;
  double score = 0;          // ln(velocity ratio) + ln(1 + recent yuan/day) / 4
  int64_t recent_fen = 0;    // counted GMV in the recent window
  int64_t baseline_fen = 0;  // counted GMV in the baseline window
  int64_t buyers = 0;        // distinct counted buyers in the recent window
};
// Shops by score, descending (merchant id on ties), at most options.limit; orders outside
// [now - recent - baseline, now] are ignored; a shop needs a counted sale in the recent window.
std::vector<HotShop> HotShops(const std::vector<HotOrder>& orders, int64_t now_ms,
                              const HotShopsOptions& options = {});

}  // namespace xd::feed
