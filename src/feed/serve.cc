// The home feed, hot shops, search re-ranking and the fairness report (feed.h): the candidates
// and facts are gathered here from the trading store and the data platform; every ordering
// decision is rank.h's.
#include <algorithm>
#include <cmath>
#include <list>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "base/clock.h"
#include "base/crypto.h"
#include "base/id.h"
#include "base/messages.h"
#include "feed/bands.h"
#include "feed/features.h"
#include "feed/feed.h"
#include "feed/internal/ranker.h"
#include "insight/insight.h"

namespace xd::feed {

namespace {

constexpr int64_t kDayMs = 24LL * 3600 * 1000;

// A product as a feed card shows it.
struct Card {
  int64_t id = 0, merchant_id = 0, price_fen = 0, created_at_ms = 0;
  int64_t merchant_created_at_ms = 0;  // the merchant's age, for the new-merchant boost
  std::string title, image, category, merchant_name;
};

const std::string kCardColumns =
    "SELECT p.id, p.merchant_id, p.min_price_fen, p.title, p.images, p.category, m.name, "
    "p.created_at_ms, m.created_at_ms ";
const std::string kCardSelect = kCardColumns + "FROM products p JOIN merchants m ON m.id = p.merchant_id ";
// The followed shops' products: the user's follows drive (CROSS JOIN keeps SQLite's join order;
// PostgreSQL reads it as the inner join it is). Joined the other way round, SQLite walked every
// product on sale by its status index and probed the follows for each (35 ms of CPU at 39,000
// products, bench/feed.sh).
const std::string kFollowedSelect =
    kCardColumns + "FROM favorite_shops f CROSS JOIN products p JOIN merchants m ON m.id = p.merchant_id ";
// Cards for a list of ids (bound as one JSON array, Dialect::IdsIn): the list drives. Written as
// `p.id IN (list)`, SQLite's planner (no idea of the list's length) walked every product on sale
// by the status index and tested each against the list: 3 ms of CPU per signed-in feed page at
// 39,000 products, most of the page's cost (bench/feed.sh, decision 036). `ids.value` is the
// list's column on both backends.
std::string ByIdsSelect(const Dialect& d) {
  return kCardColumns + "FROM " + d.IdsIn("?") +
         " ids CROSS JOIN products p JOIN merchants m ON m.id = p.merchant_id ";
}
// A sale that counts for hot shops and a new shop's first sale (orders o of merchants m): not
// the shop's owner or staff buying, and no refund asked for, in progress or made.
const std::string kCleanSale =
    "(m.owner_user_id IS NULL OR m.owner_user_id <> o.buyer_id) AND NOT EXISTS(SELECT 1 FROM "
    "staff s WHERE s.merchant_id = o.merchant_id AND s.user_id = o.buyer_id) AND "
    "COALESCE(o.refunded_fen, 0) <= 0 AND o.status NOT IN ('refunding','refunded') AND NOT "
    "EXISTS(SELECT 1 FROM refunds rf WHERE rf.order_id = o.id)";
const char* kOnSale = "p.status='on_sale' AND p.taken_down=0 AND m.status='active'";

Card CardOf(const Row& row) {
  Card c;
  c.id = row.Int(0), c.merchant_id = row.Int(1), c.price_fen = row.Int(2);
  c.title = row.Str(3);
  Json images = row.JsonAt(4);
  if (images.is_array() && !images.empty() && images[0].is_string()) c.image = images[0];
  c.category = row.Str(5), c.merchant_name = row.Str(6);
  c.created_at_ms = row.Int(7);
  c.merchant_created_at_ms = row.Int(8);
  return c;
}

Json CardJson(const Card& c) {
  return Json{{"id", IdString(c.id)},          {"title", c.title},
              {"image", c.image},              {"min_price_fen", c.price_fen},
              {"category", c.category},        {"merchant_id", IdString(c.merchant_id)},
              {"merchant_name", c.merchant_name}};
}

// One candidate with what its card and its reason need.
struct Gathered {
  Card card;
  Source source = Source::kColdStart;
  std::string friend_name, friend_text;
};

// Adds `g` unless the product is there already from a stronger source (the enum's order:
// a friend's recommendation first, cold start last).
void AddCandidate(std::vector<Gathered>& out, std::unordered_map<int64_t, size_t>& index,
                  Gathered g) {
  auto it = index.find(g.card.id);
  if (it == index.end()) {
    index[g.card.id] = out.size();
    out.push_back(std::move(g));
  } else if (static_cast<int>(g.source) < static_cast<int>(out[it->second].source)) {
    out[it->second] = std::move(g);
  }
}

Result<std::vector<Card>> Cards(Reader& r, const std::string& where, Params params,
                                const std::string& select = kCardSelect) {
  ASSIGN_OR_RETURN(Rows rows, r.Query(select + where, std::move(params)));
  std::vector<Card> out;
  out.reserve(rows.size());
  for (const Row& row : rows) out.push_back(CardOf(row));
  return out;
}

int64_t ChinaDay(int64_t ms) { return insight::DayOf(ms); }

// The cursor: "<feed id>.<as-of ms>.<offset>.<page size>"; the feed id is 16 hex digits.
struct Cursor {
  std::string feed_id;
  int64_t as_of_ms = 0, offset = 0;
  int page_size = config::kDefaultPageSize;
};

std::optional<Cursor> ParseCursor(const std::string& s) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i)
    if (i == s.size() || s[i] == '.') {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  if (parts.size() != 4 || parts[0].size() != 16) return std::nullopt;
  for (char ch : parts[0])
    if (!std::isxdigit(static_cast<unsigned char>(ch))) return std::nullopt;
  Cursor c;
  c.feed_id = parts[0];
  auto as_of = ParseId(parts[1]);
  auto offset = ParseId(parts[2]);
  auto size = ParseId(parts[3]);
  if (!as_of || (!offset && parts[2] != "0") || !size) return std::nullopt;
  c.as_of_ms = *as_of;
  c.offset = offset.value_or(0);
  if (c.offset > config::kMaxFeedItems || *size < 1 || *size > config::kMaxPageSize)
    return std::nullopt;
  c.page_size = static_cast<int>(*size);
  return c;
}

Result<Json> LiveCards(Reader& r, int64_t user_id, int limit) {
  ASSIGN_OR_RETURN(
      Rows rows,
      r.Query("SELECT lr.id, lr.title, lr.cover, lr.merchant_id, m.name, "
              "CASE WHEN f.user_id IS NULL THEN 1 ELSE 0 END AS followed_last "
              "FROM live_rooms lr JOIN merchants m ON m.id = lr.merchant_id "
              "LEFT JOIN favorite_shops f ON f.merchant_id = lr.merchant_id AND f.user_id = ?1 "
              "WHERE lr.status='live' AND m.status='active' "
              "ORDER BY followed_last, lr.started_at_ms DESC, lr.id LIMIT ?2",
              {user_id, int64_t{limit}}));
  Json out = Json::array();
  for (const Row& row : rows)
    out.push_back(Json{{"kind", "live"},
                       {"position", static_cast<int64_t>(out.size())},  // among the live cards
                       {"room",
                        {{"id", IdString(row.Int(0))},
                         {"title", row.Str(1)},
                         {"cover", row.Str(2)},
                         {"merchant_id", IdString(row.Int(3))},
                         {"merchant_name", row.Str(4)},
                         {"followed", row.Int(5) == 0}}}});
  return out;
}

double Round4(double x) { return std::round(x * 10000) / 10000; }

// ---- prepared feeds (decision 036) ----
// A feed's pages used to gather and score its candidates again on every request, and to replay
// the pages before it with Rank once each. Now the candidates of one feed (one cursor's feed id,
// instant and visitor) are gathered and scored once, into a Prepared kept in a small LRU, and a
// page re-reads only what must be fresh: the policy and what the visitor was shown today.
constexpr int64_t kPreparedMs = 60'000;      // a prepared feed serves its later pages this long
constexpr size_t kPreparedBytes = 64u << 20;  // every prepared feed together (about)
constexpr size_t kPreparedEntries = 4096;

// Every field of the policy (a new field must be compared here: the size check says so).
bool SamePolicy(const ExposurePolicy& a, const ExposurePolicy& b) {
  static_assert(sizeof(ExposurePolicy) == 64, "ExposurePolicy changed: compare its new field here");
  return a.head_merchants == b.head_merchants && a.head_share_bps == b.head_share_bps &&
         a.long_tail_share_bps == b.long_tail_share_bps &&
         a.max_per_merchant_per_page == b.max_per_merchant_per_page &&
         a.max_per_merchant_per_user_day == b.max_per_merchant_per_user_day &&
         a.max_per_category_per_page == b.max_per_category_per_page &&
         a.new_merchant_boost_bps == b.new_merchant_boost_bps &&
         a.new_merchant_half_life_ms == b.new_merchant_half_life_ms &&
         a.new_merchant_window_ms == b.new_merchant_window_ms;
}

const std::shared_ptr<const Model>& DefaultModel() {
  static const std::shared_ptr<const Model> model = std::make_shared<const Model>(Model::Default());
  return model;
}

size_t BytesOf(const Gathered& g) {
  return sizeof(Gathered) + g.card.title.capacity() + g.card.image.capacity() +
         g.card.category.capacity() + g.card.merchant_name.capacity() + g.friend_name.capacity() +
         g.friend_text.capacity();
}

// One feed ready to rank: its candidates as of its instant, scored by `model` under `policy`.
// Immutable once built (the anonymous memo below has its own lock).
struct Prepared {
  int64_t built_at_ms = 0;
  std::shared_ptr<const Model> model;
  ExposurePolicy policy;
  std::shared_ptr<const void> shared;  // the snapshot's candidates `cands` points into
  std::vector<Gathered> own;           // the signed-in user's own candidates
  std::vector<const Gathered*> cands;  // the Ranker's candidates, in its order
  std::optional<internal::Ranker> ranker;
  // Anonymous feeds of one snapshot are one feed: for a visitor shown nothing today its pages are
  // the same for everyone, so they are ranked once per page size (at most 26 sizes, each at most
  // kMaxFeedItems items) and shared.
  bool memo_pages = false;
  mutable std::mutex memo_mu;
  mutable std::map<int, std::vector<Page>> memo;
  size_t bytes = 0;
};

// The page the stateless cursor names in `pages` (ranked from position 0 in steps of
// `page_size`): the first at or past `offset`, or the first empty one; null when `pages` stops
// short of both.
const Page* PageAt(const std::vector<Page>& pages, int page_size, int64_t offset) {
  for (size_t k = 0; k < pages.size(); ++k)
    if (static_cast<int64_t>(k) * page_size >= offset || pages[k].items.empty()) return &pages[k];
  return nullptr;
}

// The prepared feeds, least recently used dropped first; bounded by entries and bytes. Keys name
// the visitor, so one user's feed is never served to another.
class PreparedFeeds {
 public:
  std::shared_ptr<const Prepared> Find(const std::string& key, int64_t now_ms, const Model* model,
                                       const ExposurePolicy& policy) {
    std::lock_guard lock(mu_);
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    const Prepared& p = *it->second->second;
    if (now_ms < p.built_at_ms || now_ms - p.built_at_ms >= kPreparedMs || p.model.get() != model ||
        !SamePolicy(p.policy, policy)) {
      Drop(it->second);
      return nullptr;
    }
    lru_.splice(lru_.begin(), lru_, it->second);
    return lru_.front().second;
  }

