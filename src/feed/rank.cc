// The ranking core (rank.h): features, the model's predictions, the greedy page fill under the
// exposure rules, search re-ranking by bands, and hot shops. Pure functions, no state.
#include "feed/rank.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <unordered_set>

#include "feed/internal/math.h"
#include "feed/internal/ranker.h"

namespace xd::feed {
namespace {

using internal::Dot;
using internal::Sigmoid;

constexpr int64_t kDayMs = 24LL * 3600 * 1000;

}  // namespace

const char* SourceName(Source source) {
  switch (source) {
    case Source::kFriendRecommendation:
      return "friend";
    case Source::kFollowedShop:
      return "followed";
    case Source::kLiveNow:
      return "live";
    case Source::kPersonalised:
      return "personalised";
    case Source::kHotShop:
      return "hot_shop";
    case Source::kColdStart:
      return "cold_start";
  }
  return "personalised";
}

std::optional<Source> SourceFromName(const std::string& name) {
  for (Source s : {Source::kFriendRecommendation, Source::kFollowedShop, Source::kLiveNow,
                   Source::kPersonalised, Source::kHotShop, Source::kColdStart}) {
    if (name == SourceName(s)) return s;
  }
  return std::nullopt;
}

FeatureVector Features(const Candidate& c, int64_t position) {
  FeatureVector x{};
  const Signals& s = c.signals;
  x[kBias] = 1;
  x[kCategoryAffinity] = std::clamp(s.category_affinity, 0.0, 1.0);
  if (s.user_typical_price_fen > 0 && c.price_fen > 0) {
    x[kPriceFit] = -std::min(
        3.0, std::abs(std::log(static_cast<double>(c.price_fen) / s.user_typical_price_fen)));
  }
  // Counts from the log may disagree a little (a click logged before its impression arrived);
  // clamp so the rates stay in [0, 1].
  const double impressions = std::max<int64_t>(0, s.impressions);
  const double clicks = std::clamp<double>(s.clicks, 0, impressions);
  const double purchases = std::clamp<double>(s.purchases, 0, clicks);
  // Beta-prior smoothing (about 1 click in 30 impressions, 1 purchase in 10 clicks), centred so
  // that a product without history sits at 0.
  x[kCtrLogit] = std::log((clicks + 1) / (impressions - clicks + 30)) + std::log(30.0);
  x[kCvrLogit] = std::log((purchases + 1) / (clicks - purchases + 10)) + std::log(10.0);
  x[kLogImpressions] = std::log1p(impressions) / 10;
  x[kFriend] = c.source == Source::kFriendRecommendation ? 1 : 0;
  x[kFollowed] = c.source == Source::kFollowedShop ? 1 : 0;
  x[kLive] = c.source == Source::kLiveNow ? 1 : 0;
  x[kLogPosition] = std::log1p(static_cast<double>(std::max<int64_t>(0, position)));
  x[kLogPrice] = std::log1p(std::max<int64_t>(0, c.price_fen) / 100.0) / 5;
  return x;
}

Model Model::Default() {
  Model m;
  m.click_weights[kBias] = -3.4;
  m.click_weights[kCategoryAffinity] = 2.0;
  m.click_weights[kPriceFit] = 0.5;
  m.click_weights[kCtrLogit] = 0.8;
  m.click_weights[kFriend] = 1.0;
  m.click_weights[kFollowed] = 0.7;
  m.click_weights[kLive] = 0.5;
  m.click_weights[kLogPosition] = -0.3;
  m.buy_weights[kBias] = -2.3;
  m.buy_weights[kCategoryAffinity] = 1.0;
  m.buy_weights[kPriceFit] = 1.0;
  m.buy_weights[kCvrLogit] = 0.8;
  m.buy_weights[kFriend] = 0.5;
  m.buy_weights[kLogPrice] = -0.5;
  return m;
}

double Model::PClick(const FeatureVector& x) const { return Sigmoid(Dot(click_weights, x)); }
double Model::PBuy(const FeatureVector& x) const { return Sigmoid(Dot(buy_weights, x)); }

std::optional<std::string> InvalidField(const ExposurePolicy& p) {
  if (p.head_merchants < 0 || p.head_merchants > 1'000'000) return "head_merchants";
  if (p.head_share_bps < 0 || p.head_share_bps > 10000) return "head_share_bps";
  if (p.long_tail_share_bps < 0 || p.long_tail_share_bps > 10000) return "long_tail_share_bps";
  if (p.max_per_merchant_per_page < 1 || p.max_per_merchant_per_page > 100) {
    return "max_per_merchant_per_page";
  }
  if (p.max_per_merchant_per_user_day < 1 || p.max_per_merchant_per_user_day > 10000) {
    return "max_per_merchant_per_user_day";
  }
  if (p.max_per_category_per_page < 1 || p.max_per_category_per_page > 100) {
    return "max_per_category_per_page";
  }
  if (p.new_merchant_boost_bps < 0 || p.new_merchant_boost_bps > 100000) {
    return "new_merchant_boost_bps";
  }
  if (p.new_merchant_half_life_ms < 3600LL * 1000 || p.new_merchant_half_life_ms > 365 * kDayMs) {
    return "new_merchant_half_life_ms";
  }
  if (p.new_merchant_window_ms < 0 || p.new_merchant_window_ms > 365 * kDayMs) {
    return "new_merchant_window_ms";
  }
  return std::nullopt;
}

ExposurePolicy Resolved(const ExposurePolicy& policy, int64_t active_merchants) {
  ExposurePolicy p = policy;
  if (p.head_share_bps > 0) {
    p.head_merchants = std::max<int64_t>(0, active_merchants) * p.head_share_bps / 10000;
    p.head_share_bps = 0;
  }
  return p;
}

double NewMerchantBoost(const ExposurePolicy& policy, int64_t age_ms) {
  if (age_ms < 0) age_ms = 0;
  if (age_ms >= policy.new_merchant_window_ms || policy.new_merchant_half_life_ms <= 0) return 0;
  return policy.new_merchant_boost_bps / 10000.0 *
         std::exp2(-static_cast<double>(age_ms) / policy.new_merchant_half_life_ms);
}

bool IsLongTail(const ExposurePolicy& policy, const MerchantFacts& m) {
  return m.gmv_rank <= 0 || m.gmv_rank > policy.head_merchants;
}

namespace internal {

Ranker::Ranker(const Model& model, const ExposurePolicy& policy, const RankRequest& request)
    : policy_(policy) {
  const auto& cands = request.candidates;
  std::unordered_map<int64_t, const MerchantFacts*> facts;
  for (const auto& m : request.merchants) facts.emplace(m.merchant_id, &m);

  // Score every candidate once; a product offered twice (two sources) keeps its best entry.
  scored_.reserve(cands.size());
  for (size_t i = 0; i < cands.size(); ++i) {
    const Candidate& c = cands[i];
    const FeatureVector x = Features(c, 0);
    RankedItem it;
    it.product_id = c.product_id;
    it.merchant_id = c.merchant_id;
    it.candidate = i;
    it.source = c.source;
    it.p_click = model.PClick(x);
    it.p_buy = model.PBuy(x);
    it.expected_fen =
        it.p_click * it.p_buy * static_cast<double>(std::max<int64_t>(0, c.price_fen));
    auto f = facts.find(c.merchant_id);
    MerchantFacts m =
        f == facts.end() ? MerchantFacts{c.merchant_id, 0, request.now_ms} : *f->second;
    it.long_tail = IsLongTail(policy, m);
    it.score = it.expected_fen * (1 + NewMerchantBoost(policy, request.now_ms - m.created_at_ms));
    scored_.push_back(it);
  }
  std::sort(scored_.begin(), scored_.end(), [](const RankedItem& a, const RankedItem& b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.product_id != b.product_id) return a.product_id < b.product_id;
    return a.candidate < b.candidate;
  });
  // Categories, merchants and products as small numbers, in score order.
  std::unordered_map<std::string, int> categories;
  std::unordered_map<int64_t, int> merchants, products;
  category_.reserve(scored_.size());
  merchant_.reserve(scored_.size());
  product_.reserve(scored_.size());
  for (const RankedItem& it : scored_) {
    category_.push_back(
        categories.emplace(cands[it.candidate].category, static_cast<int>(categories.size()))
            .first->second);
    auto m = merchants.emplace(it.merchant_id, static_cast<int>(merchants.size()));
    if (m.second) merchant_ids_.push_back(it.merchant_id);
    merchant_.push_back(m.first->second);
    product_.push_back(
        products.emplace(it.product_id, static_cast<int>(products.size())).first->second);
  }
  categories_ = static_cast<int>(categories.size());
  products_ = static_cast<int>(products.size());
}

Ranker::State Ranker::Start(const std::unordered_map<int64_t, int>& shown_today) const {
  State s;
  s.taken.assign(scored_.size(), 0);
  s.placed.assign(static_cast<size_t>(products_), 0);
  s.today.assign(merchant_ids_.size(), 0);
  if (!shown_today.empty()) {
    for (size_t m = 0; m < merchant_ids_.size(); ++m) {
      auto t = shown_today.find(merchant_ids_[m]);
      if (t != shown_today.end()) s.today[m] = t->second;
    }
  }
  return s;
}

Page Ranker::Fill(int64_t first_position, int page_size, State& state) const {
  Page page;
  state.page_merchants.clear();
  const ExposurePolicy& policy = policy_;
  std::vector<int> on_page(merchant_ids_.size(), 0);                   // per merchant
  std::vector<int> per_category(static_cast<size_t>(categories_), 0);  // per category
  auto merchant_ok = [&](size_t i) {
    if (state.placed[static_cast<size_t>(product_[i])]) return false;
    const size_t m = static_cast<size_t>(merchant_[i]);
    const int page_n = on_page[m];
    if (page_n >= policy.max_per_merchant_per_page) return false;
    return state.today[m] + page_n < policy.max_per_merchant_per_user_day;
  };
  auto category_ok = [&](size_t i) {
    return per_category[static_cast<size_t>(category_[i])] < policy.max_per_category_per_page;
  };
  auto social = [&](size_t i) {
    return scored_[i].source == Source::kFriendRecommendation ||
           scored_[i].source == Source::kFollowedShop;
  };
  // The best remaining item passing the checks, or -1.
  auto pick = [&](bool need_long_tail, bool need_category, bool need_social = false) -> long {
    for (size_t i = 0; i < scored_.size(); ++i) {
      if (state.taken[i]) continue;
      if (need_long_tail && !scored_[i].long_tail) continue;
      if (need_social && !social(i)) continue;
      if (!merchant_ok(i)) continue;
      if (need_category && !category_ok(i)) continue;
      return static_cast<long>(i);
    }
    return -1;
  };

  for (int k = 0; k < page_size; ++k) {
    // The floor after k+1 slots: floor((k+1) · share).
    const int64_t floor_lt = (static_cast<int64_t>(k) + 1) * policy.long_tail_share_bps / 10000;
    const bool want_lt = page.long_tail_items < floor_lt;
    const bool want_social =
        page.social_items == 0 && k >= std::min(kSocialSlot, page_size - 1);
    long i = -1;
    bool guaranteed = false;
    if (want_lt) {
      // A long-tail social item answers both wants at once.
      if (want_social) i = pick(true, true, true);
      if (i < 0) i = pick(true, true);
      if (i >= 0) {
        // Placed by the guarantee only if the best item overall was someone else.
        const long best = pick(false, true);
        guaranteed = best != i;
      }
    }
    // The social slot, unless the long-tail floor took this one (then the next).
    if (i < 0 && want_social) i = pick(false, true, true);
    if (i < 0) i = pick(false, true);
    if (i < 0 && want_lt) i = pick(true, false);  // category cap relaxed: no other category left
    if (i < 0) i = pick(false, false);
    if (i < 0) break;
    const size_t at = static_cast<size_t>(i);
    state.taken[at] = 1;
    state.placed[static_cast<size_t>(product_[at])] = 1;
    RankedItem it = scored_[at];
    it.position = first_position + k;
    it.guaranteed = guaranteed;
    ++on_page[static_cast<size_t>(merchant_[at])];
    state.page_merchants.push_back(merchant_[at]);
    ++per_category[static_cast<size_t>(category_[at])];
    if (it.long_tail) ++page.long_tail_items;
    if (social(at)) ++page.social_items;
    page.items.push_back(it);
  }
  return page;
}

std::vector<Page> Ranker::Pages(int page_size, int64_t through_offset,
                                const std::unordered_map<int64_t, int>& shown_today) const {
  std::vector<Page> pages;
  State state = Start(shown_today);
  for (int64_t start = 0;; start += page_size) {
    pages.push_back(Fill(start, page_size, state));
    const Page& page = pages.back();
    if (start >= through_offset || page.items.empty() || page_size <= 0) break;
    // What this page placed counts toward the day caps of the pages after it.
    for (int m : state.page_merchants) ++state.today[static_cast<size_t>(m)];
  }
  return pages;
}

size_t Ranker::bytes() const {
  return sizeof(*this) + scored_.capacity() * sizeof(RankedItem) +
         (category_.capacity() + merchant_.capacity() + product_.capacity()) * sizeof(int) +
         merchant_ids_.capacity() * sizeof(int64_t);
}

}  // namespace internal

