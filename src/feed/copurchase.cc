// Bought together (copurchase.h).
#include "feed/copurchase.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <utility>

#include "base/id.h"
#include "base/log.h"
#include "base/thread_name.h"

namespace xd::feed {

namespace {

constexpr std::string_view kConsumerName = "feed.co_purchases";

// The products of `buyer`'s last `n` paid orders paid before `order_id` was (at `paid_at_ms`;
// `order_id` 0: all), the most recently paid first, at most `n`. Bounded by n orders whatever
// the buyer's history: the buyer's orders are read newest first from orders_buyer(buyer_id, id)
// (an early version grouped the buyer's whole history on every payment).
Result<std::vector<int64_t>> RecentProducts(Reader& r, int64_t buyer, int64_t order_id, int64_t paid_at_ms, int n) {
  ASSIGN_OR_RETURN(Rows rows,
                   r.Query("SELECT i.product_id, MAX(o.paid_at_ms) FROM (SELECT id, paid_at_ms FROM orders "
                           "WHERE buyer_id=?1 AND paid_at_ms IS NOT NULL AND id<>?2 "
                           "AND (paid_at_ms<?3 OR (paid_at_ms=?3 AND id<?2)) ORDER BY id DESC LIMIT ?4) o "
                           "JOIN order_items i ON i.order_id = o.id GROUP BY i.product_id ORDER BY 2 DESC, 1 LIMIT ?4",
                           {buyer, order_id, paid_at_ms, int64_t{n}}));
  std::vector<int64_t> out;
  for (const Row& row : rows) out.push_back(row.Int(0));
  return out;
}

// What one consumer round writes: the pairs' new buyers, and the products buyers bought for the
// first time.
struct Plan {
  std::map<std::pair<int64_t, int64_t>, int64_t> pairs;  // (product, other) -> new buyers
  std::vector<std::tuple<int64_t, int64_t, int64_t>> firsts;  // (buyer, product, paid at)
};

// What one round remembers across its events, read once per buyer (or merchant and buyer) and
// carried forward by the batch's own orders (the outbox holds every paid order in commit order,
// so none paid in between is missed): self-purchases, each buyer's recent products (newest
// first), and which (buyer, product) were bought before.
struct BatchMemo {
  std::map<std::pair<int64_t, int64_t>, bool> self;
  std::map<int64_t, std::vector<int64_t>> recent;
  std::map<std::pair<int64_t, int64_t>, bool> bought;
};

// A paid order as the consumer reads it: the envelope of its "order.paid" event (order,
// merchant, time) and the order's buyer and products from the order's rows, which do not change
// after payment — the event's payload (the whole order snapshot) is not read (ReadsPayloads).
struct PaidOrder {
  int64_t order_id = 0, merchant_id = 0, paid_at_ms = 0, buyer_id = 0;
  std::vector<int64_t> products;  // distinct, by line, at most kMaxLinesPaired
};

// The batch's orders with their buyers and products, in the events' order: one query.
Result<std::vector<PaidOrder>> PaidOrders(Reader& r, const std::vector<Store::Event>& events) {
  std::vector<int64_t> ids;
  for (const Store::Event& e : events) ids.push_back(e.head.aggregate_id);
  ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT i.order_id, o.buyer_id, i.product_id FROM order_items i JOIN orders o ON "
                                      "o.id = i.order_id WHERE i.order_id IN " +
                                          r.dialect().IdsIn("?") + " ORDER BY i.order_id, i.id",
                                      {IdListParam(ids)}));
  std::map<int64_t, PaidOrder> by_id;
  for (const Row& row : rows) {
    PaidOrder& o = by_id[row.Int(0)];
    o.buyer_id = row.Int(1);
    const int64_t product = row.Int(2);
    if (o.products.size() < static_cast<size_t>(copurchase::kMaxLinesPaired) &&
        std::find(o.products.begin(), o.products.end(), product) == o.products.end())
      o.products.push_back(product);
  }
  std::vector<PaidOrder> out;
  for (const Store::Event& e : events) {
    auto it = by_id.find(e.head.aggregate_id);
    if (it == by_id.end()) continue;  // retention or a test's forged event: nothing to pair
    PaidOrder o = std::move(it->second);
    by_id.erase(it);  // an order paid twice in the log (never: a guarded status move) pairs once
    o.order_id = e.head.aggregate_id;
    o.merchant_id = e.head.merchant_id;
    o.paid_at_ms = e.occurred_at_ms;
    out.push_back(std::move(o));
  }
  return out;
}