  void Put(const std::string& key, std::shared_ptr<const Prepared> p) {
    std::lock_guard lock(mu_);
    if (auto it = index_.find(key); it != index_.end()) Drop(it->second);
    bytes_ += p->bytes;
    lru_.emplace_front(key, std::move(p));
    index_[key] = lru_.begin();
    while (!lru_.empty() && (lru_.size() > kPreparedEntries || bytes_ > kPreparedBytes))
      Drop(std::prev(lru_.end()));
  }

 private:
  using Entries = std::list<std::pair<std::string, std::shared_ptr<const Prepared>>>;
  void Drop(Entries::iterator it) {
    bytes_ -= it->second->bytes;
    index_.erase(it->first);
    lru_.erase(it);
  }
  std::mutex mu_;
  Entries lru_;  // most recently used first
  std::unordered_map<std::string, Entries::iterator> index_;
  size_t bytes_ = 0;
};

// What every visitor's feed shares (the snapshot, FeedService::Shared): live rooms' products,
// hot shops' products, the newest products and the best sellers, with their recent counts; the
// head merchants by GMV; the live cards an anonymous first page shows.
struct SharedData {
  int64_t as_of_ms = 0;  // when it was read: the instant of the anonymous feeds it serves
  int64_t previous_as_of_ms = -1;  // the snapshot's before it (anonymous feeds still paging)
  // Immutable once published. Prepared feeds point into it and keep it alive (the list, not the
  // snapshot: the snapshot owns the prepared feeds, and an entry holding it would be a cycle).
  std::shared_ptr<const std::vector<Gathered>> candidates;
  std::unordered_map<int64_t, int64_t> gmv_rank;  // merchant → 1.. (head merchants only)
  int64_t active_merchants = 0;                   // what a head share is a share of
  std::unordered_map<int64_t, insight::Insight::ProductCounts> counts;  // of the candidates
  Json live_cards = Json::array();
  std::shared_ptr<PreparedFeeds> feeds;  // handed on from each snapshot to the next
  // The best sellers of each category a signed-in user's interests asked for (the personalised
  // source is the same list for everyone with that interest), read once per snapshot; at most
  // kCategoryLists categories (past that, read per request).
  mutable std::mutex categories_mu;
  mutable std::unordered_map<std::string, std::shared_ptr<const std::vector<Card>>> best_in_category;
};

// The best sellers on sale, at most `limit`: of `category` when it is not empty, of `merchants`
// when that is not empty, else of every product. Ordered by paid units without self-purchases
// (the data platform's product_sales, decision 045: a shop buying from itself does not lift its
// products into these pools); when fewer than `limit` have counted sales, the newest fill the
// rest. Without the data platform, by products.sales, which counts self-purchases (nothing else
// is known then).
Result<std::vector<Card>> BestSellers(Reader& r, insight::Insight* insight,
                                      const std::string& category,
                                      const std::vector<int64_t>& merchants, int limit) {
  // The pool in the trading store's order: `order` ends in "LIMIT ?".
  auto pool = [&](const std::string& order) -> Result<std::vector<Card>> {
    const int64_t n = limit;
    if (!merchants.empty())
      return Cards(r, "WHERE p.merchant_id = ids.value AND " + std::string(kOnSale) + order,
                   {IdListParam(merchants), n}, ByIdsSelect(r.dialect()));
    if (!category.empty())
      return Cards(r, "WHERE p.category = ? AND " + std::string(kOnSale) + order, {category, n});
    return Cards(r, "WHERE " + std::string(kOnSale) + order, {n});
  };
  if (!insight) return pool(" ORDER BY p.sales DESC, p.id LIMIT ?");
  // Twice the list: some of the best sellers may be off sale now.
  ASSIGN_OR_RETURN(std::vector<int64_t> best, insight->BestSellers(category, merchants, 2 * limit));
  std::vector<Card> out;
  if (!best.empty()) {
    // The category as the product has it now (product_sales keeps the one its last sale logged).
    ASSIGN_OR_RETURN(std::vector<Card> cards,
                     category.empty() || !merchants.empty()
                         ? Cards(r, "WHERE p.id = ids.value AND " + std::string(kOnSale),
                                 {IdListParam(best)}, ByIdsSelect(r.dialect()))
                         : Cards(r, "WHERE p.id = ids.value AND p.category = ? AND " +
                                        std::string(kOnSale),
                                 {IdListParam(best), category}, ByIdsSelect(r.dialect())));
    std::unordered_map<int64_t, size_t> at;
    for (size_t i = 0; i < best.size(); ++i) at.emplace(best[i], i);
    std::sort(cards.begin(), cards.end(),
              [&](const Card& a, const Card& b) { return at[a.id] < at[b.id]; });
    if (cards.size() > static_cast<size_t>(limit)) cards.resize(limit);
    out = std::move(cards);
  }
  if (out.size() < static_cast<size_t>(limit)) {
    std::unordered_set<int64_t> have;
    for (const Card& c : out) have.insert(c.id);
    ASSIGN_OR_RETURN(std::vector<Card> newest, pool(" ORDER BY p.id DESC LIMIT ?"));
    for (Card& c : newest)
      if (out.size() < static_cast<size_t>(limit) && !have.count(c.id)) out.push_back(std::move(c));
  }
  return out;
}

constexpr size_t kCategoryLists = 256;

Result<std::shared_ptr<const std::vector<Card>>> BestInCategory(Reader& r,
                                                                insight::Insight* insight,
                                                                const SharedData& sd,
                                                                const std::string& category) {
  {
    std::lock_guard lock(sd.categories_mu);
    if (auto it = sd.best_in_category.find(category); it != sd.best_in_category.end())
      return it->second;
  }
  ASSIGN_OR_RETURN(std::vector<Card> cards,
                   BestSellers(r, insight, category, {}, config::kInterestCandidates));
  auto list = std::make_shared<const std::vector<Card>>(std::move(cards));
  std::lock_guard lock(sd.categories_mu);
  if (sd.best_in_category.size() < kCategoryLists) sd.best_in_category.emplace(category, list);
  return list;
}

// A candidate with its signals by the trainer's definitions (features.h, decision 045): the
// product's history over the data platform's product-days (`k`, null: none logged) and the
// visitor's (empty when anonymous).
Candidate CandidateOf(const Gathered& g, const VisitorHistory& visitor,
                      const insight::Insight::ProductCounts* k) {
  Candidate c;
  c.product_id = g.card.id;
  c.merchant_id = g.card.merchant_id;
  c.category = g.card.category;
  c.price_fen = g.card.price_fen;
  c.source = g.source;
  ProductHistory history;
  if (k) history = {k->impressions, k->views, k->paid_units};
  c.signals = SignalsOf(history, visitor, c.category, insight::config::kInterestHalfLifeMs);
  return c;
}

// The visitor's strongest categories decayed to `now_ms`, strongest first (name on ties), at
// most `n`: the personalised source's categories.
std::vector<std::string> TopCategories(const VisitorHistory& v, int64_t now_ms, size_t n) {
  std::vector<std::pair<double, std::string>> scored;
  const double half = static_cast<double>(insight::config::kInterestHalfLifeMs);
  for (const auto& in : v.interests) {
    const double age = static_cast<double>(std::max<int64_t>(0, now_ms - in.updated_ms));
    scored.emplace_back(static_cast<double>(in.score_milli) * std::exp2(-age / half), in.category);
  }
  std::sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::vector<std::string> out;
  for (size_t i = 0; i < scored.size() && i < n; ++i) out.push_back(scored[i].second);
  return out;
}

// The user's own candidates (friends' recommendations, followed shops' new products, products
// of the user's interest categories, bought with what the user bought), as of `as_of_ms`, each
// product once from its strongest source.
Status GatherOwn(Reader& r, insight::Insight* insight, const SharedData& sd, int64_t user_id, int64_t as_of_ms,
                 const std::vector<std::string>& interests,
                 const std::vector<int64_t>& bought_with, std::vector<Gathered>& own) {
  std::unordered_map<int64_t, size_t> index;
  ASSIGN_OR_RETURN(
      Rows recs,
      r.Query(std::string("SELECT p.id, p.merchant_id, p.min_price_fen, p.title, p.images, "
                          "p.category, m.name, p.created_at_ms, m.created_at_ms, u.nickname, "
                          "rc.text FROM friendships f JOIN recommendations rc ON rc.user_id = "
                          "f.friend_id JOIN products p ON p.id = rc.product_id "
                          "JOIN merchants m ON m.id = p.merchant_id "
                          "JOIN users u ON u.id = rc.user_id "
                          "WHERE f.user_id = ? AND rc.created_at_ms <= ? AND ") +
                  kOnSale + " ORDER BY rc.created_at_ms DESC, rc.id LIMIT ?",
              {user_id, as_of_ms, int64_t{config::kFriendCandidates}}));
  for (const Row& row : recs)
    AddCandidate(own, index, {CardOf(row), Source::kFriendRecommendation, row.Str(9), row.Str(10)});
  ASSIGN_OR_RETURN(
      std::vector<Card> followed,
      Cards(r,
            std::string("WHERE f.user_id = ? AND p.merchant_id = f.merchant_id AND "
                        "p.created_at_ms >= ? AND p.created_at_ms <= ? AND ") +
                kOnSale + " ORDER BY p.created_at_ms DESC, p.id LIMIT ?",
            {user_id, as_of_ms - config::kFollowedNewMs, as_of_ms,
             int64_t{config::kFollowedCandidates}},
            kFollowedSelect));
  for (Card& c : followed) AddCandidate(own, index, {std::move(c), Source::kFollowedShop});
  for (size_t i = 0; i < interests.size() && i < 3; ++i) {
    ASSIGN_OR_RETURN(auto personal, BestInCategory(r, insight, sd, interests[i]));
    for (const Card& c : *personal) AddCandidate(own, index, {c, Source::kPersonalised});
  }
  // Bought together with what the user bought lately (the data platform's co_purchases,
  // decision 040): personalised too, those on sale.
  if (!bought_with.empty()) {
    ASSIGN_OR_RETURN(std::vector<Card> together,
                     Cards(r, "WHERE p.id = ids.value AND " + std::string(kOnSale),
                           {IdListParam(bought_with)}, ByIdsSelect(r.dialect())));
    for (Card& c : together) AddCandidate(own, index, {std::move(c), Source::kPersonalised});
  }
  return Ok();
}

// Prepares one feed: the snapshot's candidates and, signed in, the user's own (a product from
// several sources keeps the strongest: friend > followed > live > personalised > hot > cold),
// products created after the feed's instant left for the next feed; their signals; the Ranker.
// With `live_cards` (a first page, signed in) the rooms live now are read in the same snapshot.
Result<std::shared_ptr<const Prepared>> Prepare(Store& store, insight::Insight* insight,
                                                int64_t user_id, int64_t as_of_ms, int64_t now_ms,
                                                const ExposurePolicy& policy,
                                                std::shared_ptr<const Model> model,
                                                const SharedData& sd,
                                                std::shared_ptr<const void> keep_alive,
                                                Json* live_cards) {
  auto p = std::make_shared<Prepared>();
  p->built_at_ms = now_ms;
  p->model = std::move(model);
  p->policy = policy;
  p->shared = std::move(keep_alive);
  VisitorHistory visitor;
  std::vector<std::string> interests;
  std::vector<int64_t> bought_with;  // none without the data platform, as no interests
  if (user_id > 0) {
    if (insight) {
      ASSIGN_OR_RETURN(visitor, insight->VisitorHistoryOf(user_id));
      interests = TopCategories(visitor, now_ms, 3);
      ASSIGN_OR_RETURN(bought_with,
                       insight->BoughtWithYours(user_id, insight::config::kCoPurchaseCandidates));
    }
    RETURN_IF_ERROR(store.Read([&](Reader& r) -> Status {
      RETURN_IF_ERROR(GatherOwn(r, insight, sd, user_id, as_of_ms, interests, bought_with, p->own));
      if (live_cards) {
        ASSIGN_OR_RETURN(*live_cards, LiveCards(r, user_id, config::kLiveCards));
      }
      return Ok();
    }));
  }
  // Merge: an own candidate replaces the shared one of the same product when its source is
  // stronger (own and shared sources never tie).
  std::unordered_map<int64_t, const Gathered*> own_by_id;
  for (const Gathered& g : p->own) own_by_id.emplace(g.card.id, &g);
  std::unordered_set<int64_t> in_shared;
  for (const Gathered& g : *sd.candidates) {
    in_shared.insert(g.card.id);
    const Gathered* pick = &g;
    if (auto o = own_by_id.find(g.card.id);
        o != own_by_id.end() && static_cast<int>(o->second->source) < static_cast<int>(g.source))
      pick = o->second;
    if (pick->card.created_at_ms <= as_of_ms) p->cands.push_back(pick);
  }
  std::vector<int64_t> own_only;
  for (const Gathered& g : p->own)
    if (!in_shared.count(g.card.id) && g.card.created_at_ms <= as_of_ms) {
      p->cands.push_back(&g);
      own_only.push_back(g.card.id);
    }
  // Signals: the snapshot's counts for its candidates, a read for the user's own.
  std::unordered_map<int64_t, insight::Insight::ProductCounts> own_counts;
  if (insight && !own_only.empty()) {
    ASSIGN_OR_RETURN(own_counts,
                     insight->ProductCountsSince(own_only, insight::HistoryFromDay(now_ms)));
  }
  RankRequest req;
  req.now_ms = as_of_ms;
  req.candidates.reserve(p->cands.size());
  std::unordered_map<int64_t, int64_t> merchant_created;
  for (const Gathered* g : p->cands) {
    const insight::Insight::ProductCounts* k = nullptr;
    if (auto it = sd.counts.find(g->card.id); it != sd.counts.end()) k = &it->second;
    else if (auto it2 = own_counts.find(g->card.id); it2 != own_counts.end()) k = &it2->second;
    req.candidates.push_back(CandidateOf(*g, visitor, k));
    merchant_created.emplace(g->card.merchant_id, g->card.merchant_created_at_ms);
  }
  req.merchants.reserve(merchant_created.size());
  for (const auto& [merchant, created] : merchant_created) {
    auto rank = sd.gmv_rank.find(merchant);
    req.merchants.push_back({merchant, rank == sd.gmv_rank.end() ? 0 : rank->second, created});
  }
  p->ranker.emplace(*p->model, policy, req);
  p->memo_pages = user_id == 0;
  p->bytes = sizeof(Prepared) + p->ranker->bytes() + p->cands.capacity() * sizeof(void*);
  for (const Gathered& g : p->own) p->bytes += BytesOf(g);
  if (p->memo_pages)
    p->bytes += static_cast<size_t>(config::kMaxPageSize) * config::kMaxFeedItems * sizeof(RankedItem);
  return std::shared_ptr<const Prepared>(std::move(p));
}

}  // namespace

