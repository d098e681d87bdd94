// The traffic layer's product side (issue 20, SPEC §9, decision 028): the storefront (店铺主页)
// with its follow button, the home feed (GET /feed) and hot shops (热门微卖场) on the ranking
// core of rank.h, the exposure guarantee's settings (admin) and its fairness report.
//
//   feed::FeedService feed(store, &insight, nullptr);          // nullptr: Model::Default()
//   ASSIGN_OR_RETURN(Json page, feed.Feed({.user_id = uid, .cursor = cursor}));
//   ASSIGN_OR_RETURN(Json shop, store.Read([&](Reader& r) { return feed::Storefront(r, mid, uid); }));
//
// A follow is a shop favourite (buyer.h): one table, one button, one list.
// Any node answers any page: the cursor names the feed (its id, the instant its candidates are
// taken as of) and the offset; a page ranks the pages before it again, so the caps count them
// (decision 028). A node keeps a feed prepared (candidates scored) 60 s in a bounded LRU (036);
// what a user was shown today comes from the data platform's impressions, read for every page.
// Thread-safety: FeedService may be called from any thread (its caches take mutexes); the free
// functions keep nothing.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/result.h"
#include "feed/rank.h"
#include "store/store.h"

namespace xd::insight {
class Insight;
}

namespace xd::feed {

// The public shop page of an active merchant: the shop (name, intro, kind), its followers and
// whether `viewer_user_id` (0: anonymous) follows it, its categories of on-sale products with
// counts (at most 50), and its live rooms that are live or scheduled (at most 10, live first).
// MERCHANT_NOT_FOUND unless the merchant is active. Coupons and products have their own public
// routes (GET /merchants/{id}/coupons, GET /products?merchant_id=).
Result<Json> Storefront(Reader& r, int64_t merchant_id, int64_t viewer_user_id);

// ---- the exposure guarantee's settings (one row, feed_settings; rank.h ExposurePolicy) ----
// The policy in force: the admin's, else ExposurePolicy's defaults.
Result<ExposurePolicy> LoadPolicy(Reader& r);
// Replaces the policy (INVALID_FIELD naming the first field out of range).
Status SavePolicy(Tx& tx, const ExposurePolicy& policy);
Json ToJson(const ExposurePolicy& policy);
// `base` with the fields the body names changed (unknown fields refused; days for the windows).
Result<ExposurePolicy> PolicyFromJson(const Json& body, ExposurePolicy base);

namespace config {
inline constexpr int kDefaultPageSize = 10;
inline constexpr int kMaxPageSize = 30;
inline constexpr int64_t kMaxFeedItems = 300;   // a feed ends after this many items
inline constexpr int kFriendCandidates = 60;    // per source, per request
inline constexpr int kFollowedCandidates = 60;
inline constexpr int kLiveCandidates = 40;
inline constexpr int kInterestCandidates = 30;  // per interest category (3 categories)
inline constexpr int kColdCandidates = 200;     // newest products and best sellers, shared
inline constexpr int kLiveCards = 2;            // live rooms on a feed's first page
inline constexpr int64_t kFollowedNewMs = 30LL * 24 * 3600 * 1000;  // "new" for followed shops
inline constexpr int64_t kSharedCacheMs = 10'000;  // shared candidates, head merchants
inline constexpr int64_t kHotCacheMs = 60'000;     // the hot-shops list
inline constexpr int kGmvWindowDays = 30;          // head merchants by GMV over this window
}  // namespace config

struct FeedQuery {
  int64_t user_id = 0;    // 0: anonymous (cold-start feed)
  std::string device_id;  // the shop's device id: an anonymous visitor's daily caps
  std::string cursor;     // empty: a new feed
  int page_size = config::kDefaultPageSize;
};

class FeedService {
 public:
  // `insight` may be null (no analytics: no signals, no daily caps from impressions, no GMV
  // ranks); `models` may be null (Model::Default()). Both outlive the service.
  FeedService(Store& store, insight::Insight* insight, const ModelSource* models);

  // One page of the home feed: {"feed_id","items":[…],"next_cursor"}. Items are products
  // {"kind":"product","position","source","long_tail","product":{…},"friend"?} in rank order and,
  // on the first page, live rooms now live {"kind":"live","room":{…}} (followed shops' first).
  // INVALID_FIELD for a cursor this service did not make.
  Result<Json> Feed(const FeedQuery& query);

  // Hot shops (热门微卖场): rank.h HotShops over the paid orders of the last weeks with
  // self-purchases (buyer is the shop's owner or staff) and refunded orders marked, each with its
  // name and up to 3 products. Recomputed at most once a minute.
  Result<Json> HotShopsJson(int limit);

  // The feature vector the feed ranks `product_id` by for `user_id` (0: anonymous) now, as a
  // candidate from `source` at position 0: the serving path's own inputs and CandidateOf, for
  // tests that compare it with the trainer's (decision 045). PRODUCT_NOT_FOUND for no product.
  Result<FeatureVector> ServingFeatures(int64_t user_id, int64_t product_id, Source source);

  // Search: the product ids of one relevance-ordered page re-ranked by the exposure rules
  // (rank.h RerankSearch; relevance stays first). `relevance` parallels `ids`.
  Result<std::vector<int64_t>> RerankSearchPage(const std::vector<int64_t>& ids,
                                                const std::vector<int64_t>& merchant_ids,
                                                const std::vector<double>& relevance);

  // The fairness report over the last `days` China-time days: exposure share by merchant size
  // band (head / middle / long tail by GMV rank), exposure Gini over active merchants, conversion
  // per band, new merchants' time to first sale, and the policy in force.
  Result<Json> Fairness(int64_t days);

 private:
  struct Shared;  // candidates every visitor shares and the head merchants, cached briefly
  Result<std::shared_ptr<const Shared>> SharedInputs(int64_t now_ms, const ExposurePolicy& policy);
  Result<std::vector<HotShop>> HotList(int64_t now_ms);

  Store& store_;
  insight::Insight* insight_;
  const ModelSource* models_;
  std::mutex mu_;
  std::shared_ptr<const Shared> shared_;
  int64_t shared_at_ms_ = -1;
  int64_t shared_head_ = -1;
  int64_t shared_head_share_bps_ = -1;
  std::vector<HotShop> hot_;
  int64_t hot_at_ms_ = -1;
};

}  // namespace xd::feed
