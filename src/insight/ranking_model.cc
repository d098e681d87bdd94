// RankingTrainer (ranking_model.h): examples from the log, feed::TrainModel, the model row.
#include "insight/ranking_model.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>
#include <set>

#include "base/json.h"
#include "feed/features.h"
#include "insight/insight.h"
#include "insight/internal/common.h"

namespace xd::insight {
namespace {

std::string Visitor(const LogEvent& e) {
  if (e.user_id > 0) return "u" + std::to_string(e.user_id);
  if (!e.device_id.empty()) return "d" + e.device_id;
  return "";
}

// A product's history by China-time day, from the rows before the current one.
using ProductDays = std::map<int64_t, feed::ProductHistory>;
// A user's facts as the projections keep them (user_categories, user_facts).
struct UserState {
  std::map<std::string, internal::Interest> interests;
  int64_t paid_fen = 0, paid_units = 0;
};

feed::VisitorHistory VisitorHistoryOf(const UserState& u) {
  feed::VisitorHistory v;
  for (const auto& [category, in] : u.interests) v.interests.push_back({category, in.score, in.updated});
  v.paid_fen = u.paid_fen;
  v.paid_units = u.paid_units;
  return v;
}

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

int64_t HistoryFromDay(int64_t now_ms) {
  return DayOf(now_ms - feed::kHistoryDays * 24LL * 3600 * 1000);
}

std::vector<feed::Example> BuildExamples(const std::vector<LogEvent>& events,
                                         const std::unordered_map<int64_t, int64_t>& price_fen,
                                         int64_t from_ms) {
  using ranking_config::kBuyWindowMs;
  using ranking_config::kClickWindowMs;
  std::vector<feed::Example> out;
  std::unordered_map<int64_t, ProductDays> products;
  std::unordered_map<int64_t, UserState> users;
  std::unordered_map<std::string, int64_t> device_users;  // the first user a device was seen as
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
  // The projection's user of a row (insight.cc Applier::UserOf): the row's, else its device's.
  auto user_of = [&](const LogEvent& e) -> int64_t {
    if (e.user_id > 0) return e.user_id;
    if (e.device_id.empty()) return 0;
    auto it = device_users.find(e.device_id);
    return it == device_users.end() ? 0 : it->second;
  };
  auto add_interest = [&](int64_t user, const std::string& category, int64_t weight, int64_t at) {
    if (user <= 0 || category.empty()) return;
    auto [it, added] = users[user].interests.try_emplace(category);
    internal::AddInterest(it->second, !added, weight, at, config::kInterestHalfLifeMs);
  };
  const feed::VisitorHistory kNobody;

  for (const LogEvent& e : events) {
    if (e.type == "identify") {
      if (!e.device_id.empty() && e.user_id > 0) device_users.emplace(e.device_id, e.user_id);
      continue;
    }
    const std::string who = Visitor(e);
    const int64_t user = user_of(e);
    const int64_t day = DayOf(e.occurred_at_ms);
    if (e.type == "impression" && e.product_id > 0) {
      if (!who.empty() && e.occurred_at_ms >= from_ms) {
        // The serving path's inputs as they stood before this row (feed/features.h).
        feed::ProductHistory history;
        if (auto p = products.find(e.product_id); p != products.end()) {
          for (auto d = p->second.lower_bound(HistoryFromDay(e.occurred_at_ms));
               d != p->second.end(); ++d) {
            history.impressions += d->second.impressions;
            history.views += d->second.views;
            history.paid_units += d->second.paid_units;
          }
        }
        feed::VisitorHistory visitor;
        if (e.user_id > 0) {  // serving knows a signed-in visitor only
          if (auto u = users.find(e.user_id); u != users.end()) visitor = VisitorHistoryOf(u->second);
        }
        feed::Candidate c;
        c.product_id = e.product_id;
        c.merchant_id = e.merchant_id;
        c.category = e.category;
        c.price_fen = price_of(e.product_id);
        c.source = e.source;
        c.signals = feed::SignalsOf(history, e.user_id > 0 ? visitor : kNobody, e.category,
                                    config::kInterestHalfLifeMs);
        out.push_back({feed::Features(c, e.position), false, false});
        pending[{who, e.product_id}].push_back({out.size() - 1, e.occurred_at_ms});
      }
      if (e.merchant_id > 0) ++products[e.product_id][day].impressions;
    } else if ((e.type == "click" || e.type == "view") && e.product_id > 0) {
      auto it = who.empty() ? pending.end() : pending.find({who, e.product_id});
      if (it != pending.end()) {
        // The newest impression shown before the click and within the click window gets it.
        for (auto p = it->second.rbegin(); p != it->second.rend(); ++p) {
          if (p->at_ms <= e.occurred_at_ms && e.occurred_at_ms - p->at_ms <= kClickWindowMs) {
            out[p->example].clicked = true;
            break;
          }
        }
      }
      if (e.type == "view" && e.merchant_id > 0) ++products[e.product_id][day].views;
      add_interest(user, e.category,
                   e.type == "view" ? internal::kInterestView : internal::kInterestClick,
                   e.occurred_at_ms);
    } else if (e.type == "click" || e.type == "view") {
      add_interest(user, e.category,
                   e.type == "view" ? internal::kInterestView : internal::kInterestClick,
                   e.occurred_at_ms);
    } else if (e.type == "cart.added") {
      add_interest(user, e.category, internal::kInterestCart, e.occurred_at_ms);
    } else if (e.type == "order.paid") {
      int64_t units = 0;
      for (size_t i = 0; i < e.paid_products.size(); ++i) {
        const int64_t product = e.paid_products[i];
        const int64_t qty = i < e.paid_quantities.size() ? e.paid_quantities[i] : 0;
        units += qty;
        if (e.merchant_id > 0 && product > 0 && !e.self_purchase)
          products[product][day].paid_units += qty;
        add_interest(user, i < e.paid_categories.size() ? e.paid_categories[i] : "",
                     internal::kInterestPaidItem, e.occurred_at_ms);
        auto it = who.empty() ? pending.end() : pending.find({who, product});
        if (it == pending.end()) continue;
        for (auto p = it->second.rbegin(); p != it->second.rend(); ++p) {
          if (p->at_ms <= e.occurred_at_ms && e.occurred_at_ms - p->at_ms <= kBuyWindowMs) {
            out[p->example].clicked = true;
            out[p->example].bought = true;
            break;
          }
        }
      }
      if (user > 0) {
        UserState& u = users[user];
        u.paid_fen += e.amount_fen;
        u.paid_units += units;
      }
    }
    // Forget impressions past the buy window (bounded memory over a long window). Checked on
    // the touched key only; the rest age out when touched, and the map holds at most one
    // entry per impression read.
    if (e.product_id > 0 && !who.empty()) {
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

Result<std::vector<feed::Example>> RankingTrainer::Examples() {
  const int64_t now = analytics_.clock().NowMs();
  const int64_t from = now - ranking_config::kTrainWindowMs;
  ASSIGN_OR_RETURN(Rows rows, analytics_.Read([&](Reader& r) {
    // The newest kMaxScanRows rows by id (a rowid range, no full scan): the state before the
    // window too, so that the features are the projections' (the file comment).
    return r.Query(
        "SELECT id, type, user_id, device_id, product_id, category, occurred_at_ms, data, "
        "merchant_id, amount_fen FROM log WHERE id > (SELECT COALESCE(MAX(id), 0) FROM log) - ? "
        "AND type IN ('impression', 'click', 'view', 'cart.added', 'order.paid', 'identify') "
        "ORDER BY id",
        {ranking_config::kMaxScanRows});
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
    e.merchant_id = row.Int(8);
    e.amount_fen = row.Int(9);
    const Json data = row.JsonAt(7);
    if (e.type == "impression" && data.is_object()) {
      if (data.contains("position") && data["position"].is_number_integer())
        e.position = std::max<int64_t>(0, data["position"].get<int64_t>());
      if (data.contains("feed_source") && data["feed_source"].is_string())
        e.source = feed::SourceFromName(data["feed_source"].get<std::string>())
                       .value_or(feed::Source::kColdStart);
    }
    if (e.type == "order.paid") {
      e.self_purchase = internal::IsSelfPurchase(data);
      for (const internal::PaidItem& it : internal::PaidItems(data)) {
        e.paid_products.push_back(it.product_id);
        e.paid_categories.push_back(it.category);
        e.paid_quantities.push_back(it.quantity);
      }
    }
    if (e.type == "impression" && e.product_id > 0 && e.occurred_at_ms >= from)
      product_ids.insert(e.product_id);
    events.push_back(std::move(e));
  }
  // Prices from the trading store, in chunks (bounded statements).
  std::unordered_map<int64_t, int64_t> prices;
  std::vector<int64_t> ids(product_ids.begin(), product_ids.end());
  for (size_t at = 0; at < ids.size(); at += 500) {
    std::vector<int64_t> chunk(ids.begin() + static_cast<long>(at),
                               ids.begin() + static_cast<long>(std::min(ids.size(), at + 500)));
    ASSIGN_OR_RETURN(Rows p, trading_.Read([&](Reader& r) {
      return r.Query("SELECT id, min_price_fen FROM products WHERE id IN " +
                         r.dialect().IdsIn("?"),
                     {IdListParam(chunk)});
    }));
    for (const Row& row : p) prices[row.Int(0)] = row.Int(1);
  }
  return BuildExamples(events, prices, from);
}

Result<feed::TrainReport> RankingTrainer::TrainOnce() {
  const int64_t now = analytics_.clock().NowMs();
  ASSIGN_OR_RETURN(const std::vector<feed::Example> examples, Examples());
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