struct FeedService::Shared : SharedData {};

FeedService::FeedService(Store& store, insight::Insight* insight, const ModelSource* models)
    : store_(store), insight_(insight), models_(models) {}

Result<std::vector<HotShop>> FeedService::HotList(int64_t now_ms) {
  {
    std::lock_guard lock(mu_);
    if (hot_at_ms_ >= 0 && now_ms >= hot_at_ms_ && now_ms - hot_at_ms_ < config::kHotCacheMs)
      return hot_;
  }
  HotShopsOptions options;
  options.limit = 50;
  const int64_t from = now_ms - options.recent_ms - options.baseline_ms;
  // Clean inputs (rank.h's contract) summed by the store: a self-purchase (the buyer is the
  // shop's owner or staff) and an order with any refund (asked for, in progress or done) are left
  // out, and what is left is one sum per shop over the baseline window and one per shop and
  // buyer over the recent window (rank.h caps one buyer's share of it). HotShops over these sums
  // ranks exactly as over the orders they add up (api_feed_test), but the rows read are bounded
  // by the shops and the last day's buyers, not by the orders of four weeks.
  const int64_t recent_from = now_ms - options.recent_ms;
  ASSIGN_OR_RETURN(
      std::vector<HotOrder> orders, store_.Read([&](Reader& r) -> Result<std::vector<HotOrder>> {
        ASSIGN_OR_RETURN(
            Rows rows,
            r.Query("SELECT o.merchant_id, CASE WHEN o.paid_at_ms >= ?1 THEN o.buyer_id ELSE 0 END AS "
                    "buyer, SUM(o.total_fen), MAX(o.paid_at_ms) "
                    "FROM orders o JOIN merchants m ON m.id = o.merchant_id "
                    "WHERE o.paid_at_ms IS NOT NULL AND o.paid_at_ms >= ?2 AND o.paid_at_ms <= ?3 "
                    "AND m.status='active' AND o.total_fen > 0 AND " + kCleanSale +
                    " GROUP BY 1, 2 "
                    "ORDER BY 1, 2 LIMIT 300000",
                    {recent_from, from, now_ms}));
        std::vector<HotOrder> out;
        out.reserve(rows.size());
        for (const Row& row : rows)
          out.push_back(HotOrder{row.Int(0), row.Int(1), row.Int(2), row.Int(3), false, false});
        return out;
      }));
  std::vector<HotShop> list = HotShops(orders, now_ms, options);
  std::lock_guard lock(mu_);
  hot_ = list;
  hot_at_ms_ = now_ms;
  return list;
}

