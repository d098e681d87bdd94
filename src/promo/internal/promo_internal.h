// What the promo module's files share and nobody outside may include: row decoders, the
// parsed "activity" reference of a checkout, and the per-activity pricing and lifecycle
// steps that promo.cc wires into trade's pricing rules, observer and timers.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "promo/promo.h"

namespace xd::promo::internal {

inline constexpr int64_t kDayMs = 24LL * 3600 * 1000;

// The checkout's "activity" object: {"id"} to buy (or open a group), plus "group_id" to
// join a group or "bargain_id" to buy a bargain at its current price.
// "gift":{"message"} buys the order as a gift (with or without an activity id).
struct ActivityRef {
  std::optional<int64_t> id;
  std::optional<int64_t> group_id, bargain_id;
  std::optional<std::string> gift_message;  // set when the order is a gift
};
// nullopt when the checkout names no activity.
Result<std::optional<ActivityRef>> ParseActivityRef(const Json& activity);

extern const char* const kActivityCols;
Activity ActivityFromRow(const Row& r);
extern const char* const kGroupCols;
Group GroupFromRow(const Row& r);
extern const char* const kCouponCols;
Coupon CouponFromRow(const Row& r, size_t first = 0);
extern const char* const kBargainCols;
Bargain BargainFromRow(const Row& r);

Result<Group> LoadGroup(Reader& r, int64_t id);
Result<Bargain> LoadBargain(Reader& r, int64_t id);

// Checks that `now` is inside the activity's window and that it runs.
Status RequireRunning(const Activity& a, int64_t now_ms);

// Sets the (single) line's unit price to `price_fen` (never above its list price) and
// records the "activity" pricing step.
Status ApplyActivityPrice(trade::PricingContext& ctx, int64_t price_fen, const std::string& label);

// ---- stage 100: one function per activity type. `tx` null = preview (read only). ----
Status PriceGroupBuy(Reader& r, Tx* tx, const Activity& a, const ActivityRef& ref, trade::PricingContext& ctx);
Status PriceFlashSale(Reader& r, Tx* tx, const Activity& a, trade::PricingContext& ctx);
Status PriceBargain(Reader& r, Tx* tx, const Activity& a, const ActivityRef& ref, trade::PricingContext& ctx);
Status PriceShareDrop(Reader& r, const Activity& a, trade::PricingContext& ctx);

// ---- lifecycle hooks ----
// A member order of the group was paid: counts it, succeeds the group at N paid members
// (clearing every member order's "grouping"), else leaves the order "grouping".
Status GroupOrderPaid(trade::TradeService& trade, Tx& tx, int64_t group_id, trade::Order& order);
// A member order was cancelled unpaid: its seat is free again; a forming group left with
// no member at all fails at once (nobody to refund, nothing to join).
Status GroupSeatFreed(Tx& tx, int64_t group_id);
// Deadline (or a late payment into a failed group): fails a forming group, cancels its
// unpaid member orders and refunds its paid ones.
Status ExpireGroup(trade::TradeService& trade, Tx& tx, int64_t group_id);
// An unpaid bargain order was cancelled: the bargain runs again (or expires if it is late).
Status BargainOrderCancelled(Tx& tx, int64_t bargain_id);
Status ExpireBargain(Tx& tx, int64_t bargain_id);

// ---- coupons (stages 300 and 400) ----
// Prices the coupons of ctx.coupon_ids that belong to this stage: at most one per stage.
Status PriceCoupons(Reader& r, Tx* tx, bool platform, trade::PricingContext& ctx);
// Links the coupons reserved for this order to it.
Status AttachCoupons(Tx& tx, bool platform, const trade::PricingContext& ctx, int64_t order_id);
// Gives back the coupons an unpaid, cancelled order used.
Status ReturnCoupons(Tx& tx, int64_t order_id);

// ---- distribution ----
// Records, for each line of a new order, the commission its last touch may earn.
Status AttributeOrder(Tx& tx, const trade::PricingContext& ctx, int64_t order_id, int64_t window_ms);
// Completion: pays the order's pending commissions (pro rata to what the buyer kept).
Status PayCommissions(Tx& tx, const trade::Order& order, std::vector<pay::Posting>* shares);
// A cancelled or fully refunded order owes no commission.
Status CancelCommissions(Tx& tx, int64_t order_id);

// ---- gifting ----
Status CreateGift(Tx& tx, const trade::PricingContext& ctx, int64_t order_id, const std::string& message);
// A gift order was paid: it waits for its recipient ("gift_pending") until the deadline.
Status GiftOrderPaid(Tx& tx, trade::Order& order, int64_t ttl_ms);
Status GiftOrderCancelled(Tx& tx, int64_t order_id);
Status ExpireGift(trade::TradeService& trade, Tx& tx, int64_t gift_id);

// ---- invariant checks ----
Result<std::vector<std::string>> CheckGroups(Reader& r);
Result<std::vector<std::string>> CheckFlashSales(Reader& r);
Result<std::vector<std::string>> CheckCoupons(Reader& r);
Result<std::vector<std::string>> CheckBargains(Reader& r);
Result<std::vector<std::string>> CheckDistribution(Reader& r);
Result<std::vector<std::string>> CheckGifts(Reader& r);

}  // namespace xd::promo::internal
