// market_sim: a seeded, deterministic market for issue 20's traffic-distribution targets. A
// Zipf market of merchants and products with latent quality, users with latent tastes and price
// sensitivity, clicks and purchases drawn from a choice model, new merchants arriving over the
// month. The same market runs twice, with the same visits and the same random draws per
// (user, day, product) (common random numbers):
//   - "popularity": today's behaviour, the candidates sorted by all-time sales;
//   - "ranked": the real ranking code, feed::Rank with the default ExposurePolicy and a model
//     retrained every simulated night by feed::TrainModel on the day's logged impressions.
// A third world, "ranked_without_exposure_rules", runs the same model with the exposure rules off,
// to show what the fairness costs against the model alone. It prints one JSON object: per ranker GMV, conversion, the bottom 80% of merchants' share of
// impressions, the exposure Gini, new merchants' median time to first sale, and the model's
// held-out AUC; and the targets, met or not. docs/traffic-simulation.md has the results.
//
//   build/bench/market_sim                 # 10,000 merchants, 100,000 products, 50,000 users, 30
//   days build/bench/market_sim --quick         # a tenth of the market, 10 days (CI smoke)
//
// The three worlds run on three threads, each deterministic on its own; nothing reads a clock (simulated time only), so a run is reproducible.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "feed/rank.h"
#include "feed/train.h"