Result<Json> FeedService::HotShopsJson(int limit) {
  const int64_t now = store_.clock().NowMs();
  ASSIGN_OR_RETURN(std::vector<HotShop> list, HotList(now));
  if (list.size() > static_cast<size_t>(limit)) list.resize(limit);
  return store_.Read([&](Reader& r) -> Result<Json> {
    Json items = Json::array();
    for (const HotShop& h : list) {
      ASSIGN_OR_RETURN(auto m, r.QueryOne("SELECT name, kind, description FROM merchants WHERE "
                                          "id=? AND status='active'",
                                          {h.merchant_id}));
      if (!m) continue;
      ASSIGN_OR_RETURN(std::vector<Card> products,
                       Cards(r, std::string("WHERE p.merchant_id=? AND ") + kOnSale +
                                    " ORDER BY p.sales DESC, p.id LIMIT 3",
                             {h.merchant_id}));
      Json cards = Json::array();
      for (const Card& c : products) cards.push_back(CardJson(c));
      items.push_back(Json{{"merchant_id", IdString(h.merchant_id)},
                           {"name", m->Str(0)},
                           {"kind", m->Str(1)},
                           {"description", m->Str(2)},
                           {"score", Round4(h.score)},
                           {"recent_fen", h.recent_fen},
                           {"baseline_fen", h.baseline_fen},
                           {"buyers", h.buyers},
                           {"products", cards}});
    }
    return Json{{"items", items}};
  });
}

