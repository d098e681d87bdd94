// Bought together (internal/copurchase.h, decision 040): the projection of the log's paid orders
// into co_purchases and buyer_products, its fill for files from before migration 056, the
// feed's read (Insight::BoughtWithYours) and the check (Insight::CheckCoPurchases). The
// analytics store is SQLite, so the SQL here is SQLite's; the one trading read
// (SelfPurchases) is backend-neutral.
#include "insight/internal/copurchase.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>

#include "base/id.h"
#include "base/log.h"
#include "insight/insight.h"
#include "insight/internal/common.h"

namespace xd::insight {

namespace internal {

namespace {

// An order's products as the log row lists them: distinct, in line order, its first
// kCoPurchaseLines.
std::vector<int64_t> OrderProducts(const Json& data) {
  std::vector<int64_t> out;
  if (!data.is_object() || !data.contains("items") || !data["items"].is_array()) return out;
  for (const Json& it : data["items"]) {
    const int64_t p = JsonId(it, "product_id");
    if (p <= 0 || std::find(out.begin(), out.end(), p) != out.end()) continue;
    if (out.size() >= static_cast<size_t>(config::kCoPurchaseLines)) break;
    out.push_back(p);
  }
  return out;
}

// Newest first: the later payment, then the smaller product id (the order the read uses).
bool Newer(const std::pair<int64_t, int64_t>& a, const std::pair<int64_t, int64_t>& b) {
  return a.first != b.first ? a.first > b.first : a.second < b.second;
}

}  // namespace

Result<std::vector<std::pair<int64_t, int64_t>>*> CoPurchaseApplier::Recent(int64_t buyer) {
  auto it = recent_.find(buyer);
  if (it != recent_.end()) return &it->second;
  ASSIGN_OR_RETURN(Rows rows, tx_.Query("SELECT last_paid_at_ms, product_id FROM buyer_products "
                                        "WHERE buyer_id=? ORDER BY last_paid_at_ms DESC, "
                                        "product_id LIMIT ?",
                                        {buyer, int64_t{config::kCoPurchaseRecent}}));
  std::vector<std::pair<int64_t, int64_t>> read;
  for (const Row& row : rows) read.emplace_back(row.Int(0), row.Int(1));
  return &recent_.emplace(buyer, std::move(read)).first->second;
}

Result<CoPurchaseApplier::Bought*> CoPurchaseApplier::Find(int64_t buyer, int64_t product) {
  auto [it, added] = bought_.try_emplace({buyer, product});
  if (added) {
    ASSIGN_OR_RETURN(auto row, tx_.QueryOne("SELECT first_paid_at_ms, last_paid_at_ms FROM "
                                            "buyer_products WHERE buyer_id=? AND product_id=?",
                                            {buyer, product}));
    if (row) it->second = {row->Int(0), row->Int(1), true};
  }
  return &it->second;
}

Status CoPurchaseApplier::Paid(int64_t buyer, int64_t paid_at_ms, const Json& data) {
  if (buyer <= 0 || IsSelfPurchase(data)) return Ok();  // a shop's own people could steer its partners
  const std::vector<int64_t> mine = OrderProducts(data);
  if (mine.empty()) return Ok();
  std::vector<int64_t> fresh;
  for (int64_t p : mine) {
    ASSIGN_OR_RETURN(Bought * b, Find(buyer, p));
    if (!b->known) {
      fresh.push_back(p);
      b->known = true;
      b->first_at = b->last_at = paid_at_ms;
    } else {
      b->last_at = std::max(b->last_at, paid_at_ms);
    }
  }
  ASSIGN_OR_RETURN(auto* earlier, Recent(buyer));
  if (!fresh.empty()) {
    std::vector<int64_t> partners(mine.begin(), mine.end());
    for (const auto& [at, p] : *earlier) partners.push_back(p);
    std::sort(partners.begin(), partners.end());
    partners.erase(std::unique(partners.begin(), partners.end()), partners.end());
    std::vector<std::pair<int64_t, int64_t>> pairs;  // once per order, however the pair arises
    for (int64_t p : fresh)
      for (int64_t q : partners)
        if (p != q) {
          pairs.emplace_back(p, q);
          pairs.emplace_back(q, p);
        }
    std::sort(pairs.begin(), pairs.end());
    pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
    for (const auto& key : pairs) {
      auto [it, added] = pairs_.try_emplace(key);
      if (added) pair_order_.push_back(key);
      it->second.buyers += 1;
      it->second.last_at = std::max(it->second.last_at, paid_at_ms);
    }
  }
  // This order's products are now among the buyer's most recent, at their last payment time.
  for (int64_t p : mine) {
    const int64_t at = bought_[{buyer, p}].last_at;
    auto e = std::find_if(earlier->begin(), earlier->end(), [&](const auto& x) { return x.second == p; });
    if (e != earlier->end()) e->first = at;
    else earlier->emplace_back(at, p);
  }
  std::sort(earlier->begin(), earlier->end(), Newer);
  if (earlier->size() > static_cast<size_t>(config::kCoPurchaseRecent))
    earlier->resize(config::kCoPurchaseRecent);
  return Ok();
}

Status CoPurchaseApplier::Flush() {
  std::vector<std::pair<int64_t, int64_t>> bought;  // in key order: the index's pages in turn
  for (const auto& [key, b] : bought_)
    if (b.known) bought.push_back(key);  // (else looked up, never bought)
  std::sort(bought.begin(), bought.end());
  for (const auto& key : bought) {
    const Bought& b = bought_.at(key);
    RETURN_IF_ERROR(tx_.Run(
        "INSERT INTO buyer_products(buyer_id, product_id, first_paid_at_ms, last_paid_at_ms) "
        "VALUES(?,?,?,?) ON CONFLICT(buyer_id, product_id) DO UPDATE SET last_paid_at_ms = "
        "MAX(last_paid_at_ms, excluded.last_paid_at_ms)",
        {key.first, key.second, b.first_at, b.last_at}));
  }
  // In the order the pairs arose: a product's last free partner places go to the pairs that
  // arose first, as one order at a time would give them. Each product's partners are read once
  // a round (at most kCoPurchasePartners rows), so that a pair only statements what changes: a
  // count that grows, or a newcomer while the list has room. A full list takes no newcomer, and
  // most of a busy round's pairs are such (no statement for them).
  std::unordered_map<int64_t, std::set<int64_t>> partners;  // product -> its partners now
  for (const auto& key : pair_order_) {
    const auto& [p, q] = key;
    const PairDelta& d = pairs_.at(key);
    auto have = partners.find(p);
    if (have == partners.end()) {
      std::set<int64_t> read;
      ASSIGN_OR_RETURN(Rows rows, tx_.Query("SELECT other_id FROM co_purchases WHERE product_id=?", {p}));
      for (const Row& row : rows) read.insert(row.Int(0));
      have = partners.emplace(p, std::move(read)).first;
    }
    if (have->second.count(q)) {
      RETURN_IF_ERROR(tx_.Run("UPDATE co_purchases SET buyers = buyers + ?, last_at_ms = "
                              "MAX(last_at_ms, ?) WHERE product_id=? AND other_id=?",
                              {d.buyers, d.last_at, p, q}));
      continue;
    }
    if (have->second.size() >= static_cast<size_t>(config::kCoPurchasePartners)) continue;
    RETURN_IF_ERROR(tx_.Run("INSERT INTO co_purchases(product_id, other_id, buyers, last_at_ms) "
                            "VALUES(?,?,?,?)",
                            {p, q, d.buyers, d.last_at}));
    have->second.insert(q);
  }
  return Ok();
}

Result<std::set<std::pair<int64_t, int64_t>>> SelfPurchases(
    Reader& trading, const std::set<std::pair<int64_t, int64_t>>& merchant_buyers) {
  std::set<std::pair<int64_t, int64_t>> out;
  if (merchant_buyers.empty()) return out;
  std::set<int64_t> merchant_set;
  for (const auto& [m, b] : merchant_buyers) merchant_set.insert(m);
  const std::string ids = IdListParam(std::vector<int64_t>(merchant_set.begin(), merchant_set.end()));
  std::set<std::pair<int64_t, int64_t>> people;  // (merchant, owner or staff)
  ASSIGN_OR_RETURN(Rows owners, trading.Query("SELECT id, owner_user_id FROM merchants WHERE id IN " +
                                                  trading.dialect().IdsIn("?"),
                                              {ids}));
  for (const Row& row : owners) people.emplace(row.Int(0), row.Int(1));
  ASSIGN_OR_RETURN(Rows staff, trading.Query("SELECT merchant_id, user_id FROM staff WHERE merchant_id IN " +
                                                 trading.dialect().IdsIn("?"),
                                             {ids}));
  for (const Row& row : staff) people.emplace(row.Int(0), row.Int(1));
  for (const auto& mb : merchant_buyers)
    if (people.count(mb)) out.insert(mb);
  return out;
}

namespace {

constexpr int64_t kFillRowsPerTx = 2000;

// The fill's progress in meta ('fill', then 'fill:<last log id done>'), so that a fill cut short
// by a crash resumes instead of counting its first rows twice.
Result<std::optional<int64_t>> FillFrom(Reader& r) {
  ASSIGN_OR_RETURN(auto row, r.QueryOne("SELECT value FROM meta WHERE key='co_purchases'"));
  if (!row) return std::optional<int64_t>();
  const std::string v = row->Str(0);
  if (v.rfind("fill:", 0) == 0) return std::optional<int64_t>(std::stoll(v.substr(5)));
  return std::optional<int64_t>(0);
}

}  // namespace

Status FillCoPurchases(Store& analytics, Store* trading) {
  ASSIGN_OR_RETURN(std::optional<int64_t> from, analytics.Read([](Reader& r) { return FillFrom(r); }));
  if (!from) return Ok();
  ASSIGN_OR_RETURN(int64_t cursor, analytics.Read([](Reader& r) {
    return r.QueryInt("SELECT COALESCE(MAX(log_id), 0) FROM cursors WHERE name=?", {kProjectCursor});
  }));
  // One pass over the log's paid orders after the fill's progress: every row gets its self mark
  // (rows logged before 040 lack it; the shops' people as they are now), and the rows up to the
  // projection cursor are replayed (later ones are the projection's).
  int64_t done = *from, orders = 0;
  for (;;) {
    ASSIGN_OR_RETURN(Rows rows, analytics.Read([&](Reader& r) {
      return r.Query("SELECT id, user_id, merchant_id, occurred_at_ms, data FROM log WHERE "
                     "type='order.paid' AND id > ? ORDER BY id LIMIT ?",
                     {done, kFillRowsPerTx});
    }));
    if (rows.empty()) break;
    std::set<std::pair<int64_t, int64_t>> self;
    if (trading) {
      std::set<std::pair<int64_t, int64_t>> asked;
      for (const Row& row : rows) asked.emplace(row.Int(2), row.Int(1));
      ASSIGN_OR_RETURN(self, trading->Read([&](Reader& r) { return SelfPurchases(r, asked); }));
    }
    RETURN_IF_ERROR(analytics.Execute([&](Tx& tx) -> Status {
      CoPurchaseApplier applier(tx);
      for (const Row& row : rows) {
        Json data = row.JsonAt(4);
        if (self.count({row.Int(2), row.Int(1)}) && !IsSelfPurchase(data)) {
          data["self"] = true;
          RETURN_IF_ERROR(tx.Run("UPDATE log SET data=? WHERE id=?", {DumpJson(data), row.Int(0)}));
        }
        if (row.Int(0) > cursor) continue;
        RETURN_IF_ERROR(applier.Paid(row.Int(1), row.Int(3), data));
        ++orders;
      }
      RETURN_IF_ERROR(applier.Flush());
      return tx.Run("UPDATE meta SET value=? WHERE key='co_purchases'",
                    {"fill:" + std::to_string(rows.back().Int(0))});
    }));
    done = rows.back().Int(0);
  }
  spdlog::info("event=analytics_co_purchases_filled paid_orders={}", orders);
  return analytics.Execute([](Tx& tx) { return tx.Run("DELETE FROM meta WHERE key='co_purchases'"); });
}

}  // namespace internal

// ---- the feed's read and the check ----

Result<std::vector<int64_t>> Insight::BoughtWithYours(int64_t user_id, int limit) {
  return analytics_.Read([&](Reader& r) -> Result<std::vector<int64_t>> {
    ASSIGN_OR_RETURN(Rows basis, r.Query("SELECT product_id FROM buyer_products WHERE buyer_id=? "
                                         "ORDER BY last_paid_at_ms DESC, product_id LIMIT ?",
                                         {user_id, int64_t{config::kCoPurchaseUserBasis}}));
    std::vector<int64_t> bought;
    for (const Row& row : basis) bought.push_back(row.Int(0));
    if (bought.empty()) return bought;
    // Each basis product's top partners (its at most kCoPurchasePartners rows, sorted), summed
    // over the basis.
    std::map<int64_t, int64_t> score;
    for (int64_t p : bought) {
      ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT other_id, buyers FROM co_purchases WHERE "
                                          "product_id=? ORDER BY buyers DESC, other_id LIMIT ?",
                                          {p, int64_t{limit}}));
      for (const Row& row : rows) score[row.Int(0)] += row.Int(1);
    }
    for (int64_t p : bought) score.erase(p);
    std::vector<std::pair<int64_t, int64_t>> ranked(score.begin(), score.end());
    std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    std::vector<int64_t> out;
    for (size_t i = 0; i < ranked.size() && i < static_cast<size_t>(std::max(limit, 0)); ++i)
      out.push_back(ranked[i].first);
    return out;
  });
}

