// Bought together (copurchase.h).
#include "feed/copurchase.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

namespace xd::feed {

namespace {

class Recorder final : public trade::OrderObserver {
 public:
  Status OnPaid(Tx& tx, trade::Order& order) override { return RecordCoPurchases(tx, order); }
};

}  // namespace

std::shared_ptr<trade::OrderObserver> NewCoPurchaseRecorder() { return std::make_shared<Recorder>(); }

Status RecordCoPurchases(Tx& tx, const trade::Order& order) {
  std::vector<int64_t> mine;
  for (const trade::OrderItem& it : order.items) {
    if (std::find(mine.begin(), mine.end(), it.product_id) == mine.end()) mine.push_back(it.product_id);
    if (mine.size() >= static_cast<size_t>(copurchase::kMaxLinesPaired)) break;
  }
  if (mine.empty()) return Ok();
  // A merchant buying from itself pairs nothing (it could steer its own products' partners).
  ASSIGN_OR_RETURN(int64_t self,
                   tx.QueryInt("SELECT count(*) FROM merchants m WHERE m.id=?1 AND (m.owner_user_id=?2 OR "
                               "EXISTS(SELECT 1 FROM staff s WHERE s.merchant_id=?1 AND s.user_id=?2))",
                               {order.merchant_id, order.buyer_id}));
  if (self) return Ok();
  // The buyer's recent purchases before this order (any shop).
  ASSIGN_OR_RETURN(Rows earlier,
                   tx.Query("SELECT i.product_id, MAX(o.paid_at_ms) FROM orders o JOIN order_items i ON "
                            "i.order_id = o.id WHERE o.buyer_id=? AND o.id<>? AND o.paid_at_ms IS NOT NULL "
                            "GROUP BY i.product_id ORDER BY 2 DESC, 1 LIMIT ?",
                            {order.buyer_id, order.id, int64_t{copurchase::kRecentPurchases}}));
  std::set<int64_t> partners(mine.begin(), mine.end());
  for (const Row& row : earlier) partners.insert(row.Int(0));
  // Every pair with at least one side in this order, both ways, in key order (the lock order).
  std::set<std::pair<int64_t, int64_t>> pairs;
  for (int64_t p : mine)
    for (int64_t q : partners)
      if (p != q) {
        pairs.emplace(p, q);
        pairs.emplace(q, p);
      }
  const int64_t now = tx.NowMs();
  int64_t current = 0, have = 0;
  for (const auto& [p, q] : pairs) {
    if (p != current) {
      current = p;
      ASSIGN_OR_RETURN(have, tx.QueryInt("SELECT count(*) FROM co_purchases WHERE product_id=?", {p}));
    }
    if (have < copurchase::kPartnersPerProduct) {
      ASSIGN_OR_RETURN(int64_t fresh,
                       tx.Exec("INSERT INTO co_purchases(product_id, other_id, orders, last_at_ms) VALUES(?,?,1,?) "
                               "ON CONFLICT(product_id, other_id) DO NOTHING",
                               {p, q, now}));
      if (fresh) {
        ++have;
        continue;
      }
    }
    RETURN_IF_ERROR(tx.Run("UPDATE co_purchases SET orders=orders+1, last_at_ms=? WHERE product_id=? AND other_id=?",
                           {now, p, q}));
  }
  return Ok();
}

Result<std::vector<int64_t>> BoughtWithYours(Reader& r, int64_t user_id, int limit) {
  ASSIGN_OR_RETURN(Rows basis,
                   r.Query("SELECT i.product_id, MAX(o.paid_at_ms) FROM orders o JOIN order_items i ON "
                           "i.order_id = o.id WHERE o.buyer_id=? AND o.paid_at_ms IS NOT NULL "
                           "GROUP BY i.product_id ORDER BY 2 DESC, 1 LIMIT ?",
                           {user_id, int64_t{copurchase::kUserBasis}}));
  if (basis.empty()) return std::vector<int64_t>{};
  std::vector<int64_t> bought;
  for (const Row& row : basis) bought.push_back(row.Int(0));
  // Each basis product's top partners (the index's order), summed over the basis.
  std::map<int64_t, int64_t> score;
  for (int64_t p : bought) {
    ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT other_id, orders FROM co_purchases WHERE product_id=? "
                                        "ORDER BY orders DESC, other_id LIMIT ?",
                                        {p, int64_t{limit}}));
    for (const Row& row : rows) score[row.Int(0)] += row.Int(1);
  }
  for (int64_t p : bought) score.erase(p);
  std::vector<std::pair<int64_t, int64_t>> ranked(score.begin(), score.end());
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  std::vector<int64_t> out;
  for (size_t i = 0; i < ranked.size() && i < static_cast<size_t>(limit); ++i) out.push_back(ranked[i].first);
  return out;
}

}  // namespace xd::feed