Result<std::shared_ptr<const FeedService::Shared>> FeedService::SharedInputs(
    int64_t now_ms, const ExposurePolicy& policy) {
  std::shared_ptr<const Shared> old;
  int64_t old_at_ms = -1;
  bool claimed = false;
  {
    std::lock_guard lock(mu_);
    const bool usable = shared_ && shared_head_ == policy.head_merchants &&
                        shared_head_share_bps_ == policy.head_share_bps;
    if (usable && now_ms >= shared_at_ms_ && now_ms - shared_at_ms_ < config::kSharedCacheMs)
      return shared_;
    old = shared_;
    old_at_ms = shared_at_ms_;
    // One request refreshes a stale snapshot; the others go on with it meanwhile (its time
    // moves to now, so they find it fresh). Without a usable one, each request reads its own.
    if (usable) {
      shared_at_ms_ = now_ms;
      claimed = true;
    }
  }
  auto unclaim = [&] {
    std::lock_guard lock(mu_);
    if (claimed && shared_ == old) shared_at_ms_ = old_at_ms;
  };
  auto shared = std::make_shared<Shared>();
  shared->as_of_ms = now_ms;
  shared->feeds = old ? old->feeds : std::make_shared<PreparedFeeds>();
  shared->previous_as_of_ms = old ? old->as_of_ms : -1;
  auto hot = HotList(now_ms);
  if (!hot) {
    unclaim();
    return std::unexpected(hot.error());
  }
  std::vector<int64_t> hot_ids;
  for (size_t i = 0; i < hot->size() && i < 10; ++i) hot_ids.push_back((*hot)[i].merchant_id);
  std::unordered_map<int64_t, size_t> index;
  auto candidates = std::make_shared<std::vector<Gathered>>();
  Status read = store_.Read([&](Reader& r) -> Status {
    ASSIGN_OR_RETURN(std::vector<Card> live,
                     Cards(r, std::string("JOIN live_room_products lp ON lp.product_id = p.id "
                                          "JOIN live_rooms lr ON lr.id = lp.room_id "
                                          "WHERE lr.status='live' AND ") +
                                  kOnSale + " ORDER BY lr.started_at_ms DESC, lp.position LIMIT ?",
                           {int64_t{config::kLiveCandidates}}));
    for (Card& c : live) AddCandidate(*candidates, index, {std::move(c), Source::kLiveNow});
    if (!hot_ids.empty()) {
      ASSIGN_OR_RETURN(std::vector<Card> hot_cards, BestSellers(r, insight_, "", hot_ids, 40));
      for (Card& c : hot_cards)
        AddCandidate(*candidates, index, {std::move(c), Source::kHotShop});
    }
    ASSIGN_OR_RETURN(std::vector<Card> newest,
                     Cards(r, std::string("WHERE ") + kOnSale + " ORDER BY p.id DESC LIMIT ?",
                           {int64_t{config::kColdCandidates}}));
    for (Card& c : newest) AddCandidate(*candidates, index, {std::move(c), Source::kColdStart});
    ASSIGN_OR_RETURN(std::vector<Card> best,
                     BestSellers(r, insight_, "", {}, config::kColdCandidates / 2));
    for (Card& c : best) AddCandidate(*candidates, index, {std::move(c), Source::kColdStart});
    ASSIGN_OR_RETURN(shared->live_cards, LiveCards(r, 0, config::kLiveCards));
    ASSIGN_OR_RETURN(shared->active_merchants,
                     r.QueryInt("SELECT count(*) FROM merchants WHERE status='active'"));
    return Ok();
  });
  if (!read) {
    unclaim();
    return std::unexpected(read.error());
  }
  shared->candidates = std::move(candidates);
  if (insight_) {
    const int64_t today = ChinaDay(now_ms);
    auto top = insight_->TopMerchantsByGmv(
        ChinaDay(now_ms - config::kGmvWindowDays * kDayMs), today,
        static_cast<int>(Resolved(policy, shared->active_merchants).head_merchants));
    if (!top) {
      unclaim();
      return std::unexpected(top.error());
    }
    for (size_t i = 0; i < top->size(); ++i)
      shared->gmv_rank[(*top)[i]] = static_cast<int64_t>(i + 1);
    std::vector<int64_t> ids;
    ids.reserve(shared->candidates->size());
    for (const Gathered& g : *shared->candidates) ids.push_back(g.card.id);
    auto counts = insight_->ProductCountsSince(ids, insight::HistoryFromDay(now_ms));
    if (!counts) {
      unclaim();
      return std::unexpected(counts.error());
    }
    shared->counts = std::move(*counts);
  }
  std::lock_guard lock(mu_);
  shared_ = shared;
  shared_at_ms_ = now_ms;
  shared_head_ = policy.head_merchants;
  shared_head_share_bps_ = policy.head_share_bps;
  return std::shared_ptr<const Shared>(shared);
}

