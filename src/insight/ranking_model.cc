// RankingTrainer (ranking_model.h): examples from the log, feed::TrainModel, the model row.
#include "insight/ranking_model.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>
#include <set>

#include "base/json.h"

namespace xd::insight {
namespace {

std::string Visitor(const LogEvent& e) {
  if (e.user_id > 0) return "u" + std::to_string(e.user_id);
  if (!e.device_id.empty()) return "d" + e.device_id;
  return "";
}

// Counts of one product before the current row.
struct ProductCounts {
  int64_t impressions = 0, clicks = 0, purchases = 0;
};
// A visitor's interest so far: interactions per category, and their purchases' prices.
struct VisitorFacts {
  std::map<std::string, int64_t> by_category;
  int64_t interactions = 0;
  double log_price_sum = 0;
  int64_t priced_purchases = 0;
};

Json WeightsJson(const feed::FeatureVector& w) {
  Json a = Json::array();
  for (double v : w) a.push_back(v);
  return a;
}
bool ParseWeights(const Json& a, feed::FeatureVector& w) {
  if (!a.is_array() || a.size() != w.size()) return false;
  for (size_t i = 0; i < w.size(); ++i) {
    if (!a[i].is_number()) return false;
    w[i] = a[i].get<double>();
  }
  return true;
}

}  // namespace

std::vector<feed::Example> BuildExamples(const std::vector<LogEvent>& events,
                                         const std::unordered_map<int64_t, int64_t>& price_fen) {
  using ranking_config::kBuyWindowMs;
  using ranking_config::kClickWindowMs;
  std::vector<feed::Example> out;
  std::unordered_map<int64_t, ProductCounts> products;
  std::unordered_map<std::string, VisitorFacts> visitors;
  // (visitor, product) → indices of its impressions still inside the buy window, oldest first.
  struct Pending {
    size_t example;
    int64_t at_ms;
  };
  std::map<std::pair<std::string, int64_t>, std::deque<Pending>> pending;
  auto price_of = [&](int64_t product) {
    auto p = price_fen.find(product);
    return p == price_fen.end() ? int64_t{0} : p->second;
  };

  for (const LogEvent& e : events) {
    const std::string who = Visitor(e);
    if (who.empty()) continue;
    if (e.type == "impression" && e.product_id > 0) {
      ProductCounts& pc = products[e.product_id];
      VisitorFacts& vf = visitors[who];
      feed::Candidate c;
      c.product_id = e.product_id;
      c.category = e.category;
      c.price_fen = price_of(e.product_id);
      auto cat = vf.by_category.find(e.category);
      c.signals.category_affinity =
          static_cast<double>(cat == vf.by_category.end() ? 0 : cat->second) /
          static_cast<double>(vf.interactions + 2);
      c.signals.user_typical_price_fen =
          vf.priced_purchases > 0
              ? static_cast<int64_t>(std::exp(vf.log_price_sum / vf.priced_purchases))
              : 0;
      c.signals.impressions = pc.impressions;
      c.signals.clicks = pc.clicks;
      c.signals.purchases = pc.purchases;
      out.push_back({feed::Features(c, e.position), false, false});
      pending[{who, e.product_id}].push_back({out.size() - 1, e.occurred_at_ms});
      ++pc.impressions;
    } else if ((e.type == "click" || e.type == "view") && e.product_id > 0) {
      auto it = pending.find({who, e.product_id});
      bool credited = false;
      if (it != pending.end()) {
        // The newest impression shown before the click and within the click window gets it.
        for (auto p = it->second.rbegin(); p != it->second.rend(); ++p) {
          if (p->at_ms <= e.occurred_at_ms && e.occurred_at_ms - p->at_ms <= kClickWindowMs) {
            if (!out[p->example].clicked) {
              out[p->example].clicked = true;
              credited = true;
            }
            break;
          }
        }
      }
      // A product's click count: one per credited impression, so a page reloaded ten times
      // does not make ten clicks of one impression.
      if (credited) ++products[e.product_id].clicks;
      VisitorFacts& vf = visitors[who];
      ++vf.by_category[e.category];
      ++vf.interactions;
    } else if (e.type == "order.paid") {
      VisitorFacts& vf = visitors[who];
      for (size_t i = 0; i < e.paid_products.size(); ++i) {
        const int64_t product = e.paid_products[i];
        ++products[product].purchases;
        if (i < e.paid_categories.size()) ++vf.by_category[e.paid_categories[i]];
        ++vf.interactions;
        if (const int64_t price = price_of(product); price > 0) {
          vf.log_price_sum += std::log(static_cast<double>(price));
          ++vf.priced_purchases;
        }
        auto it = pending.find({who, product});
        if (it == pending.end()) continue;
        for (auto p = it->second.rbegin(); p != it->second.rend(); ++p) {
          if (p->at_ms <= e.occurred_at_ms && e.occurred_at_ms - p->at_ms <= kBuyWindowMs) {
            out[p->example].clicked = true;
            out[p->example].bought = true;
            break;
          }
        }
      }
    }
    // Forget impressions past the buy window (bounded memory over a long window). Checked on
    // the touched key only; the rest age out when touched, and the map holds at most one
    // entry per impression read.
    if (e.product_id > 0) {
      auto it = pending.find({who, e.product_id});
      if (it != pending.end()) {
        while (!it->second.empty() && e.occurred_at_ms - it->second.front().at_ms > kBuyWindowMs) {
          it->second.pop_front();
        }
        if (it->second.empty()) pending.erase(it);
      }
    }
  }
  return out;
}

Result<std::vector<std::string>> CheckRankingModels(Reader& r) {
  std::vector<std::string> problems;
  ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT version, click_auc_ppm, buy_auc_ppm, weights FROM "
                                      "ranking_models ORDER BY version"));
  if (rows.size() > static_cast<size_t>(ranking_config::kKeepModels)) {
    problems.push_back("analytics: " + std::to_string(rows.size()) +
                       " ranking models kept, more than " +
                       std::to_string(ranking_config::kKeepModels));
  }
  for (const Row& row : rows) {
    const std::string v = "analytics: ranking model " + std::to_string(row.Int(0));
    const Json w = row.JsonAt(3);
    feed::FeatureVector click{}, buy{};
    if (!w.is_object() || !ParseWeights(w.value("click", Json()), click) ||
        !ParseWeights(w.value("buy", Json()), buy)) {
      problems.push_back(v + " has malformed weights");
      continue;
    }
    for (size_t i = 0; i < click.size(); ++i) {
      if (!std::isfinite(click[i]) || !std::isfinite(buy[i])) {
        problems.push_back(v + " has a weight that is not finite");
        break;
      }
    }
    for (int col : {1, 2}) {
      if (row.Int(col) < 0 || row.Int(col) > 1'000'000) {
        problems.push_back(v + " has an AUC outside [0, 1]");
      }
    }
  }
  return problems;
}