namespace {

using xd::feed::Candidate;
using xd::feed::ExposurePolicy;
using xd::feed::Model;
using xd::feed::RankRequest;
using Json = nlohmann::json;

constexpr int64_t kDayMs = 24LL * 3600 * 1000;
constexpr int64_t kStartMs = 1'767'225'600'000;  // 2026-01-01, simulated
constexpr int kCategories = 24;
constexpr int kPageSize = 20;

struct Options {
  uint64_t seed = 20261204;
  int merchants = 10'000;
  int products = 100'000;
  int users = 50'000;
  int days = 30;
  int new_merchants = 1'000;  // arriving over the first `arrival_days`
  int arrival_days = 20;
  int new_merchant_products = 5;
  double visit_p = 0.4;        // a user opens the feed on a given day
  double second_page_p = 0.3;  // and scrolls to a second page
  double zipf_s = 1.0;
  ExposurePolicy policy;  // the shipped defaults; the head resolved for the merchants below
  bool head_set = false;
};

uint64_t Mix(uint64_t x) {  // splitmix64's finaliser
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
// A uniform draw in [0, 1) keyed by its inputs: both rankers see the same draw for the same
// (user, day, product, purpose), so their difference is the ranking, not the dice.
double U01(uint64_t seed, uint64_t a, uint64_t b, uint64_t c, uint64_t purpose) {
  const uint64_t h = Mix(seed ^ Mix(a ^ Mix(b ^ Mix(c ^ Mix(purpose)))));
  return static_cast<double>(h >> 11) * 0x1.0p-53;
}
double Sigmoid(double z) { return 1 / (1 + std::exp(-z)); }

struct Product {
  int32_t merchant = 0;
  int32_t category = 0;
  int64_t price_fen = 0;
  double quality = 0;
  int64_t sales = 0;  // all-time, history included: what the popularity ranker sorts by
  int64_t impressions = 0, clicks = 0, purchases = 0;  // in the simulation (the model's signals)
};
struct Merchant {
  int64_t created_at_ms = 0;
  int64_t gmv_fen = 0;  // history + simulation, for the GMV rank
  bool bottom80 = false;
  bool arrives = false;
  int64_t first_sale_ms = -1;
  int64_t impressions = 0;
};
struct User {
  std::array<float, kCategories> taste{};     // latent
  std::array<float, kCategories> observed{};  // what the platform's tags say (taste + noise)
  std::array<int, 3> top{};
  int64_t typical_price_fen = 0;
  double price_sensitivity = 0;
};
struct Arrival {
  int64_t at_ms;
  int merchant;
};

struct Market {
  std::vector<Product> products;
  std::vector<Merchant> merchants;
  std::vector<User> users;
  std::vector<Arrival> arrivals;               // by time
  std::vector<std::vector<int>> new_products;  // merchant → products, for arrivals
  std::vector<std::vector<int>> by_category;   // live products per category
  int initial_merchants = 0;
};

Market Build(const Options& o) {
  Market m;
  std::mt19937_64 rng(o.seed);
  std::normal_distribution<double> n01(0, 1);
  std::uniform_real_distribution<double> u01(0, 1);
  std::array<double, kCategories> category_price{};
  for (auto& p : category_price) p = 6000 * std::exp(0.6 * n01(rng));

  m.initial_merchants = o.merchants;
  const int total_merchants = o.merchants + o.new_merchants;
  m.merchants.resize(total_merchants);
  m.new_products.resize(total_merchants);
  m.by_category.resize(kCategories);
  // Zipf sizes: merchant r (1-based) has weight r^-s; every merchant at least one product.
  std::vector<double> w(o.merchants);
  double wsum = 0;
  for (int r = 0; r < o.merchants; ++r) wsum += w[r] = std::pow(r + 1.0, -o.zipf_s);
  std::vector<int> count(o.merchants, 1);
  int left = o.products - o.merchants;
  for (int r = 0; r < o.merchants && left > 0; ++r) {
    const int extra = std::min(left, static_cast<int>((o.products - o.merchants) * w[r] / wsum));
    count[r] += extra;
    left -= extra;
  }
  for (int r = 0; left > 0; r = (r + 1) % o.merchants, --left) ++count[r];
  const double history_sales = 20.0 * o.products;  // the market's past, mostly the head's
  auto add_product = [&](int merchant, int main_category, double quality_bonus,
                         double merchant_sales) {
    Product p;
    p.merchant = merchant;
    p.category = u01(rng) < 0.7 ? main_category : static_cast<int>(rng() % kCategories);
    p.price_fen = std::max<int64_t>(
        100, static_cast<int64_t>(category_price[p.category] * std::exp(0.5 * n01(rng))));
    p.quality = n01(rng) + quality_bonus;
    if (merchant_sales > 0) {
      // History follows size far more than quality (what the head's sales rank reflects).
      const double lambda = merchant_sales * std::exp(0.3 * p.quality + 0.5 * n01(rng));
      p.sales = std::poisson_distribution<int64_t>(std::max(lambda, 1e-6))(rng);
    }
    m.products.push_back(p);
    return static_cast<int>(m.products.size() - 1);
  };
  for (int r = 0; r < o.merchants; ++r) {
    Merchant& mer = m.merchants[r];
    mer.created_at_ms = kStartMs - (60 + static_cast<int64_t>(rng() % 900)) * kDayMs;
    mer.bottom80 = r >= o.merchants / 5;  // by size at the start: ranks beyond the top 20%
    const int main_category = static_cast<int>(rng() % kCategories);
    const double bonus = r < o.merchants / 50 ? 0.2 : 0.0;  // brands are a little better
    const double per_product = history_sales * w[r] / wsum / count[r];
    for (int k = 0; k < count[r]; ++k) {
      const int id = add_product(r, main_category, bonus, per_product);
      mer.gmv_fen += m.products[id].sales * m.products[id].price_fen;
      m.by_category[m.products[id].category].push_back(id);
    }
  }
  for (int i = 0; i < o.new_merchants; ++i) {
    const int r = o.merchants + i;
    Merchant& mer = m.merchants[r];
    mer.bottom80 = true;
    mer.arrives = true;
    mer.created_at_ms = kStartMs + static_cast<int64_t>(u01(rng) * o.arrival_days * kDayMs);
    const int main_category = static_cast<int>(rng() % kCategories);
    for (int k = 0; k < o.new_merchant_products; ++k) {
      m.new_products[r].push_back(add_product(r, main_category, 0.0, 0));
    }
    m.arrivals.push_back({mer.created_at_ms, r});
  }
  std::sort(m.arrivals.begin(), m.arrivals.end(),
            [](const Arrival& a, const Arrival& b) { return a.at_ms < b.at_ms; });

  m.users.resize(o.users);
  for (User& u : m.users) {
    for (auto& t : u.taste) t = 0.1f;
    for (int k = 0; k < 3; ++k) {
      int c;
      do c = static_cast<int>(rng() % kCategories);
      while (k > 0 && std::find(u.top.begin(), u.top.begin() + k, c) != u.top.begin() + k);
      u.top[k] = c;
      u.taste[c] = k == 0 ? 1.0f : k == 1 ? 0.6f : 0.35f;
    }
    for (int c = 0; c < kCategories; ++c) {
      u.observed[c] = static_cast<float>(std::clamp(u.taste[c] + 0.15 * n01(rng), 0.0, 1.0));
    }
    u.typical_price_fen = static_cast<int64_t>(6000 * std::exp(0.5 * n01(rng)));
    u.price_sensitivity = 0.3 + 1.2 * u01(rng);
  }
  return m;
}

// kModelOnly: the same model and ranking code with the exposure rules switched off (no long-tail
// floor, no new-merchant boost; the per-merchant and category caps stay): what fairness costs.
enum class Ranker { kPopularity, kRanked, kModelOnly };

struct Metrics {
  int64_t gmv_fen = 0, impressions = 0, clicks = 0, purchases = 0, bottom80_impressions = 0;
  double gini = 0;
  double new_merchant_median_days = 0;  // +inf when fewer than half sold
  int new_merchants = 0, new_merchants_sold = 0;
  double click_auc = 0, buy_auc = 0;
  int64_t model_version = 0;
  int64_t train_examples = 0;
};

double Gini(std::vector<int64_t> v) {
  std::sort(v.begin(), v.end());
  const double n = static_cast<double>(v.size());
  double sum = 0, weighted = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    sum += static_cast<double>(v[i]);
    weighted += static_cast<double>(i + 1) * static_cast<double>(v[i]);
  }
  if (sum == 0 || n == 0) return 0;
  return (2 * weighted) / (n * sum) - (n + 1) / n;
}

Metrics Run(Market m, const Options& options, Ranker ranker) {
  Options o = options;
  if (ranker == Ranker::kModelOnly) {
    o.policy.long_tail_share_bps = 0;
    o.policy.new_merchant_boost_bps = 0;
  }
  Metrics out;
  Model model = Model::Default();
  std::vector<xd::feed::Example> today, yesterday;
  size_t next_arrival = 0;
  std::vector<int> hot;  // the 30 best sellers, refreshed nightly
  std::vector<int64_t> gmv_rank(m.merchants.size(), 0);
  auto refresh = [&] {
    std::vector<int> idx(m.products.size());
    std::iota(idx.begin(), idx.end(), 0);
    std::partial_sort(idx.begin(), idx.begin() + 30, idx.end(), [&](int a, int b) {
      if (m.products[a].sales != m.products[b].sales)
        return m.products[a].sales > m.products[b].sales;
      return a < b;
    });
    hot.assign(idx.begin(), idx.begin() + 30);
    std::vector<int> ms(m.merchants.size());
    std::iota(ms.begin(), ms.end(), 0);
    std::sort(ms.begin(), ms.end(), [&](int a, int b) {
      if (m.merchants[a].gmv_fen != m.merchants[b].gmv_fen) {
        return m.merchants[a].gmv_fen > m.merchants[b].gmv_fen;
      }
      return a < b;
    });
    for (size_t r = 0; r < ms.size(); ++r) {
      gmv_rank[ms[r]] = m.merchants[ms[r]].gmv_fen > 0 ? static_cast<int64_t>(r + 1) : 0;
    }
  };
  refresh();
  std::vector<int> young;  // products of merchants younger than 14 days

  std::vector<int> pool;
  std::vector<Candidate> cands;
  RankRequest req;
  for (int day = 0; day < o.days; ++day) {
    const int64_t day_start = kStartMs + day * kDayMs;
    for (size_t ui = 0; ui < m.users.size(); ++ui) {
      const int64_t now = day_start + static_cast<int64_t>(ui) * kDayMs / (int64_t)m.users.size();
      while (next_arrival < m.arrivals.size() && m.arrivals[next_arrival].at_ms <= now) {
        const int r = m.arrivals[next_arrival++].merchant;
        for (int p : m.new_products[r]) {
          m.by_category[m.products[p].category].push_back(p);
          young.push_back(p);
        }
      }
      if (U01(o.seed, ui, day, 0, 1) >= o.visit_p) continue;
      const User& u = m.users[ui];
      // The candidate pool, the same for both rankers: 40 random products from each of the
      // user's three top categories (by the platform's tags), the 30 best sellers, and 10
      // products of young merchants.
      pool.clear();
      int draw = 0;
      for (int k = 0; k < 3; ++k) {
        const auto& list = m.by_category[u.top[k]];
        for (int j = 0; j < 40 && !list.empty(); ++j) {
          pool.push_back(list[static_cast<size_t>(U01(o.seed, ui, day, draw++, 2) * list.size())]);
        }
      }
      pool.insert(pool.end(), hot.begin(), hot.end());
      for (int j = 0; j < 10 && !young.empty(); ++j) {
        pool.push_back(young[static_cast<size_t>(U01(o.seed, ui, day, draw++, 3) * young.size())]);
      }
      std::sort(pool.begin(), pool.end());
      pool.erase(std::unique(pool.begin(), pool.end()), pool.end());

      req.now_ms = now;
      req.page_size = kPageSize;
      req.first_position = 0;
      req.shown_today.clear();
      std::vector<int> shown;
      const int pages = U01(o.seed, ui, day, 0, 4) < o.second_page_p ? 2 : 1;
      for (int page = 0; page < pages; ++page) {
        std::vector<int> items;
        std::vector<xd::feed::FeatureVector> features;
        if (ranker == Ranker::kPopularity) {
          std::vector<int> sorted;
          for (int p : pool) {
            if (std::find(shown.begin(), shown.end(), p) == shown.end()) sorted.push_back(p);
          }
          std::sort(sorted.begin(), sorted.end(), [&](int a, int b) {
            if (m.products[a].sales != m.products[b].sales)
              return m.products[a].sales > m.products[b].sales;
            return a < b;
          });
          if (sorted.size() > kPageSize) sorted.resize(kPageSize);
          items = sorted;
        } else {
          cands.clear();
          req.merchants.clear();
          for (int p : pool) {
            if (std::find(shown.begin(), shown.end(), p) != shown.end()) continue;
            const Product& pr = m.products[p];
            Candidate c;
            c.product_id = p;
            c.merchant_id = pr.merchant;
            c.category = std::to_string(pr.category);
            c.price_fen = pr.price_fen;
            c.source = m.merchants[pr.merchant].arrives &&
                               now - m.merchants[pr.merchant].created_at_ms < 14 * kDayMs
                           ? xd::feed::Source::kColdStart
                           : xd::feed::Source::kPersonalised;
            c.signals.category_affinity = u.observed[pr.category];
            c.signals.user_typical_price_fen = u.typical_price_fen;
            c.signals.impressions = pr.impressions;
            c.signals.clicks = pr.clicks;
            c.signals.purchases = pr.purchases;
            cands.push_back(std::move(c));
            req.merchants.push_back(
                {pr.merchant, gmv_rank[pr.merchant], m.merchants[pr.merchant].created_at_ms});
          }
          req.candidates = cands;
          const xd::feed::Page ranked = xd::feed::Rank(model, o.policy, req);
          for (const auto& it : ranked.items) {
            items.push_back(static_cast<int>(it.product_id));
            features.push_back(xd::feed::Features(req.candidates[it.candidate], it.position));
          }
        }
        for (size_t k = 0; k < items.size(); ++k) {
          const int p = items[k];
          Product& pr = m.products[p];
          Merchant& mer = m.merchants[pr.merchant];
          const int64_t position = req.first_position + static_cast<int64_t>(k);
          ++out.impressions;
          ++pr.impressions;
          ++mer.impressions;
          if (mer.bottom80) ++out.bottom80_impressions;
          // The choice model: utility from quality, taste and price fit.
          const double price_gap =
              std::log(static_cast<double>(pr.price_fen) / u.typical_price_fen);
          const double utility =
              pr.quality + 2.0 * u.taste[pr.category] - u.price_sensitivity * std::abs(price_gap);
          const double p_click =
              Sigmoid(-4.0 + 0.9 * utility - 0.3 * std::log1p(static_cast<double>(position)));
          const bool clicked = U01(o.seed, ui, day, static_cast<uint64_t>(p), 5) < p_click;
          bool bought = false;
          if (clicked) {
            ++out.clicks;
            ++pr.clicks;
            const double p_buy = Sigmoid(-2.2 + 0.8 * pr.quality + 0.8 * u.taste[pr.category] -
                                         u.price_sensitivity * std::max(0.0, price_gap));
            bought = U01(o.seed, ui, day, static_cast<uint64_t>(p), 6) < p_buy;
            if (bought) {
              ++out.purchases;
              ++pr.purchases;
              ++pr.sales;
              out.gmv_fen += pr.price_fen;
              mer.gmv_fen += pr.price_fen;
              if (mer.first_sale_ms < 0) mer.first_sale_ms = now;
            }
          }
          if (ranker != Ranker::kPopularity) today.push_back({features[k], clicked, bought});
          ++req.shown_today[pr.merchant];
          shown.push_back(p);
        }
        req.first_position += static_cast<int64_t>(items.size());
      }
    }
    // Night: the best sellers and GMV ranks refresh; the model retrains on the last two days.
    refresh();
    young.erase(std::remove_if(young.begin(), young.end(),
                               [&](int p) {
                                 return day_start + kDayMs -
                                            m.merchants[m.products[p].merchant].created_at_ms >=
                                        14 * kDayMs;
                               }),
                young.end());
    if (ranker != Ranker::kPopularity) {
      std::vector<xd::feed::Example> examples = yesterday;
      examples.insert(examples.end(), today.begin(), today.end());
      const auto report = xd::feed::TrainModel(
          examples, {.seed = o.seed + static_cast<uint64_t>(day), .max_examples = 600'000},
          day_start + kDayMs, model.version + 1);
      model = report.model;
      out.train_examples = report.train_examples;
      yesterday.swap(today);
      today.clear();
    }
  }
  out.click_auc = model.click_auc;
  out.buy_auc = model.buy_auc;
  out.model_version = model.version;

  std::vector<int64_t> exposure;
  std::vector<double> days_to_sale;
  const int64_t end_ms = kStartMs + o.days * kDayMs;
  for (const Merchant& mer : m.merchants) {
    if (mer.created_at_ms > end_ms) continue;
    exposure.push_back(mer.impressions);
    if (mer.arrives && mer.created_at_ms < kStartMs + o.arrival_days * kDayMs) {
      ++out.new_merchants;
      if (mer.first_sale_ms >= 0) {
        ++out.new_merchants_sold;
        days_to_sale.push_back(static_cast<double>(mer.first_sale_ms - mer.created_at_ms) / kDayMs);
      } else {
        days_to_sale.push_back(std::numeric_limits<double>::infinity());
      }
    }
  }
  out.gini = Gini(exposure);
  if (!days_to_sale.empty()) {
    std::sort(days_to_sale.begin(), days_to_sale.end());
    out.new_merchant_median_days = days_to_sale[(days_to_sale.size() - 1) / 2];
  }
  return out;
}

Json ToJson(const Metrics& x, Ranker r) {
  Json j;
  j["ranker"] = r == Ranker::kPopularity ? "popularity"
                : r == Ranker::kRanked     ? "ranked"
                                           : "ranked_without_exposure_rules";
  j["gmv_fen"] = x.gmv_fen;
  j["impressions"] = x.impressions;
  j["clicks"] = x.clicks;
  j["purchases"] = x.purchases;
  j["ctr"] = x.impressions ? static_cast<double>(x.clicks) / x.impressions : 0;
  j["conversion"] = x.impressions ? static_cast<double>(x.purchases) / x.impressions : 0;
  j["bottom80_exposure_share"] =
      x.impressions ? static_cast<double>(x.bottom80_impressions) / x.impressions : 0;
  j["exposure_gini"] = x.gini;
  j["new_merchants"] = x.new_merchants;
  j["new_merchants_sold"] = x.new_merchants_sold;
  // JSON has no infinity: null when fewer than half of the new merchants sold in the month.
  if (std::isfinite(x.new_merchant_median_days)) {
    j["new_merchant_median_days_to_first_sale"] = x.new_merchant_median_days;
  } else {
    j["new_merchant_median_days_to_first_sale"] = nullptr;
  }
  if (r != Ranker::kPopularity) {
    j["model"] = {{"version", x.model_version},
                  {"click_auc", x.click_auc},
                  {"buy_auc", x.buy_auc},
                  {"train_examples", x.train_examples}};
  }
  return j;
}

[[noreturn]] void Usage() {
  std::fprintf(stderr,
               "usage: market_sim [--quick] [--seed N] [--days N] [--merchants N] [--products N]\n"
               "                  [--users N] [--new-merchants N] [--arrival-days N] [--share-bps N] [--boost-bps N]\n"
               "                  [--head N] [--page-cap N] [--day-cap N] [--category-cap N]\n");
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> int64_t {
      if (i + 1 >= argc) Usage();
      return std::strtoll(argv[++i], nullptr, 10);
    };
    if (a == "--quick") {
      o.merchants = 1'000;
      o.products = 10'000;
      o.users = 5'000;
      o.new_merchants = 100;
      o.days = 10;
      o.arrival_days = 6;
    } else if (a == "--seed") {
      o.seed = static_cast<uint64_t>(next());
    } else if (a == "--days") {
      o.days = static_cast<int>(next());
    } else if (a == "--merchants") {
      o.merchants = static_cast<int>(next());
    } else if (a == "--products") {
      o.products = static_cast<int>(next());
    } else if (a == "--users") {
      o.users = static_cast<int>(next());
    } else if (a == "--arrival-days") {
      o.arrival_days = static_cast<int>(next());
    } else if (a == "--new-merchants") {
      o.new_merchants = static_cast<int>(next());
    } else if (a == "--share-bps") {
      o.policy.long_tail_share_bps = next();
    } else if (a == "--boost-bps") {
      o.policy.new_merchant_boost_bps = next();
    } else if (a == "--head") {
      o.policy.head_merchants = next();
      o.head_set = true;
    } else if (a == "--page-cap") {
      o.policy.max_per_merchant_per_page = static_cast<int>(next());
    } else if (a == "--day-cap") {
      o.policy.max_per_merchant_per_user_day = static_cast<int>(next());
    } else if (a == "--category-cap") {
      o.policy.max_per_category_per_page = static_cast<int>(next());
    } else {
      Usage();
    }
  }
  if (o.merchants < 10 || o.products < o.merchants || o.users < 1 || o.days < 1 ||
      o.new_merchants < 0 || o.arrival_days > o.days) {
    Usage();
  }
  // The shipped default: the head is a share of the merchants (ExposurePolicy::head_share_bps,
  // the top 20% by GMV: the long tail the guarantee protects is the one the report measures);
  // --head N sets a count instead, as an admin's head_merchants does.
  if (o.head_set) o.policy.head_share_bps = 0;
  const int64_t head_share_bps = o.policy.head_share_bps;
  o.policy = xd::feed::Resolved(o.policy, o.merchants);
  if (auto bad = xd::feed::InvalidField(o.policy)) {
    std::fprintf(stderr, "market_sim: invalid policy field %s\n", bad->c_str());
    return 2;
  }
  const Market market = Build(o);
  // Three independent worlds from the same market: run side by side (each is deterministic on
  // its own, so the threads change nothing but the wall time).
  Metrics pop, ours, model_only;
  std::thread t1([&] { ours = Run(market, o, Ranker::kRanked); });
  std::thread t2([&] { model_only = Run(market, o, Ranker::kModelOnly); });
  pop = Run(market, o, Ranker::kPopularity);
  t1.join();
  t2.join();

  const double ours_share =
      ours.impressions ? double(ours.bottom80_impressions) / ours.impressions : 0;
  const double gmv_ratio = pop.gmv_fen ? double(ours.gmv_fen) / pop.gmv_fen : 0;
  // Time to first sale: met when ours is at most half of popularity's; a popularity median of
  // "never within the month" (null) counts as the month's length, a lower bound.
  const double pop_days = std::isfinite(pop.new_merchant_median_days) ? pop.new_merchant_median_days
                                                                      : static_cast<double>(o.days);
  Json out;
  out["bench"] = "market_sim";
  out["seed"] = o.seed;
  out["market"] = {
      {"merchants", o.merchants}, {"products", o.products},           {"users", o.users},
      {"days", o.days},           {"new_merchants", o.new_merchants}, {"categories", kCategories},
      {"zipf_s", o.zipf_s}};
  out["policy"] = {{"head_merchants", o.policy.head_merchants},
                   {"head_share_bps", head_share_bps},
                   {"long_tail_share_bps", o.policy.long_tail_share_bps},
                   {"max_per_merchant_per_page", o.policy.max_per_merchant_per_page},
                   {"max_per_merchant_per_user_day", o.policy.max_per_merchant_per_user_day},
                   {"max_per_category_per_page", o.policy.max_per_category_per_page},
                   {"new_merchant_boost_bps", o.policy.new_merchant_boost_bps}};
  out["results"] = Json::array({ToJson(pop, Ranker::kPopularity), ToJson(ours, Ranker::kRanked),
                                ToJson(model_only, Ranker::kModelOnly)});
  out["gmv_ratio"] = gmv_ratio;
  out["gmv_ratio_vs_model_only"] =
      model_only.gmv_fen ? static_cast<double>(ours.gmv_fen) / model_only.gmv_fen : 0;
  out["targets"] = {
      {"bottom80_share_ge_0_35", ours_share >= 0.35},
      {"gmv_ratio_ge_0_97", gmv_ratio >= 0.97},
      {"new_merchant_first_sale_le_half", std::isfinite(ours.new_merchant_median_days) &&
                                              ours.new_merchant_median_days <= pop_days / 2},
  };
  std::printf("%s\n", out.dump().c_str());
  return 0;
}