Result<Json> FeedService::Feed(const FeedQuery& q) {
  const int64_t now = store_.clock().NowMs();
  Cursor cur;
  const bool fresh = q.cursor.empty();
  if (!fresh) {
    auto parsed = ParseCursor(q.cursor);
    if (!parsed) return Fail(Msg::INVALID_FIELD, {Field("cursor")});
    cur = *parsed;
  }
  if (cur.offset >= config::kMaxFeedItems)
    return Json{{"feed_id", cur.feed_id}, {"items", Json::array()}, {"next_cursor", nullptr}};
  ASSIGN_OR_RETURN(ExposurePolicy policy, store_.Read([](Reader& r) { return LoadPolicy(r); }));
  ASSIGN_OR_RETURN(std::shared_ptr<const Shared> shared, SharedInputs(now, policy));
  policy = Resolved(policy, shared->active_merchants);
  if (fresh) {
    cur.feed_id = RandomHex(8);
    // An anonymous feed is the snapshot's: its instant is the snapshot's, so every anonymous
    // feed begun on one snapshot ranks the same candidates the same way (one Prepared).
    cur.as_of_ms = q.user_id > 0 ? now : shared->as_of_ms;
    cur.page_size = std::clamp(q.page_size, 1, config::kMaxPageSize);
  }

  // The feed prepared (gathered as of its instant, scored), from the cache or now. A key names
  // the user (a user's feed is never another's); anonymous feeds share one per instant.
  std::shared_ptr<const Model> model = models_ ? models_->Current() : DefaultModel();
  const std::string key = std::to_string(q.user_id) + "." + (q.user_id > 0 ? cur.feed_id : "") +
                          "." + std::to_string(cur.as_of_ms);
  Json live_cards = Json::array();
  bool have_live = false;
  std::shared_ptr<const Prepared> prep = shared->feeds->Find(key, now, model.get(), policy);
  if (!prep) {
    have_live = q.user_id > 0 && cur.offset == 0;
    ASSIGN_OR_RETURN(prep, Prepare(store_, insight_, q.user_id, cur.as_of_ms, now, policy, model,
                                   *shared, shared->candidates, have_live ? &live_cards : nullptr));
    // Anonymous feeds are kept only at instants this service gave out (the current snapshot's
    // and the one before): a made-up cursor cannot push the others' feeds out.
    if (q.user_id > 0 || cur.as_of_ms == shared->as_of_ms ||
        cur.as_of_ms == shared->previous_as_of_ms)
      shared->feeds->Put(key, prep);
  }
  if (cur.offset == 0 && !have_live) {
    if (q.user_id == 0) {
      live_cards = shared->live_cards;
    } else {
      ASSIGN_OR_RETURN(live_cards, store_.Read([&](Reader& r) {
        return LiveCards(r, q.user_id, config::kLiveCards);
      }));
    }
  }

  // What the feed showed the visitor today in other feeds (impressions logged): the per-day caps
  // count it, and this feed's pages before this one are replayed on top of it (decision 028;
  // their own impressions, logged meanwhile, are left out so the replay is the pages served).
  std::unordered_map<int64_t, int> shown_before;
  if (insight_) {
    std::string visitor = q.user_id > 0 ? "u" + std::to_string(q.user_id)
                          : q.device_id.empty() ? ""
                                                : "d" + q.device_id;
    if (!visitor.empty()) {
      ASSIGN_OR_RETURN(shown_before, insight_->ShownOnDay(visitor, ChinaDay(now), cur.feed_id));
    }
  }
  Page page;
  if (prep->memo_pages && shown_before.empty()) {
    std::lock_guard lock(prep->memo_mu);
    std::vector<Page>& pages = prep->memo[cur.page_size];
    if (!PageAt(pages, cur.page_size, cur.offset))
      pages = prep->ranker->Pages(cur.page_size, config::kMaxFeedItems, {});
    page = *PageAt(pages, cur.page_size, cur.offset);
  } else {
    std::vector<Page> pages = prep->ranker->Pages(cur.page_size, cur.offset, std::move(shown_before));
    page = std::move(pages.back());
  }
  if (cur.offset > 0 && page.items.empty() == false && page.items.front().position != cur.offset)
    page.items.clear();  // the replay ran out before this page: the feed has ended

  Json items = std::move(live_cards);
  for (const RankedItem& it : page.items) {
    const Gathered& g = *prep->cands[it.candidate];
    Json item{{"kind", "product"},
              {"position", it.position},
              {"source", SourceName(it.source)},
              {"long_tail", it.long_tail},
              {"product", CardJson(g.card)}};
    if (it.source == Source::kFriendRecommendation)
      item["friend"] = Json{{"nickname", g.friend_name}, {"text", g.friend_text}};
    items.push_back(std::move(item));
  }
  const int64_t next = cur.offset + cur.page_size;
  const bool more = static_cast<int>(page.items.size()) == cur.page_size && next < config::kMaxFeedItems;
  return Json{{"feed_id", cur.feed_id},
              {"items", items},
              {"next_cursor", more ? Json(cur.feed_id + "." + std::to_string(cur.as_of_ms) + "." +
                                          std::to_string(next) + "." +
                                          std::to_string(cur.page_size))
                                   : Json(nullptr)}};
}