Result<std::vector<std::string>> Insight::CheckCoPurchases() {
  return analytics_.Read([](Reader& r) -> Result<std::vector<std::string>> {
    std::vector<std::string> problems;
    // Every (buyer, product) recorded as bought is a product of one of the buyer's paid orders
    // in the log (one pass over the log's paid orders).
    ASSIGN_OR_RETURN(Rows unbacked,
                     r.Query("SELECT buyer_id, product_id FROM buyer_products EXCEPT "
                             "SELECT l.user_id, CAST(json_extract(j.value, '$.product_id') AS INTEGER) "
                             "FROM log l, json_each(l.data, '$.items') j WHERE l.type = 'order.paid' "
                             "LIMIT 5"));
    for (const Row& row : unbacked)
      problems.push_back("buyer " + IdString(row.Int(0)) + " is recorded as having bought product " +
                         IdString(row.Int(1)) + " without a paid order of it");
    ASSIGN_OR_RETURN(Rows over,
                     r.Query("SELECT c.product_id, c.other_id, c.buyers, n.k FROM co_purchases c JOIN "
                             "(SELECT product_id, count(*) AS k FROM buyer_products GROUP BY product_id) n "
                             "ON n.product_id = c.product_id WHERE c.buyers > n.k LIMIT 5"));
    for (const Row& row : over)
      problems.push_back("products " + IdString(row.Int(0)) + " and " + IdString(row.Int(1)) +
                         " are counted as bought together by " + std::to_string(row.Int(2)) +
                         " buyers, but " + std::to_string(row.Int(3)) + " bought the first");
    ASSIGN_OR_RETURN(Rows orphan,
                     r.Query("SELECT c.product_id, c.other_id FROM co_purchases c WHERE NOT EXISTS("
                             "SELECT 1 FROM buyer_products b WHERE b.product_id = c.product_id) LIMIT 5"));
    for (const Row& row : orphan)
      problems.push_back("products " + IdString(row.Int(0)) + " and " + IdString(row.Int(1)) +
                         " are counted as bought together, but nobody bought the first");
    return problems;
  });
}

}  // namespace xd::insight
