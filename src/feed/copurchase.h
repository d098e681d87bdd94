// Bought together (co-purchase, SPEC §9 "personalised products (from tags and co-purchase)";
// issue 20, decision 033): a candidate source of the signed-in home feed.
//
//   trade.AddObserver(feed::NewCoPurchaseRecorder());    // app.cc: counted as orders are paid
//   ASSIGN_OR_RETURN(auto ids, feed::BoughtWithYours(r, user_id, 30));   // serve.cc
//
// When an order is paid, every product in it is paired with the other products in it and with
// the buyer's recent purchases (their last kRecentPurchases products paid before), both ways,
// in co_purchases (migration 043), in the paying transaction: no background job, nothing to
// catch up. A self-purchase (the buyer is the shop's owner or staff) pairs nothing. Bounded: a
// product gains new partners until it has kPartnersPerProduct (a few more under concurrent
// payments: the count is read, not locked); after that only its partners' counts grow. Refunds
// do not take pairs back (a pair says the two were wanted together).
// Lock order (docs/scale-out.md): the rows are upserted in (product_id, other_id) order, after
// the order's, the SKUs' and before the ledger's, like every paying command.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "base/result.h"
#include "store/store.h"
#include "trade/trade.h"

namespace xd::feed {

namespace copurchase {
inline constexpr int kRecentPurchases = 20;     // the buyer's earlier products paired with a new order
inline constexpr int kPartnersPerProduct = 50;  // new partners a product gains at most
inline constexpr int kMaxLinesPaired = 20;      // an order's products paired (its first, by line)
inline constexpr int kUserBasis = 10;           // BoughtWithYours: the user's last products asked about
inline constexpr int kCandidates = 30;          // the feed's co-purchase candidates per request
}  // namespace copurchase

// The observer that records an order's pairs when it is paid (OrderObserver::OnPaid).
std::shared_ptr<trade::OrderObserver> NewCoPurchaseRecorder();

// Records the pairs of paid order `order` (what the recorder does; tests call it directly).
Status RecordCoPurchases(Tx& tx, const trade::Order& order);

// Products other buyers bought with what `user_id` bought lately (their last kUserBasis paid
// products), most paired first, without those products themselves; at most `limit`, on sale or
// not (the caller filters).
Result<std::vector<int64_t>> BoughtWithYours(Reader& r, int64_t user_id, int limit);

}  // namespace xd::feed