Result<FeatureVector> FeedService::ServingFeatures(int64_t user_id, int64_t product_id,
                                                   Source source) {
  const int64_t now = store_.clock().NowMs();
  ASSIGN_OR_RETURN(std::vector<Card> cards, store_.Read([&](Reader& r) {
    return Cards(r, "WHERE p.id = ?", {product_id});
  }));
  if (cards.empty()) return Fail(Msg::PRODUCT_NOT_FOUND);
  VisitorHistory visitor;
  std::unordered_map<int64_t, insight::Insight::ProductCounts> counts;
  if (insight_) {
    if (user_id > 0) {
      ASSIGN_OR_RETURN(visitor, insight_->VisitorHistoryOf(user_id));
    }
    ASSIGN_OR_RETURN(counts, insight_->ProductCountsSince({product_id}, insight::HistoryFromDay(now)));
  }
  auto k = counts.find(product_id);
  return Features(CandidateOf({cards.front(), source}, visitor, k == counts.end() ? nullptr : &k->second),
                  0);
}

Result<std::vector<int64_t>> FeedService::RerankSearchPage(const std::vector<int64_t>& ids,
                                                           const std::vector<int64_t>& merchant_ids,
                                                           const std::vector<double>& relevance) {
  const int64_t now = store_.clock().NowMs();
  ASSIGN_OR_RETURN(ExposurePolicy policy, store_.Read([](Reader& r) { return LoadPolicy(r); }));
  ASSIGN_OR_RETURN(std::shared_ptr<const Shared> shared, SharedInputs(now, policy));
  policy = Resolved(policy, shared->active_merchants);
  std::vector<SearchHit> hits;
  for (size_t i = 0; i < ids.size(); ++i) hits.push_back({ids[i], merchant_ids[i], relevance[i]});
  std::vector<MerchantFacts> facts;
  std::set<int64_t> seen(merchant_ids.begin(), merchant_ids.end());
  std::vector<int64_t> list(seen.begin(), seen.end());
  if (!list.empty()) {
    RETURN_IF_ERROR(store_.Read([&](Reader& r) -> Status {
      ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT id, created_at_ms FROM merchants WHERE id IN " +
                                              r.dialect().IdsIn("?"),
                                          {IdListParam(list)}));
      for (const Row& row : rows) {
        auto rank = shared->gmv_rank.find(row.Int(0));
        facts.push_back({row.Int(0), rank == shared->gmv_rank.end() ? 0 : rank->second, row.Int(1)});
      }
      return Ok();
    }));
  }
  return RerankSearch(policy, now, std::move(hits), facts);
}