// Adds the pairs of one paid order to `plan`. A pair counts buyers: a product the buyer buys for
// the first time (no row in buyer_products) is paired with the buyer's recent purchases and the
// order's other products, both ways; a product bought again pairs nothing. So a buyer repeating
// orders cannot push products up each other's lists, and costs reads, not writes. A merchant
// buying from itself pairs nothing (it could steer its own products' partners).
Status AddPairs(Reader& r, const PaidOrder& o, BatchMemo& memo, Plan& plan) {
  const std::vector<int64_t>& mine = o.products;
  const int64_t buyer = o.buyer_id;
  if (mine.empty()) return Ok();
  auto self = memo.self.find({o.merchant_id, buyer});
  if (self == memo.self.end()) {
    ASSIGN_OR_RETURN(int64_t n,
                     r.QueryInt("SELECT count(*) FROM merchants m WHERE m.id=?1 AND (m.owner_user_id=?2 OR "
                                "EXISTS(SELECT 1 FROM staff s WHERE s.merchant_id=?1 AND s.user_id=?2))",
                                {o.merchant_id, buyer}));
    self = memo.self.emplace(std::make_pair(o.merchant_id, buyer), n > 0).first;
  }
  if (self->second) return Ok();
  std::vector<int64_t> fresh;
  for (int64_t p : mine) {
    auto seen = memo.bought.find({buyer, p});
    if (seen == memo.bought.end()) {
      ASSIGN_OR_RETURN(int64_t n, r.QueryInt("SELECT count(*) FROM buyer_products WHERE buyer_id=? AND product_id=?", {buyer, p}));
      seen = memo.bought.emplace(std::make_pair(buyer, p), n > 0).first;
    }
    if (!seen->second) {
      fresh.push_back(p);
      seen->second = true;
      plan.firsts.emplace_back(buyer, p, o.paid_at_ms);
    }
  }
  auto recent = memo.recent.find(buyer);
  if (recent == memo.recent.end()) {
    ASSIGN_OR_RETURN(std::vector<int64_t> read,
                     RecentProducts(r, buyer, o.order_id, o.paid_at_ms, copurchase::kRecentPurchases));
    recent = memo.recent.emplace(buyer, std::move(read)).first;
  }
  std::vector<int64_t>& earlier = recent->second;
  if (!fresh.empty()) {
    std::set<int64_t> partners(earlier.begin(), earlier.end());
    partners.insert(mine.begin(), mine.end());
    std::set<std::pair<int64_t, int64_t>> pairs;  // once per order, however the pair arises
    for (int64_t p : fresh)
      for (int64_t q : partners)
        if (p != q) {
          pairs.emplace(p, q);
          pairs.emplace(q, p);
        }
    for (const auto& pair : pairs) ++plan.pairs[pair];
  }
  // This order's products are now the buyer's most recent.
  for (auto p = mine.rbegin(); p != mine.rend(); ++p) {
    earlier.erase(std::remove(earlier.begin(), earlier.end(), *p), earlier.end());
    earlier.insert(earlier.begin(), *p);
  }
  if (earlier.size() > static_cast<size_t>(copurchase::kRecentPurchases)) earlier.resize(copurchase::kRecentPurchases);
  return Ok();
}

// Writes a round's plan: the first purchases, then the pairs in key order — a new pair while its
// product has fewer than kPartnersPerProduct partners, else only an existing pair's count grows.
Status ApplyPlan(Tx& tx, const Plan& plan) {
  for (const auto& [buyer, product, at] : plan.firsts)
    RETURN_IF_ERROR(tx.Run("INSERT INTO buyer_products(buyer_id, product_id, first_paid_at_ms) VALUES(?,?,?) "
                           "ON CONFLICT(buyer_id, product_id) DO NOTHING",
                           {buyer, product, at}));
  const int64_t now = tx.NowMs();
  int64_t current = 0, have = 0;
  for (const auto& [pair, n] : plan.pairs) {
    const auto& [p, q] = pair;
    if (p != current) {
      current = p;
      ASSIGN_OR_RETURN(have, tx.QueryInt("SELECT count(*) FROM co_purchases WHERE product_id=?", {p}));
    }
    if (have < copurchase::kPartnersPerProduct) {
      ASSIGN_OR_RETURN(int64_t fresh,
                       tx.Exec("INSERT INTO co_purchases(product_id, other_id, buyers, last_at_ms) VALUES(?,?,?,?) "
                               "ON CONFLICT(product_id, other_id) DO NOTHING",
                               {p, q, n, now}));
      if (fresh) {
        ++have;
        continue;
      }
    }
    RETURN_IF_ERROR(tx.Run("UPDATE co_purchases SET buyers=buyers+?, last_at_ms=? WHERE product_id=? AND other_id=?",
                           {n, now, p, q}));
  }
  return Ok();
}

}  // namespace

