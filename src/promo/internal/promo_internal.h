// What the promo module's files share and nobody outside may include: row decoders, the
// parsed "activity" reference of a checkout, and the per-activity pricing and lifecycle
// steps that promo.cc wires into trade's pricing rules, observer and timers.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/limits.h"
#include "base/messages.h"
#include "catalog/catalog.h"
#include "promo/promo.h"
#include "trade/states.h"

namespace xd::promo::internal {

inline constexpr int64_t kDayMs = 24LL * 3600 * 1000;

// The checkout's "activity" object: {"id"} to buy (or open a group), plus "group_id" to
// join a group or "bargain_id" to buy a bargain at its current price.
// "gift":{"message"} buys the order as a gift (with or without an activity id).
struct ActivityRef {
  std::optional<int64_t> id;
  std::optional<int64_t> group_id, bargain_id;
  std::optional<std::string> gift_message;  // set when the order is a gift
  int64_t gift_parts = 1;                   // "gift":{"parts"}: recipients, one unit each
};
// nullopt when the checkout names no activity.
Result<std::optional<ActivityRef>> ParseActivityRef(const Json& activity);

// A status change `from` → `to`: the stored name of `to` for the guarded UPDATE (... WHERE
// status=<from>), or INVALID_STATE when the status's transition table does not allow it
// (refused before anything is written).
template <class E>
Result<std::string> Move(E from, E to) {
  if (!CanMove(from, to))
    return Fail(Msg::STATUS_CANNOT_CHANGE, {Term("from", std::string(Name(from)), "promo"), Term("to", std::string(Name(to)), "promo")});
  return std::string(Name(to));
}
// A guarded UPDATE changed `changed` rows: INVALID_STATE unless exactly one (the row left the
// status it was read in).
inline Status Moved(int64_t changed) {
  if (changed == 1) return Ok();
  return Fail(Msg::STATUS_CHANGED_RELOAD);
}
// A status's stored name quoted for SQL ('used'): taken from its table, never from input, so
// check and filter queries name statuses only through the tables.
template <class E>
std::string Sql(E s) {
  return "'" + std::string(Name(s)) + "'";
}
inline std::string Sql(trade::OrderStatus s) { return "'" + std::string(trade::ToString(s)) + "'"; }
inline std::string Sql(trade::OrderSubStatus s) { return "'" + std::string(trade::ToString(s)) + "'"; }
// The status of a stored name. The schema's CHECK admits only the table's names, so an
// unknown one means the store was written by something else: a broken invariant.
template <class E>
E StoredStatus(std::optional<E> parsed) {
  CHECK(parsed.has_value());
  return *parsed;
}

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
// The same rows read with their row locked to commit (Dialect::ForUpdate), for a command that
// counts or checks before it writes: the same command on another node waits for this one's
// commit and then reads what it wrote (docs/scale-out.md "Writers and retries").
Result<Activity> LockActivity(Tx& tx, int64_t id);
Result<Group> LockGroup(Tx& tx, int64_t id);
Result<Bargain> LockBargain(Tx& tx, int64_t id);

// Checks that `now` is inside the activity's window and that it runs.
Status RequireRunning(const Activity& a, int64_t now_ms);

// Sets the (single) line's unit price to `price_fen` (never above its list price) and
// records the "activity" pricing step.
Status ApplyActivityPrice(trade::PricingContext& ctx, int64_t price_fen, const std::string& label);

// ---- the activity registry ----

// The state of an order placed in an activity (activity_orders.state), stored as its Name():
// created (its seat, flash stock and the buyer's allowance are held) → paid (with its order)
// | cancelled (its order was cancelled unpaid: what it held comes back). Paid and cancelled
// are final: a refund after payment leaves the activity order paid.
enum class ActivityOrderState { kCreated, kPaid, kCancelled };
std::string_view Name(ActivityOrderState s);
std::optional<ActivityOrderState> ParseActivityOrderState(std::string_view name);
bool CanMove(ActivityOrderState from, ActivityOrderState to);
// The activity order still holds what its creation took (a group seat, flash stock, units
// of the buyer's per-user limit): the seat and stock counts and the limits count these.
bool HoldsClaim(ActivityOrderState s);
// The states for which `pred` holds, as an SQL list ('created','paid') for `state IN (...)`;
// built from the table's names, never from input.
std::string ActivityOrderStateSql(bool (*pred)(ActivityOrderState));

// An order placed in an activity (a row of activity_orders).
struct ActivityOrder {
  int64_t order_id = 0, activity_id = 0, quantity = 0;
  std::optional<int64_t> group_id, bargain_id;
};

// One kind of activity. Each type is one implementation of this interface, registered in
// ActivityTypes(); everything that differs between types goes through it, so a new type
// (community pickup, live price) is one new file and one line in the registry. Types hold
// no state: every method may run on any thread with its own Tx/Reader.
class ActivityType {
 public:
  virtual ~ActivityType() = default;
  // The "type" of the create body and of the activities row.
  virtual std::string_view name() const = 0;
  // Reads and range-checks this type's fields of a create body into `in`: field errors are
  // left in the reader (which refuses every other field at Finish()); an error returned
  // here is one the reader cannot hold.
  virtual Status ReadInput(ObjectReader& r, ActivityInput& in) const = 0;
  // Checks across this type's fields once they are read (INVALID_FIELD, MISSING_FIELD).
  virtual Status ValidateInput(const ActivityInput&) const { return Ok(); }
  // Checks `in` against the SKU it runs on and sets the activity's stored config (and its
  // own stock, for a type that has one). RULE_VIOLATION when the SKU's price forbids it.
  virtual Status Configure(const ActivityInput& in, const catalog::Sku& sku, Activity& a) const = 0;
  // What a checkout's "activity" object may name for this type besides its id.
  virtual bool takes_group_id() const { return false; }
  virtual bool takes_bargain_id() const { return false; }
  virtual bool allows_gift() const { return true; }
  // Stage 100: prices the order's single line (and, with a Tx, reserves what the price
  // grants: a seat, flash stock, the bargain). `tx` null = preview (read only).
  virtual Status Price(Reader& r, Tx* tx, const Activity& a, const ActivityRef& ref, trade::PricingContext& ctx) const = 0;
  // The activity order was paid (`order` is being marked paid; set its sub_status to wait).
  virtual Status OnPaid(trade::TradeService& trade, Tx& tx, const ActivityOrder& ao, trade::Order& order) const;
  // The activity order was cancelled unpaid: give back what its creation took.
  virtual Status OnCancelled(Tx& tx, const ActivityOrder& ao) const;
  // Before OnPaid (kPay) or OnCancelled (kCancel): locks the rows that one will change
  // (trade::OrderObserver::LockRows: the same order a checkout takes them in).
  virtual Status LockRows(Tx& tx, const ActivityOrder& ao, trade::OrderChange change) const;
  // This type's invariants for `xiaodian check`: problems found, empty when sound.
  virtual Result<std::vector<std::string>> Check(Reader& r) const;
};

// The activity types by name.
class ActivityRegistry {
 public:
  // CHECKs that the name is new (two types of one name are a programming error).
  void Register(std::unique_ptr<ActivityType> type);
  // INVALID_FIELD (a zh message naming the known types) for a type nobody registered.
  Result<const ActivityType*> Find(std::string_view name) const;
  const std::vector<std::unique_ptr<ActivityType>>& all() const { return types_; }