Result<Json> FeedService::Fairness(int64_t days) {
  const int64_t now = store_.clock().NowMs();
  days = std::clamp<int64_t>(days, 1, 366);
  const int64_t to_day = ChinaDay(now), from_ms = now - (days - 1) * kDayMs,
                from_day = ChinaDay(from_ms);
  ASSIGN_OR_RETURN(ExposurePolicy policy, store_.Read([](Reader& r) { return LoadPolicy(r); }));
  std::vector<insight::Insight::MerchantExposure> rows;
  if (insight_) {
    ASSIGN_OR_RETURN(rows, insight_->MerchantExposures(from_day, to_day));
  }
  struct NewMerchant {
    int64_t created_at_ms = 0;
    std::optional<int64_t> first_sale_ms;
  };
  int64_t active = 0;
  std::vector<NewMerchant> fresh;
  RETURN_IF_ERROR(store_.Read([&](Reader& r) -> Status {
    ASSIGN_OR_RETURN(active, r.QueryInt("SELECT count(*) FROM merchants WHERE status='active'"));
    // New merchants of the window and their first sale: the hot shops' clean sale (HotList),
    // to a buyer who is not the shop's owner or staff, with no refund asked for or made.
    ASSIGN_OR_RETURN(
        Rows ms,
        r.Query("SELECT m.id, m.created_at_ms, (SELECT MIN(o.paid_at_ms) FROM orders o WHERE "
                "o.merchant_id = m.id AND o.paid_at_ms IS NOT NULL AND " + kCleanSale +
                    ") FROM merchants m WHERE m.status='active' AND "
                    "m.created_at_ms >= ? ORDER BY m.created_at_ms DESC LIMIT 10000",
                {from_ms}));
    for (const Row& row : ms) fresh.push_back({row.Int(1), row.OptInt(2)});
    return Ok();
  }));
  // Size bands by GMV over the window (bands.h: the one definition the platform BI shares).
  std::vector<std::pair<int64_t, int64_t>> gmv;
  gmv.reserve(rows.size());
  for (const auto& m : rows) gmv.emplace_back(m.merchant_id, m.gmv_fen);
  const std::vector<SizeBand> band_of =
      SizeBands(gmv, active, Resolved(policy, active).head_merchants);
  struct Band {
    const char* name;
    int64_t merchants = 0, impressions = 0, views = 0, paid_orders = 0, gmv_fen = 0;
  };
  Band bands[kSizeBands] = {{SizeBandName(SizeBand::kHead)},
                            {SizeBandName(SizeBand::kMiddle)},
                            {SizeBandName(SizeBand::kLongTail)}};
  int64_t total_impressions = 0;
  std::vector<int64_t> exposure;
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& m = rows[i];
    Band& b = bands[static_cast<int>(band_of[i])];
    ++b.merchants;
    b.impressions += m.impressions;
    b.views += m.views;
    b.paid_orders += m.paid_orders;
    b.gmv_fen += m.gmv_fen;
    total_impressions += m.impressions;
    exposure.push_back(m.impressions);
  }
  // Active merchants with no row at all were shown nothing: long tail, and zeros in the Gini.
  bands[2].merchants += std::max<int64_t>(0, active - static_cast<int64_t>(rows.size()));
  Json out_bands = Json::array();
  for (const Band& b : bands)
    out_bands.push_back(Json{
        {"band", b.name},
        {"merchants", b.merchants},
        {"impressions", b.impressions},
        {"exposure_share",
         total_impressions > 0 ? Round4(static_cast<double>(b.impressions) / total_impressions) : 0.0},
        {"views", b.views},
        {"paid_orders", b.paid_orders},
        {"gmv_fen", b.gmv_fen},
        {"conversion", b.views > 0 ? Round4(static_cast<double>(b.paid_orders) / b.views) : 0.0}});
  std::vector<int64_t> waits;
  int64_t without_sale = 0;
  for (const NewMerchant& m : fresh) {
    if (m.first_sale_ms) waits.push_back(std::max<int64_t>(0, *m.first_sale_ms - m.created_at_ms));
    else ++without_sale;
  }
  std::sort(waits.begin(), waits.end());
  // The model the feed ranks with and its offline quality (AUC on the held-out part of the
  // impressions it was trained on; 0 and version 0 for the default prior, before a training).
  const std::shared_ptr<const Model> model = models_ ? models_->Current() : DefaultModel();
  Json model_json{{"version", model->version},
                  {"trained_at", model->trained_at_ms > 0 ? Json(FormatRfc3339(model->trained_at_ms)) : Json(nullptr)},
                  {"examples", model->examples},
                  {"click_auc", Round4(model->click_auc)},
                  {"buy_auc", Round4(model->buy_auc)}};
  Json median = waits.empty() ? Json(nullptr)
                              : Json(Round4(static_cast<double>(waits[(waits.size() - 1) / 2]) /
                                            static_cast<double>(3'600'000)));
  return Json{{"days", days},
              {"from", FormatRfc3339(from_ms)},
              {"active_merchants", active},
              {"impressions", total_impressions},
              {"bands", out_bands},
              {"exposure_gini", Round4(ExposureGini(std::move(exposure), active))},
              {"long_tail_exposure_share",
               out_bands[2]["exposure_share"]},
              {"long_tail_conversion", out_bands[2]["conversion"]},
              {"new_merchants",
               {{"opened", static_cast<int64_t>(fresh.size())},
                {"with_sale", static_cast<int64_t>(waits.size())},
                {"without_sale", without_sale},
                {"median_hours_to_first_sale", median}}},
              {"policy", ToJson(policy)},
              {"model", std::move(model_json)},
              {"analytics", insight_ != nullptr}};
}

}  // namespace xd::feed