Page Rank(const Model& model, const ExposurePolicy& policy, const RankRequest& request) {
  const internal::Ranker ranker(model, policy, request);
  internal::Ranker::State state = ranker.Start(request.shown_today);
  return ranker.Fill(request.first_position, request.page_size, state);
}

std::vector<int64_t> RerankSearch(const ExposurePolicy& policy, int64_t now_ms,
                                  std::vector<SearchHit> hits,
                                  const std::vector<MerchantFacts>& merchants,
                                  int64_t band_width_bps) {
  std::unordered_map<int64_t, const MerchantFacts*> facts;
  for (const auto& m : merchants) facts.emplace(m.merchant_id, &m);
  std::sort(hits.begin(), hits.end(), [](const SearchHit& a, const SearchHit& b) {
    if (a.relevance != b.relevance) return a.relevance > b.relevance;
    return a.product_id < b.product_id;
  });
  const double width = std::max<int64_t>(0, band_width_bps) / 10000.0;
  std::vector<int64_t> out;
  out.reserve(hits.size());
  size_t start = 0;
  while (start < hits.size()) {
    const double top = hits[start].relevance;
    const double lowest = top - width * std::abs(top);
    size_t end = start + 1;
    while (end < hits.size() && (hits[end].relevance >= lowest || hits[end].relevance == top)) {
      ++end;
    }
    struct Keyed {
      int tier;        // 0: long tail or new merchant, 1: head
      int occurrence;  // the merchant's n-th hit in this band (0 first)
      const SearchHit* hit;
    };
    std::vector<Keyed> band;
    std::unordered_map<int64_t, int> seen;
    for (size_t i = start; i < end; ++i) {
      const SearchHit& h = hits[i];
      auto f = facts.find(h.merchant_id);
      MerchantFacts m = f == facts.end() ? MerchantFacts{h.merchant_id, 0, now_ms} : *f->second;
      const bool favoured =
          IsLongTail(policy, m) || NewMerchantBoost(policy, now_ms - m.created_at_ms) > 0;
      band.push_back({favoured ? 0 : 1, seen[h.merchant_id]++, &h});
    }
    std::sort(band.begin(), band.end(), [](const Keyed& a, const Keyed& b) {
      if (a.occurrence != b.occurrence) return a.occurrence < b.occurrence;
      if (a.tier != b.tier) return a.tier < b.tier;
      if (a.hit->relevance != b.hit->relevance) return a.hit->relevance > b.hit->relevance;
      return a.hit->product_id < b.hit->product_id;
    });
    for (const auto& k : band) out.push_back(k.hit->product_id);
    start = end;
  }
  return out;
}

