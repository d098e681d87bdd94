// The home feed, hot shops, search re-ranking and the fairness report (feed.h): the candidates
// and facts are gathered here from the trading store and the data platform; every ordering
// decision is rank.h's.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "base/clock.h"
#include "base/crypto.h"
#include "base/id.h"
#include "base/messages.h"
#include "feed/bands.h"
#include "feed/copurchase.h"
#include "feed/feed.h"
#include "insight/insight.h"

namespace xd::feed {

namespace {

constexpr int64_t kDayMs = 24LL * 3600 * 1000;

// A product as a feed card shows it.
struct Card {
  int64_t id = 0, merchant_id = 0, price_fen = 0, created_at_ms = 0;
  std::string title, image, category, merchant_name;
};

const std::string kCardColumns =
    "SELECT p.id, p.merchant_id, p.min_price_fen, p.title, p.images, p.category, m.name, "
    "p.created_at_ms ";
const std::string kCardSelect = kCardColumns + "FROM products p JOIN merchants m ON m.id = p.merchant_id ";
// The followed shops' products: the user's follows drive (CROSS JOIN keeps SQLite's join order;
// PostgreSQL reads it as the inner join it is). Joined the other way round, SQLite walked every
// product on sale by its status index and probed the follows for each (35 ms of CPU at 39,000
// products, bench/feed.sh).
const std::string kFollowedSelect =
    kCardColumns + "FROM favorite_shops f CROSS JOIN products p JOIN merchants m ON m.id = p.merchant_id ";
const char* kOnSale = "p.status='on_sale' AND p.taken_down=0 AND m.status='active'";

Card CardOf(const Row& row) {
  Card c;
  c.id = row.Int(0), c.merchant_id = row.Int(1), c.price_fen = row.Int(2);
  c.title = row.Str(3);
  Json images = row.JsonAt(4);
  if (images.is_array() && !images.empty() && images[0].is_string()) c.image = images[0];
  c.category = row.Str(5), c.merchant_name = row.Str(6);
  c.created_at_ms = row.Int(7);
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

}  // namespace

// What every visitor's feed shares: live rooms' products, hot shops' products, the newest
// products and the best sellers; and the head merchants by GMV.
struct FeedService::Shared {
  std::vector<Gathered> candidates;
  std::unordered_map<int64_t, int64_t> gmv_rank;  // merchant → 1.. (head merchants only)
};

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
                    "AND m.status='active' AND o.total_fen > 0 "
                    "AND (m.owner_user_id IS NULL OR m.owner_user_id <> o.buyer_id) "
                    "AND NOT EXISTS(SELECT 1 FROM staff s WHERE s.merchant_id = o.merchant_id AND "
                    "s.user_id = o.buyer_id) "
                    "AND COALESCE(o.refunded_fen, 0) <= 0 AND o.status NOT IN ('refunding','refunded') "
                    "AND NOT EXISTS(SELECT 1 FROM refunds rf WHERE rf.order_id = o.id) "
                    "GROUP BY 1, 2 "
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
  {
    std::lock_guard lock(mu_);
    if (shared_ && now_ms >= shared_at_ms_ && now_ms - shared_at_ms_ < config::kSharedCacheMs &&
        shared_head_ == policy.head_merchants)
      return shared_;
  }
  auto shared = std::make_shared<Shared>();
  ASSIGN_OR_RETURN(std::vector<HotShop> hot, HotList(now_ms));
  std::vector<int64_t> hot_ids;
  for (size_t i = 0; i < hot.size() && i < 10; ++i) hot_ids.push_back(hot[i].merchant_id);
  std::unordered_map<int64_t, size_t> index;
  RETURN_IF_ERROR(store_.Read([&](Reader& r) -> Status {
    ASSIGN_OR_RETURN(std::vector<Card> live,
                     Cards(r, std::string("JOIN live_room_products lp ON lp.product_id = p.id "
                                          "JOIN live_rooms lr ON lr.id = lp.room_id "
                                          "WHERE lr.status='live' AND ") +
                                  kOnSale + " ORDER BY lr.started_at_ms DESC, lp.position LIMIT ?",
                           {int64_t{config::kLiveCandidates}}));
    for (Card& c : live) AddCandidate(shared->candidates, index, {std::move(c), Source::kLiveNow});
    if (!hot_ids.empty()) {
      ASSIGN_OR_RETURN(std::vector<Card> hot_cards,
                       Cards(r, "WHERE p.merchant_id IN " + r.dialect().IdsIn("?1") + " AND " +
                                    kOnSale + " ORDER BY p.sales DESC, p.id LIMIT 40",
                             {IdListParam(hot_ids)}));
      for (Card& c : hot_cards)
        AddCandidate(shared->candidates, index, {std::move(c), Source::kHotShop});
    }
    ASSIGN_OR_RETURN(std::vector<Card> newest,
                     Cards(r, std::string("WHERE ") + kOnSale + " ORDER BY p.id DESC LIMIT ?",
                           {int64_t{config::kColdCandidates}}));
    for (Card& c : newest) AddCandidate(shared->candidates, index, {std::move(c), Source::kColdStart});
    ASSIGN_OR_RETURN(std::vector<Card> best,
                     Cards(r, std::string("WHERE ") + kOnSale +
                                  " ORDER BY p.sales DESC, p.id LIMIT ?",
                           {int64_t{config::kColdCandidates / 2}}));
    for (Card& c : best) AddCandidate(shared->candidates, index, {std::move(c), Source::kColdStart});
    return Ok();
  }));
  if (insight_) {
    const int64_t today = ChinaDay(now_ms);
    ASSIGN_OR_RETURN(std::vector<int64_t> top,
                     insight_->TopMerchantsByGmv(ChinaDay(now_ms - config::kGmvWindowDays * kDayMs),
                                                 today, static_cast<int>(policy.head_merchants)));
    for (size_t i = 0; i < top.size(); ++i) shared->gmv_rank[top[i]] = static_cast<int64_t>(i + 1);
  }
  std::lock_guard lock(mu_);
  shared_ = shared;
  shared_at_ms_ = now_ms;
  shared_head_ = policy.head_merchants;
  return std::shared_ptr<const Shared>(shared);
}

Result<Json> FeedService::Feed(const FeedQuery& q) {
  const int64_t now = store_.clock().NowMs();
  Cursor cur;
  if (q.cursor.empty()) {
    cur.feed_id = RandomHex(8);
    cur.as_of_ms = now;
    cur.page_size = std::clamp(q.page_size, 1, config::kMaxPageSize);
  } else {
    auto parsed = ParseCursor(q.cursor);
    if (!parsed) return Fail(Msg::INVALID_FIELD, {Field("cursor")});
    cur = *parsed;
  }
  if (cur.offset >= config::kMaxFeedItems)
    return Json{{"feed_id", cur.feed_id}, {"items", Json::array()}, {"next_cursor", nullptr}};
  ASSIGN_OR_RETURN(ExposurePolicy policy, store_.Read([](Reader& r) { return LoadPolicy(r); }));
  ASSIGN_OR_RETURN(std::shared_ptr<const Shared> shared, SharedInputs(now, policy));

  // The user's own candidates, as of the feed's instant.
  std::vector<Gathered> cands = shared->candidates;
  std::unordered_map<int64_t, size_t> index;
  for (size_t i = 0; i < cands.size(); ++i) index[cands[i].card.id] = i;
  std::vector<std::pair<std::string, double>> interests;
  if (insight_ && q.user_id > 0) {
    ASSIGN_OR_RETURN(interests, insight_->TopInterests(q.user_id, 10));
  }
  Json live_cards = Json::array();
  RETURN_IF_ERROR(store_.Read([&](Reader& r) -> Status {
    if (q.user_id > 0) {
      ASSIGN_OR_RETURN(
          Rows recs,
          r.Query(std::string("SELECT p.id, p.merchant_id, p.min_price_fen, p.title, p.images, "
                              "p.category, m.name, p.created_at_ms, u.nickname, rc.text "
                              "FROM friendships f JOIN recommendations rc ON rc.user_id = "
                              "f.friend_id JOIN products p ON p.id = rc.product_id "
                              "JOIN merchants m ON m.id = p.merchant_id "
                              "JOIN users u ON u.id = rc.user_id "
                              "WHERE f.user_id = ? AND rc.created_at_ms <= ? AND ") +
                      kOnSale + " ORDER BY rc.created_at_ms DESC, rc.id LIMIT ?",
                  {q.user_id, cur.as_of_ms, int64_t{config::kFriendCandidates}}));
      for (const Row& row : recs) {
        Gathered g{CardOf(row), Source::kFriendRecommendation, row.Str(8), row.Str(9)};
        AddCandidate(cands, index, std::move(g));
      }
      ASSIGN_OR_RETURN(
          std::vector<Card> followed,
          Cards(r,
                std::string("WHERE f.user_id = ? AND p.merchant_id = f.merchant_id AND "
                            "p.created_at_ms >= ? AND p.created_at_ms <= ? AND ") +
                    kOnSale + " ORDER BY p.created_at_ms DESC, p.id LIMIT ?",
                {q.user_id, cur.as_of_ms - config::kFollowedNewMs, cur.as_of_ms,
                 int64_t{config::kFollowedCandidates}},
                kFollowedSelect));
      for (Card& c : followed) AddCandidate(cands, index, {std::move(c), Source::kFollowedShop});
      for (size_t i = 0; i < interests.size() && i < 3; ++i) {
        ASSIGN_OR_RETURN(std::vector<Card> personal,
                         Cards(r, std::string("WHERE p.category = ? AND ") + kOnSale +
                                      " ORDER BY p.sales DESC, p.id LIMIT ?",
                               {interests[i].first, int64_t{config::kInterestCandidates}}));
        for (Card& c : personal) AddCandidate(cands, index, {std::move(c), Source::kPersonalised});
      }
      // Bought together with what the user bought lately (copurchase.h): personalised too.
      ASSIGN_OR_RETURN(std::vector<int64_t> bought_with,
                       BoughtWithYours(r, q.user_id, copurchase::kCandidates));
      if (!bought_with.empty()) {
        ASSIGN_OR_RETURN(std::vector<Card> together,
                         Cards(r, "WHERE p.id IN " + r.dialect().IdsIn("?") + " AND " + kOnSale,
                               {IdListParam(bought_with)}));
        for (Card& c : together) AddCandidate(cands, index, {std::move(c), Source::kPersonalised});
      }
    }
    if (cur.offset == 0) {
      ASSIGN_OR_RETURN(live_cards, LiveCards(r, q.user_id, config::kLiveCards));
    }
    return Ok();
  }));
  // Products created after the feed's instant wait for the next feed (pages stay consistent).
  std::erase_if(cands, [&](const Gathered& g) { return g.card.created_at_ms > cur.as_of_ms; });

  // Facts: merchants' GMV ranks and ages, products' recent counts, the user's interests.
  std::set<int64_t> merchant_ids;
  std::vector<int64_t> product_ids;
  for (const Gathered& g : cands) {
    merchant_ids.insert(g.card.merchant_id);
    product_ids.push_back(g.card.id);
  }
  RankRequest req;
  req.now_ms = cur.as_of_ms;
  req.page_size = cur.page_size;
  RETURN_IF_ERROR(store_.Read([&](Reader& r) -> Status {
    std::vector<int64_t> ids(merchant_ids.begin(), merchant_ids.end());
    if (ids.empty()) return Ok();
    ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT id, created_at_ms FROM merchants WHERE id IN " +
                                            r.dialect().IdsIn("?"),
                                        {IdListParam(ids)}));
    for (const Row& row : rows) {
      auto rank = shared->gmv_rank.find(row.Int(0));
      req.merchants.push_back(MerchantFacts{
          row.Int(0), rank == shared->gmv_rank.end() ? 0 : rank->second, row.Int(1)});
    }
    return Ok();
  }));
  std::unordered_map<int64_t, insight::Insight::ProductCounts> counts;
  std::unordered_map<int64_t, int> shown_before;
  if (insight_) {
    ASSIGN_OR_RETURN(counts, insight_->ProductCountsSince(product_ids, ChinaDay(now - 14 * kDayMs)));
    std::string visitor = q.user_id > 0 ? "u" + std::to_string(q.user_id)
                          : q.device_id.empty() ? ""
                                                : "d" + q.device_id;
    if (!visitor.empty()) {
      ASSIGN_OR_RETURN(shown_before, insight_->ShownOnDay(visitor, ChinaDay(now)));
    }
  }
  std::unordered_map<std::string, double> affinity(interests.begin(), interests.end());
  std::vector<Candidate> all;
  all.reserve(cands.size());
  for (const Gathered& g : cands) {
    Candidate c;
    c.product_id = g.card.id;
    c.merchant_id = g.card.merchant_id;
    c.category = g.card.category;
    c.price_fen = g.card.price_fen;
    c.source = g.source;
    if (auto a = affinity.find(g.card.category); a != affinity.end())
      c.signals.category_affinity = a->second;
    if (auto k = counts.find(g.card.id); k != counts.end()) {
      c.signals.impressions = k->second.impressions;
      c.signals.clicks = k->second.views;
      c.signals.purchases = k->second.paid_units;
    }
    all.push_back(std::move(c));
  }

  // Replay the pages before this one from the same inputs: what they placed is not placed
  // again, and counts toward the merchants' daily caps (with what impressions already logged).
  std::shared_ptr<const Model> model =
      models_ ? models_->Current() : std::make_shared<const Model>(Model::Default());
  std::unordered_set<int64_t> placed;
  req.shown_today = shown_before;
  Page page;
  for (int64_t start = 0;; start += cur.page_size) {
    req.candidates.clear();
    for (const Candidate& c : all)
      if (!placed.count(c.product_id)) req.candidates.push_back(c);
    req.first_position = start;
    page = Rank(*model, policy, req);
    if (start >= cur.offset || page.items.empty()) break;
    for (const RankedItem& it : page.items) {
      placed.insert(it.product_id);
      ++req.shown_today[it.merchant_id];
    }
  }
  if (cur.offset > 0 && page.items.empty() == false && page.items.front().position != cur.offset)
    page.items.clear();  // the replay ran out before this page: the feed has ended

  std::unordered_map<int64_t, const Gathered*> by_id;
  for (const Gathered& g : cands) by_id[g.card.id] = &g;
  Json items = live_cards;
  for (const RankedItem& it : page.items) {
    const Gathered& g = *by_id.at(it.product_id);
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

Result<std::vector<int64_t>> FeedService::RerankSearchPage(const std::vector<int64_t>& ids,
                                                           const std::vector<int64_t>& merchant_ids,
                                                           const std::vector<double>& relevance) {
  const int64_t now = store_.clock().NowMs();
  ASSIGN_OR_RETURN(ExposurePolicy policy, store_.Read([](Reader& r) { return LoadPolicy(r); }));
  ASSIGN_OR_RETURN(std::shared_ptr<const Shared> shared, SharedInputs(now, policy));
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
    // New merchants of the window and their first sale to a buyer who is not their own staff.
    ASSIGN_OR_RETURN(
        Rows ms,
        r.Query("SELECT m.id, m.created_at_ms, (SELECT MIN(o.paid_at_ms) FROM orders o WHERE "
                "o.merchant_id = m.id AND o.paid_at_ms IS NOT NULL AND o.buyer_id <> "
                "m.owner_user_id AND NOT EXISTS(SELECT 1 FROM staff s WHERE s.merchant_id = m.id "
                "AND s.user_id = o.buyer_id)) FROM merchants m WHERE m.status='active' AND "
                "m.created_at_ms >= ? ORDER BY m.created_at_ms DESC LIMIT 10000",
                {from_ms}));
    for (const Row& row : ms) fresh.push_back({row.Int(1), row.OptInt(2)});
    return Ok();
  }));
  // Size bands by GMV over the window (bands.h: the one definition the platform BI shares).
  std::vector<std::pair<int64_t, int64_t>> gmv;
  gmv.reserve(rows.size());
  for (const auto& m : rows) gmv.emplace_back(m.merchant_id, m.gmv_fen);
  const std::vector<SizeBand> band_of = SizeBands(gmv, active, policy.head_merchants);
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
              {"analytics", insight_ != nullptr}};
}

}  // namespace xd::feed
