// Bought together (co_purchases, buyer_products; decision 040, the meaning of decision 037): a
// projection of the log's paid orders, kept by the projection round (insight.cc, stage 2) in the
// transaction that moves its cursor, and filled once for a file from before analytics migration
// 056 (BindToTradingStore). Not part of the module's interface.
//
// A product the buyer buys for the first time (no buyer_products row) is paired with the
// buyer's last config::kCoPurchaseRecent products (buyer_products by last_paid_at_ms) and with
// the order's other products, both ways; a pair counts buyers, a product bought again pairs
// nothing. An order of the shop's owner or staff (the log row's data.self, set at ingestion)
// pairs nothing. A product gains new partners until it has config::kCoPurchasePartners; after
// that only its partners' counts grow.
//
// The round's orders are applied in log id order in memory; Flush writes each key once, the
// pairs in the order they first arose, so the tables end up as one order at a time would leave
// them, whatever the rounds' boundaries (a rebuild equals the incremental path, the partner
// limit included). Times are the orders' payment times, never the clock's.
//
// Thread-safety: one applier per transaction.
#pragma once

#include <cstdint>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/json.h"
#include "base/result.h"
#include "store/store.h"

namespace xd::insight::internal {

class CoPurchaseApplier {
 public:
  explicit CoPurchaseApplier(Tx& tx) : tx_(tx) {}

  // One "order.paid" log row: its buyer (the row's user_id), its payment time and its data
  // (data.items[].product_id, in line order; data.self).
  Status Paid(int64_t buyer, int64_t paid_at_ms, const Json& data);
  // Writes what the round gathered: each (buyer, product) and each pair once.
  Status Flush();

 private:
  struct Bought {
    int64_t first_at = 0, last_at = 0;
    bool known = false;  // bought (a stored row, or earlier in the round)
  };
  struct PairDelta {
    int64_t buyers = 0, last_at = 0;
  };
  // The buyer's most recently paid products, newest first (last paid time, then product id),
  // at most config::kCoPurchaseRecent: read once per round, carried forward by its orders.
  Result<std::vector<std::pair<int64_t, int64_t>>*> Recent(int64_t buyer);
  Result<Bought*> Find(int64_t buyer, int64_t product);

  // (buyer, product) and (product, other) keys: hashed, as a round holds tens of thousands.
  struct KeyHash {
    size_t operator()(const std::pair<int64_t, int64_t>& k) const {
      return std::hash<uint64_t>()(static_cast<uint64_t>(k.first) * 0x9E3779B97F4A7C15ull ^
                                   static_cast<uint64_t>(k.second));
    }
  };

  Tx& tx_;
  std::unordered_map<std::pair<int64_t, int64_t>, Bought, KeyHash> bought_;
  std::unordered_map<int64_t, std::vector<std::pair<int64_t, int64_t>>> recent_;  // (last paid at, product)
  std::unordered_map<std::pair<int64_t, int64_t>, PairDelta, KeyHash> pairs_;
  std::vector<std::pair<int64_t, int64_t>> pair_order_;  // pairs_' keys as they first arose
};

// Of (merchant, buyer) pairs, those where the buyer is the merchant's owner or staff, read from
// the trading store (one query each for owners and staff): ingestion marks such paid orders
// (data.self) so that the log alone says which orders pair nothing.
Result<std::set<std::pair<int64_t, int64_t>>> SelfPurchases(
    Reader& trading, const std::set<std::pair<int64_t, int64_t>>& merchant_buyers);

// Analytics migration 056's fill (the 'co_purchases' key in meta): the log's paid orders up to
// the projection cursor replayed through CoPurchaseApplier (later rows are the projection's),
// after marking the self-purchases among them from `trading` (rows logged before 040 lack the
// mark; null: none marked).
Status FillCoPurchases(Store& analytics, Store* trading);

}  // namespace xd::insight::internal