class CoPurchases::Feed final : public OutboxConsumer {
 public:
  std::string_view name() const override { return kConsumerName; }
  std::vector<std::string> EventTypes() const override { return {"order.paid"}; }
  PayloadRead Payloads() const override { return {.read = false}; }

  Result<Command> Prepare(Reader& r, const std::vector<Store::Event>& events) override {
    Plan plan;
    BatchMemo memo;
    ASSIGN_OR_RETURN(std::vector<PaidOrder> orders, PaidOrders(r, events));
    for (const PaidOrder& o : orders) RETURN_IF_ERROR(AddPairs(r, o, memo, plan));
    return Command([plan = std::move(plan)](Tx& tx) { return ApplyPlan(tx, plan); });
  }
};

CoPurchases::CoPurchases(Store& store)
    : feed_(std::make_unique<Feed>()), runner_(std::make_unique<ConsumerRunner>(store, *feed_, copurchase::kBatch)) {}

CoPurchases::~CoPurchases() { Stop(); }

void CoPurchases::Start() {
  std::lock_guard lock(mu_);
  if (running_) return;
  running_ = true;
  thread_ = std::thread([this] {
    SetThreadName("xd-copurchase");
    for (;;) {
      {
        std::lock_guard l(mu_);
        if (!running_) return;
      }
      auto n = runner_->RunOnce();
      if (!n && n.error().code != ErrorCode::CONFLICT)
        spdlog::warn("event=copurchase_consume_failed error=\"{}\"", n.error().message);
      // A full batch: more is waiting. Otherwise wait, so the next round sums more orders'
      // pairs into one upsert each.
      if (n && *n == copurchase::kBatch) continue;
      std::unique_lock l(mu_);
      cv_.wait_for(l, std::chrono::milliseconds(copurchase::kPollMs), [this] { return !running_; });
    }
  });
}

void CoPurchases::Stop() {
  {
    std::lock_guard lock(mu_);
    if (!running_) return;
    running_ = false;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Status CoPurchases::CatchUp() {
  for (;;) {
    auto n = runner_->RunOnce();
    if (!n && n.error().code == ErrorCode::CONFLICT) continue;
    if (!n) return std::unexpected(n.error());
    if (*n == 0) return Ok();
  }
}

Result<std::vector<std::string>> CheckCoPurchases(Reader& r) {
  std::vector<std::string> problems;
  ASSIGN_OR_RETURN(Rows unbacked,
                   r.Query("SELECT bp.buyer_id, bp.product_id FROM buyer_products bp WHERE NOT EXISTS("
                           "SELECT 1 FROM orders o JOIN order_items i ON i.order_id = o.id WHERE o.buyer_id = bp.buyer_id "
                           "AND i.product_id = bp.product_id AND o.paid_at_ms IS NOT NULL) LIMIT 5"));
  for (const Row& row : unbacked)
    problems.push_back("buyer " + IdString(row.Int(0)) + " is recorded as having bought product " + IdString(row.Int(1)) +
                       " without a paid order of it");
  ASSIGN_OR_RETURN(Rows over,
                   r.Query("SELECT c.product_id, c.other_id, c.buyers, n.k FROM co_purchases c JOIN "
                           "(SELECT product_id, count(*) AS k FROM buyer_products GROUP BY product_id) n "
                           "ON n.product_id = c.product_id WHERE c.buyers > n.k LIMIT 5"));
  for (const Row& row : over)
    problems.push_back("products " + IdString(row.Int(0)) + " and " + IdString(row.Int(1)) + " are counted as bought together by " +
                       std::to_string(row.Int(2)) + " buyers, but " + std::to_string(row.Int(3)) + " bought the first");
  return problems;
}

Result<std::vector<int64_t>> BoughtWithYours(Reader& r, int64_t user_id, int limit) {
  ASSIGN_OR_RETURN(std::vector<int64_t> bought,
                   RecentProducts(r, user_id, 0, std::numeric_limits<int64_t>::max(), copurchase::kUserBasis));
  if (bought.empty()) return bought;
  // Each basis product's top partners (the index's order), summed over the basis.
  std::map<int64_t, int64_t> score;
  for (int64_t p : bought) {
    ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT other_id, buyers FROM co_purchases WHERE product_id=? "
                                        "ORDER BY buyers DESC, other_id LIMIT ?",
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