std::vector<HotShop> HotShops(const std::vector<HotOrder>& orders, int64_t now_ms,
                              const HotShopsOptions& options) {
  const int64_t recent_from = now_ms - options.recent_ms;
  const int64_t baseline_from = recent_from - options.baseline_ms;
  struct Acc {
    int64_t recent_fen = 0;
    int64_t baseline_fen = 0;
    std::map<int64_t, int64_t> recent_by_buyer;
  };
  std::map<int64_t, Acc> shops;
  for (const HotOrder& o : orders) {
    // The anti-gaming rules: a merchant's own purchases and refunded orders never count.
    if (o.self_purchase || o.refunded || o.amount_fen <= 0) continue;
    if (o.paid_at_ms > now_ms || o.paid_at_ms < baseline_from) continue;
    Acc& a = shops[o.merchant_id];
    if (o.paid_at_ms >= recent_from) {
      a.recent_by_buyer[o.buyer_id] += o.amount_fen;
    } else {
      a.baseline_fen += o.amount_fen;
    }
  }
  std::vector<HotShop> out;
  const double recent_days = std::max<int64_t>(1, options.recent_ms) / double(kDayMs);
  const double baseline_days = std::max<int64_t>(1, options.baseline_ms) / double(kDayMs);
  const double prior = static_cast<double>(options.prior_fen_per_day);
  for (auto& [merchant, a] : shops) {
    int64_t uncapped = 0;
    for (const auto& [buyer, fen] : a.recent_by_buyer) uncapped += fen;
    if (uncapped <= 0) continue;
    const int64_t cap = std::max<int64_t>(1, uncapped * options.max_buyer_share_bps / 10000);
    for (const auto& [buyer, fen] : a.recent_by_buyer) a.recent_fen += std::min(fen, cap);
    HotShop h;
    h.merchant_id = merchant;
    h.recent_fen = a.recent_fen;
    h.baseline_fen = a.baseline_fen;
    h.buyers = static_cast<int64_t>(a.recent_by_buyer.size());
    const double recent_rate = a.recent_fen / recent_days;
    const double baseline_rate = a.baseline_fen / baseline_days;
    h.score = std::log((recent_rate + prior) / (baseline_rate + prior)) +
              std::log1p(recent_rate / 100.0) / 4;
    out.push_back(h);
  }
  std::sort(out.begin(), out.end(), [](const HotShop& x, const HotShop& y) {
    if (x.score != y.score) return x.score > y.score;
    return x.merchant_id < y.merchant_id;
  });
  if (options.limit >= 0 && out.size() > static_cast<size_t>(options.limit)) {
    out.resize(options.limit);
  }
  return out;
}

}  // namespace xd::feed