 private:
  std::vector<std::unique_ptr<ActivityType>> types_;
};

// The registry of every activity type this build knows (built once, on first use).
const ActivityRegistry& ActivityTypes();

std::unique_ptr<ActivityType> MakeGroupBuyType();
std::unique_ptr<ActivityType> MakeFlashSaleType();
std::unique_ptr<ActivityType> MakeBargainType();
std::unique_ptr<ActivityType> MakeShareDropType();

// The stored configs, typed. Each reads the activity's config column without throwing
// (INTERNAL when a stored config is malformed: the store was written by someone else).
struct GroupBuyConfig {
  int64_t group_price_fen = 0, group_size = 0, group_ttl_s = 0;
  std::optional<int64_t> leader_price_fen;
  bool new_user_only = false;
};
Result<GroupBuyConfig> GroupBuyConfigOf(const Activity& a);
struct FlashSaleConfig {
  int64_t price_fen = 0, per_user_limit = 1;  // the stock lives in the activities row
};
Result<FlashSaleConfig> FlashSaleConfigOf(const Activity& a);
struct BargainConfig {
  int64_t floor_price_fen = 0, helps_needed = 0, ttl_s = 0;
};
Result<BargainConfig> BargainConfigOf(const Activity& a);
struct ShareDropConfig {
  int64_t floor_price_fen = 0;
  std::vector<std::pair<int64_t, int64_t>> tiers;  // (friends' opens, basis points off), rising
};
Result<ShareDropConfig> ShareDropConfigOf(const Activity& a);
// A buyer's progress on a share-to-drop activity: {friend_opens, list_price_fen, price_fen (at
// the tier reached), off_bps, floor_price_fen, next: {opens, off_bps, friends_needed, price_fen,
// drop_fen} | null}.
Result<Json> ShareDropProgress(Reader& r, const Activity& a, int64_t buyer_id, int64_t list_price_fen);
// Turns a reader's error on a stored config into INTERNAL with the activity's id.
Status StoredConfigStatus(ObjectReader& r, const Activity& a);

// ---- lifecycle steps the types share with timers ----
// Deadline (or a late payment into a failed group): fails a forming group, cancels its
// unpaid member orders and refunds its paid ones.
Status ExpireGroup(trade::TradeService& trade, Tx& tx, int64_t group_id);
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
Status CreateGift(Tx& tx, const trade::PricingContext& ctx, int64_t order_id, const std::string& message, int64_t parts);
// A gift order was paid: it waits for its recipient ("gift_pending") until the deadline.
Status GiftOrderPaid(Tx& tx, trade::Order& order, int64_t ttl_ms);
Status GiftOrderCancelled(Tx& tx, int64_t order_id);
Status ExpireGift(trade::TradeService& trade, Tx& tx, int64_t gift_id);
// The order's gift parts ("gift_parts": part_no, status, address, accepted_at, refunded_fen) in
// its JSON, for a gift order only.
Status DescribeGiftParts(Reader& r, const trade::Order& o, JsonWriter& w);
// The same list as JSON ([] for an order that is no gift).
Result<Json> GiftPartsOfOrder(Reader& r, int64_t order_id);

// ---- invariant checks (the activity types' are theirs: ActivityType::Check) ----
Result<std::vector<std::string>> CheckCoupons(Reader& r);
Result<std::vector<std::string>> CheckDistribution(Reader& r);
Result<std::vector<std::string>> CheckGifts(Reader& r);

}  // namespace xd::promo::internal