RankingTrainer::RankingTrainer(Store& trading, Store& analytics, uint64_t seed)
    : trading_(trading),
      analytics_(analytics),
      seed_(seed),
      current_(std::make_shared<const feed::Model>(feed::Model::Default())) {}

std::shared_ptr<const feed::Model> RankingTrainer::Current() const {
  std::lock_guard lock(mu_);
  return current_;
}

Status RankingTrainer::Load() {
  ASSIGN_OR_RETURN(auto row, analytics_.Read([](Reader& r) {
    return r.QueryOne(
        "SELECT version, trained_at_ms, examples, weights FROM ranking_models "
        "ORDER BY version DESC LIMIT 1");
  }));
  if (!row) return Ok();
  auto m = std::make_shared<feed::Model>();
  m->version = row->Int(0);
  m->trained_at_ms = row->Int(1);
  m->examples = row->Int(2);
  const Json w = row->JsonAt(3);
  if (!w.is_object() || !ParseWeights(w.value("click", Json()), m->click_weights) ||
      !ParseWeights(w.value("buy", Json()), m->buy_weights)) {
    return Fail(ErrorCode::INTERNAL,
                "ranking model row " + std::to_string(m->version) + " has malformed weights");
  }
  m->click_auc = w.value("click_auc", 0.0);
  m->buy_auc = w.value("buy_auc", 0.0);
  std::lock_guard lock(mu_);
  current_ = std::move(m);
  return Ok();
}

