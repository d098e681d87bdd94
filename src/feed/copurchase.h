// Bought together (co-purchase, SPEC §9 "personalised products (from tags and co-purchase)";
// issue 20, decisions 033 and 037): a candidate source of the signed-in home feed.
//
//   feed::CoPurchases pairs(store);  pairs.Start();                     // app.cc: follows payments
//   ASSIGN_OR_RETURN(auto ids, feed::BoughtWithYours(r, user_id, 30));   // serve.cc
//
// A projection of the outbox (store/consumer.h, cursor "feed.co_purchases"), not a write of the
// paying command. For each "order.paid" event, the order's products (its first kMaxLinesPaired)
// that the buyer buys for the first time (buyer_products) are paired with the buyer's recent
// purchases (the products of their last kRecentPurchases orders paid before it) and with the
// order's other products, both ways, in co_purchases (migrations 043, 050): a pair counts the
// buyers who bought both, and a buyer buying again pairs nothing new. A batch of events is read off the
// writer thread and its pairs summed, so the writer runs one upsert per distinct pair of the
// batch; the cursor advances in the same transaction (exactly once, on any number of nodes).
// Recording every order's pairs inside the payment cost 28% of the server's CPU per paid order
// (decision 037). A self-purchase (the buyer is the shop's owner or staff) pairs nothing.
// Bounded: a product gains new partners until it has kPartnersPerProduct (a few more under
// concurrent batches: the count is read, not locked); after that only its partners' counts
// grow. Refunds do not take pairs back (a pair says the two were wanted together). Lock order:
// rows upserted in (product_id, other_id) order.
//
// Thread-safety: Start/Stop/CatchUp from any thread (one consumer round at a time).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "base/result.h"
#include "store/consumer.h"
#include "store/store.h"

namespace xd::feed {

namespace copurchase {
inline constexpr int kRecentPurchases = 20;     // the buyer's earlier products paired with a new order
inline constexpr int kPartnersPerProduct = 50;  // new partners a product gains at most
inline constexpr int kMaxLinesPaired = 20;      // an order's products paired (its first, by line)
inline constexpr int kUserBasis = 10;           // BoughtWithYours: the user's last products asked about
inline constexpr int kCandidates = 30;          // the feed's co-purchase candidates per request
inline constexpr int kBatch = 500;              // outbox events per consumer round
inline constexpr int kPollMs = 500;             // the consumer's wait when caught up
}  // namespace copurchase

class CoPurchases {
 public:
  explicit CoPurchases(Store& store);
  ~CoPurchases();
  CoPurchases(const CoPurchases&) = delete;
  CoPurchases& operator=(const CoPurchases&) = delete;

  // A background thread follows the outbox, waiting kPollMs when caught up.
  void Start();
  void Stop();
  // Consumes every durable event after the cursor now (tests, `xiaodian` tools).
  Status CatchUp();

 private:
  class Feed;
  std::unique_ptr<Feed> feed_;
  std::unique_ptr<ConsumerRunner> runner_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool running_ = false;
  std::thread thread_;
};

// Invariants for `xiaodian check` (feed_ok): every first purchase in buyer_products is one of
// the buyer's paid order lines, and no pair counts more buyers than bought either of its
// products. Each problem is one line (at most a few of each kind).
Result<std::vector<std::string>> CheckCoPurchases(Reader& r);

// Products other buyers bought with what `user_id` bought lately (the products of their last
// kUserBasis paid orders), most paired first, without those products themselves; at most
// `limit`, on sale or not (the caller filters).
Result<std::vector<int64_t>> BoughtWithYours(Reader& r, int64_t user_id, int limit);

}  // namespace xd::feed