Result<feed::TrainReport> RankingTrainer::TrainOnce() {
  const int64_t now = analytics_.clock().NowMs();
  const int64_t from = now - ranking_config::kTrainWindowMs;
  ASSIGN_OR_RETURN(Rows rows, analytics_.Read([&](Reader& r) {
    // The newest kMaxScanRows rows by id (a rowid range, no full scan), then the window.
    return r.Query(
        "SELECT id, type, user_id, device_id, product_id, category, occurred_at_ms, data "
        "FROM log WHERE id > (SELECT COALESCE(MAX(id), 0) FROM log) - ? "
        "AND occurred_at_ms >= ? AND type IN ('impression', 'click', 'view', 'order.paid') "
        "ORDER BY id",
        {ranking_config::kMaxScanRows, from});
  }));
  std::vector<LogEvent> events;
  events.reserve(rows.size());
  std::set<int64_t> product_ids;
  for (const Row& row : rows) {
    LogEvent e;
    e.id = row.Int(0);
    e.type = row.Str(1);
    e.user_id = row.Int(2);
    e.device_id = row.Str(3);
    e.product_id = row.Int(4);
    e.category = row.Str(5);
    e.occurred_at_ms = row.Int(6);
    const Json data = row.JsonAt(7);
    if (e.type == "impression" && data.is_object() && data.contains("position") &&
        data["position"].is_number_integer()) {
      e.position = std::max<int64_t>(0, data["position"].get<int64_t>());
    }
    if (e.type == "order.paid" && data.is_object() && data.contains("items") &&
        data["items"].is_array()) {
      for (const Json& it : data["items"]) {
        if (!it.is_object() || !it.contains("product_id") || !it["product_id"].is_number_integer())
          continue;
        e.paid_products.push_back(it["product_id"].get<int64_t>());
        e.paid_categories.push_back(it.value("category", std::string()));
      }
    }
    if (e.product_id > 0) product_ids.insert(e.product_id);
    for (int64_t p : e.paid_products) product_ids.insert(p);
    events.push_back(std::move(e));
  }
  // Prices from the trading store, in chunks (bounded statements).
  std::unordered_map<int64_t, int64_t> prices;
  std::vector<int64_t> ids(product_ids.begin(), product_ids.end());
  for (size_t at = 0; at < ids.size(); at += 500) {
    std::vector<int64_t> chunk(ids.begin() + static_cast<long>(at),
                               ids.begin() + static_cast<long>(std::min(ids.size(), at + 500)));
    ASSIGN_OR_RETURN(Rows p, trading_.Read([&](Reader& r) {
      return r.Query("SELECT product_id, MIN(price_fen) FROM skus WHERE product_id IN " +
                         r.dialect().IdsIn("?") + " GROUP BY product_id",
                     {IdListParam(chunk)});
    }));
    for (const Row& row : p) prices[row.Int(0)] = row.Int(1);
  }
  const std::vector<feed::Example> examples = BuildExamples(events, prices);
  const std::shared_ptr<const feed::Model> before = Current();
  if (static_cast<int64_t>(examples.size()) < ranking_config::kMinImpressions) {
    feed::TrainReport unchanged;
    unchanged.model = *before;
    return unchanged;
  }
  feed::TrainReport report = feed::TrainModel(examples, {.seed = seed_}, now, before->version + 1);
  const feed::Model& m = report.model;
  const Json weights = {{"click", WeightsJson(m.click_weights)},
                        {"buy", WeightsJson(m.buy_weights)},
                        {"click_auc", m.click_auc},
                        {"buy_auc", m.buy_auc},
                        {"holdout_examples", report.holdout_examples}};
  RETURN_IF_ERROR(analytics_.Execute([&](Tx& tx) -> Status {
    RETURN_IF_ERROR(
        tx.Exec("INSERT INTO ranking_models(version, trained_at_ms, examples, click_auc_ppm, "
                "buy_auc_ppm, weights) VALUES(?,?,?,?,?,?)",
                {m.version, m.trained_at_ms, m.examples, static_cast<int64_t>(m.click_auc * 1e6),
                 static_cast<int64_t>(m.buy_auc * 1e6), DumpJson(weights)}));
    return ToStatus(tx.Exec("DELETE FROM ranking_models WHERE version <= ?",
                            {m.version - ranking_config::kKeepModels}));
  }));
  {
    std::lock_guard lock(mu_);
    current_ = std::make_shared<const feed::Model>(m);
  }
  return report;
}

Result<bool> RankingTrainer::MaybeTrain() {
  const int64_t now = analytics_.clock().NowMs();
  if (next_due_ms_ != 0 && now < next_due_ms_) return false;
  next_due_ms_ = now + ranking_config::kRetrainEveryMs;
  RETURN_IF_ERROR(ToStatus(TrainOnce()));
  return true;
}

}  // namespace xd::insight
