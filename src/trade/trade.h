// Trade: cart, the pricing pipeline, checkout (one order per merchant, all or none), the
// order state machine with its timers, payments applied from provider notifications,
// completion with settlement, and after-sales.
//
// Order states (SPEC §2): created → paid → shipped → delivered → completed, cancelled
// (unpaid timeout), refunding → refunded; a paid order may wait in sub_status "grouping"
// or "gift_pending". Every transition appends an "order.<status>" event.
//
// Extension points, so social trading and membership plug in without rewrites:
//  - PricingRule: a stage of the pricing pipeline (activity, member price, coupons, ...).
//  - OrderObserver: reacts to order transitions inside the same transaction.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "account/account.h"
#include "base/json.h"
#include "base/result.h"
#include "pay/pay.h"
#include "store/store.h"
#include "store/timers.h"
#include "trade/states.h"

namespace xd::trade {

// ---- pricing pipeline ----

struct PriceLine {
  int64_t sku_id = 0, product_id = 0, merchant_id = 0;
  std::string title, category, image;
  Json spec = Json::object();
  int64_t list_price_fen = 0;  // the SKU's price
  int64_t unit_price_fen = 0;  // after the activity stage
  int64_t quantity = 0;
  std::optional<int64_t> freight_template_id;  // the product's; none: the merchant's default
  int64_t weight_g = 0;                        // of one unit (the SKU's), for templates by weight
};

struct PricingStep {
  std::string step;   // list | activity | member | merchant_coupon | platform_coupon | shipping | total
  std::string label;  // human text, e.g. "拼团价" or "满99包邮"
  int64_t amount_fen = 0;    // change this step made (negative = discount)
  int64_t subtotal_fen = 0;  // running total after the step
};
Json ToJson(const PricingStep& s);

struct PricingContext {
  int64_t buyer_id = 0;
  int64_t merchant_id = 0;
  std::string merchant_kind;
  std::vector<PriceLine> lines;
  Json activity;                // the request's "activity" object, or null
  std::vector<int64_t> coupon_ids;  // the buyer's coupons offered for this checkout
  int64_t redeem_points = 0;        // member points the buyer redeems at this merchant
  // Offered coupons this order took that the checkout's later orders must not see (a platform
  // coupon prices one order: the first it fits). Preview and checkout price alike.
  std::vector<int64_t> spent_coupon_ids;
  // The order's shipping address comes later, from someone else (a gift's recipient), so the
  // checkout needs none.
  bool address_later = false;
  // Where the order ships, when known (checkout; a preview with an address): the shipping
  // stage prices by its region codes and refuses regions not delivered to.
  std::optional<account::Address> ship_to;
  std::vector<PricingStep> steps;
  int64_t subtotal_fen = 0;
  Json order_extra = Json::object();  // merged into the order's activity column (e.g. group_id)

  // Records a step that changes the subtotal by `amount_fen` (never below zero).
  void AddStep(std::string step, std::string label, int64_t amount_fen);
};

class PricingRule {
 public:
  virtual ~PricingRule() = default;
  // Position in the pipeline: 100 activity, 200 member, 300 merchant coupon,
  // 400 platform coupon, 500 shipping.
  virtual int stage() const = 0;
  // Prices the context. `tx` is set when an order is being created (the rule may then
  // reserve or consume what it grants); null for a preview.
  virtual Status Apply(Reader& r, Tx* tx, PricingContext& ctx) = 0;
  // Runs once the order row exists (committing only).
  virtual Status AfterOrderCreated(Tx& tx, const PricingContext& ctx, int64_t order_id) {
    (void)tx, (void)ctx, (void)order_id;
    return Ok();
  }
};

// ---- freight templates (运费模板, SPEC §4) ----
// The shipping stage (500) prices each merchant order by its products' templates: lines are
// grouped by template (a product without one uses the merchant's default template, and with
// none the platform's rule, TradeConfig: ¥8, free from ¥99 — so a shop that never made a
// template ships as before); each group pays its rule's first fee plus the additional fee per
// started additional unit (units, or grams by weight), free when the group's goods reach a
// threshold, and is refused (UNDELIVERABLE, 422, naming the item) for a region not delivered to.
// The rule of a region is the most specific that names it (district, then city, then province),
// else the template's rule without regions.
struct FreightRule {
  std::vector<std::string> regions;  // region codes (base/regions.h); empty: every other region
  int64_t first_units = 1;           // units or grams the first fee covers
  int64_t first_fen = 0;
  int64_t additional_units = 1;      // each started step beyond them costs additional_fen
  int64_t additional_fen = 0;
  std::optional<int64_t> free_over_fen;  // free for this region from this much of the group's goods
};
struct FreightTemplate {
  int64_t id = 0, merchant_id = 0;
  std::string name;
  std::string mode = "unit";  // unit | weight (grams)
  std::vector<FreightRule> rules;
  std::optional<int64_t> free_over_fen;  // free everywhere from this much of the group's goods
  std::vector<std::string> undeliverable;  // region codes not delivered to (a province covers its cities)
  bool is_default = false;                 // the merchant's template for products without one
  int64_t created_at_ms = 0, updated_at_ms = 0;
};
Json ToJson(const FreightTemplate& t);
// Decodes and validates a template body (every field; codes must be known regions).
Result<FreightTemplate> FreightTemplateFromJson(const Json& body);
Result<FreightTemplate> CreateFreightTemplate(Tx& tx, int64_t merchant_id, FreightTemplate t);
// Replaces the template's fields. NOT_FOUND unless it is the merchant's.
Result<FreightTemplate> UpdateFreightTemplate(Tx& tx, int64_t merchant_id, int64_t id, FreightTemplate t);
// Deletes it; products that used it use the merchant's default again.
Status DeleteFreightTemplate(Tx& tx, int64_t merchant_id, int64_t id);
Result<std::vector<FreightTemplate>> ListFreightTemplates(Reader& r, int64_t merchant_id);
// FREIGHT_TEMPLATE_NOT_FOUND unless it is the merchant's.
Result<FreightTemplate> GetFreightTemplate(Reader& r, int64_t merchant_id, int64_t id);

// ---- orders ----

struct OrderItem {
  int64_t sku_id = 0, product_id = 0;
  std::string title, image;
  std::string spec_json = "{}";  // as stored: JSON text (see Order::address_json)
  int64_t unit_price_fen = 0, quantity = 0, line_fen = 0;
};

struct Order {
  int64_t id = 0, buyer_id = 0, merchant_id = 0;
  std::string merchant_kind;
  OrderStatus status = OrderStatus::kCreated;
  OrderSubStatus sub_status = OrderSubStatus::kNone;
  // Where the order returns when a refund ends short of refunding it all (a partial refund,
  // a rejected request); set only while it is refunding.
  std::optional<OrderStatus> status_before_refund;
  int64_t items_fen = 0, discount_fen = 0, shipping_fen = 0, total_fen = 0;
  int64_t provider_paid_fen = 0, card_paid_fen = 0, refunded_fen = 0, commission_fen = 0;
  // The address and the pricing steps as stored: JSON text, written as they are into replies
  // and event snapshots. Nothing reads inside them after checkout, and on the paid-order path
  // parsing them from the row and serialising them again cost the single writer ~5%.
  std::string address_json = "null", pricing_json = "[]";
  Json activity;
  std::optional<int64_t> payment_id;
  int64_t created_at_ms = 0;
  std::optional<int64_t> paid_at_ms, shipped_at_ms, delivered_at_ms, completed_at_ms, cancelled_at_ms;
  std::vector<OrderItem> items;
};
// The order as the API shows it.
Json ToJson(const Order& o);
// The same members as ToJson's object, written as text into an open object (the event
// snapshots: see DescribeOrder). Test: TradeTest.OrderSnapshotTextIsTheApiOrder.
void WriteOrderMembers(JsonWriter& w, const Order& o);

// What is about to happen to an existing order (OrderObserver::LockRows).
enum class OrderChange { kPay, kCancel };

// Reacts to transitions inside the transaction that makes them.
class OrderObserver {
 public:
  virtual ~OrderObserver() = default;
  // Called with the order's row locked, before its payment completes (kPay) or it is cancelled
  // (kCancel), and before trade touches the SKUs' stock or the ledger: locks
  // (Dialect::ForUpdate) the rows this observer's OnPaid / OnCancelled will change for the
  // order — a group's seats, a flash sale's stock, a campaign's items. Every command then takes
  // its rows in one order, the order's, these, the SKUs', ledger balances, as a checkout does
  // (pricing locks a group before stock is reserved); taken in another order two commands
  // deadlock (docs/scale-out.md "Lock order"). Lock nothing the change does not write: a row
  // locked here is held to the commit.
  virtual Status LockRows(Tx&, const Order&, OrderChange) { return Ok(); }
  virtual Status OnPaid(Tx&, Order&) { return Ok(); }  // may set order.sub_status
  virtual Status OnCancelled(Tx&, const Order&) { return Ok(); }
  // Before completion settles: may add postings paid out of the merchant's share (e.g. a
  // sharer's commission, +amount to "sharer:<user>"); the merchant's payable shrinks by
  // their sum. Must not exceed what the merchant nets.
  virtual Status OnCompleting(Tx&, const Order&, std::vector<pay::Posting>* /*from_merchant_share*/) { return Ok(); }
  virtual Status OnCompleted(Tx&, const Order&) { return Ok(); }
  virtual Status OnRefunded(Tx&, const Order&, int64_t /*refunded_fen*/) { return Ok(); }
  // After any status change (the order already carries the new status); cannot fail. For
  // watchers that act once the change commits (tx.OnCommit), e.g. long-polling buyers.
  virtual void OnStatusChanged(Tx&, const Order&) {}
  // Adds what this module knows about the order as members of the snapshot an order event
  // carries (logistics: "shipment"), written into the open object.
  virtual Status Describe(Reader&, const Order&, JsonWriter& /*order_object*/) { return Ok(); }
};

struct TradeConfig {
  int64_t unpaid_timeout_ms = 15 * 60 * 1000;
  int64_t auto_confirm_ms = 10LL * 24 * 3600 * 1000;
  int64_t aftersale_timeout_ms = 3LL * 24 * 3600 * 1000;
  int64_t free_shipping_over_fen = 9900;  // shipping is free at or above this subtotal
  int64_t shipping_fen = 800;
};

struct LineRequest {
  int64_t sku_id = 0;
  int64_t quantity = 0;
};
struct CheckoutRequest {
  std::vector<LineRequest> items;
  std::vector<int64_t> cart_item_ids;
  std::optional<account::Address> address;
  std::optional<int64_t> address_id;
  Json activity;
  std::vector<int64_t> coupon_ids;
  // "member_points": {"<merchant id>": points}: member points redeemed per merchant.
  std::map<int64_t, int64_t> redeem_points;
  // "pay": {"card_fen": N}: start paying in the same request (the cashier's one round trip).
  bool pay = false;
  int64_t card_fen = 0;
};
Result<CheckoutRequest> CheckoutRequestFromJson(const Json& body);

struct Aftersale {
  int64_t id = 0, order_id = 0, buyer_id = 0, merchant_id = 0, amount_fen = 0;
  std::string type, reason;
  AftersaleStatus status = AftersaleStatus::kPending;
  std::string return_carrier, return_tracking_no, reject_reason;
  std::optional<int64_t> refund_id;
  int64_t created_at_ms = 0;
  std::vector<LineRequest> items;  // return_refund: the units coming back (restocked on receipt)
};
Json ToJson(const Aftersale& a);

// A buyer's after-sales request. `items` (return_refund only) names the units sent back;
// none = every unit of the order not already returned or on its way back.
struct AftersaleRequest {
  std::string type;  // refund_only | return_refund
  int64_t amount_fen = 0;
  std::string reason;
  std::vector<LineRequest> items;
};
Result<AftersaleRequest> AftersaleRequestFromJson(const Json& body);

inline constexpr const char* kTimerUnpaid = "trade.unpaid_timeout";
inline constexpr const char* kTimerAutoConfirm = "trade.auto_confirm";
inline constexpr const char* kTimerAftersale = "trade.aftersale_timeout";

class TradeService {
 public:
  TradeService(pay::SandboxProvider& provider, TradeConfig config);

  void AddPricingRule(std::shared_ptr<PricingRule> rule);
  void AddObserver(std::shared_ptr<OrderObserver> observer);
  // Registers the trade timers (and the settlement timer) with the scheduler.
  void RegisterTimers(TimerService& timers);
  const TradeConfig& config() const { return config_; }
  // The snapshot an order event carries, as JSON text: ToJson(o)'s members with what observers
  // add (Describe). Written straight as text: it runs on the writer thread for every order
  // event (bench/README, "Issue 12: the snapshot as text").
  Result<std::string> DescribeOrder(Reader& r, const Order& o) const;

  // ---- cart ----
  Status AddToCart(Tx& tx, int64_t buyer_id, int64_t sku_id, int64_t quantity);
  Status SetCartQuantity(Tx& tx, int64_t buyer_id, int64_t cart_item_id, int64_t quantity);
  Status RemoveFromCart(Tx& tx, int64_t buyer_id, int64_t cart_item_id);
  Result<Json> Cart(Reader& r, int64_t buyer_id);

  // ---- checkout ----
  // Prices without writing (preview): {"orders":[{merchant_id,total_fen,pricing}]}.
  Result<Json> Preview(Reader& r, int64_t buyer_id, const CheckoutRequest& req);
  // Creates one order per merchant, reserving stock; all or none.
  Result<std::vector<Order>> Checkout(Tx& tx, int64_t buyer_id, const CheckoutRequest& req);
  // Checkout, then starts paying every new order in the same transaction, as Pay does
  // (req.card_fen of store credit needs a checkout that makes one order).
  Result<std::vector<std::pair<Order, pay::Payment>>> CheckoutAndPay(Tx& tx, int64_t buyer_id, const CheckoutRequest& req);

  // ---- orders ----
  // NOT_FOUND unless the order is the viewer's (buyer_id) or the merchant's (merchant_id).
  Result<Order> GetOrder(Reader& r, int64_t order_id, std::optional<int64_t> buyer_id, std::optional<int64_t> merchant_id);
  // Just the order's status (one indexed lookup), for the buyer who owns it; NOT_FOUND otherwise.
  Result<OrderStatus> BuyerOrderStatus(Reader& r, int64_t order_id, int64_t buyer_id);
  Result<std::vector<Order>> ListOrders(Reader& r, std::optional<int64_t> buyer_id, std::optional<int64_t> merchant_id,
                                        const std::string& status, int64_t limit, int64_t before_id);
  Status Cancel(Tx& tx, int64_t order_id, std::optional<int64_t> buyer_id, const std::string& reason);
  // Starts (or returns the pending) payment; a payment wholly in store credit pays at once.
  Result<pay::Payment> Pay(Tx& tx, int64_t buyer_id, int64_t order_id, int64_t card_fen);
  // Applies a verified provider notification; idempotent (duplicates change nothing).
  Result<std::string> ApplyNotification(Tx& tx, const pay::Notification& n);
  // The order-query path: asks the provider about a pending payment and applies what it says;
  // the payment's status after that.
  Result<pay::PaymentStatus> QueryPayment(Tx& tx, int64_t payment_id);
  Status Confirm(Tx& tx, int64_t order_id, std::optional<int64_t> buyer_id);
  // Logistics calls these as shipments move.
  Status MarkShipped(Tx& tx, int64_t merchant_id, int64_t order_id);
  Status MarkDelivered(Tx& tx, int64_t order_id);
  // Ends a paid order's wait (sub_status `waiting`, e.g. kGrouping or kGiftPending): it
  // becomes shippable; `new_address` (if set) replaces the address. INVALID_STATE if the
  // order is not waiting so. Appends "order.released".
  Status ReleaseWait(Tx& tx, int64_t order_id, OrderSubStatus waiting, const Json* new_address = nullptr);
  // Locks the orders' rows (Dialect::ForUpdate), ascending by id: for a command that must
  // hold several orders before it locks what they share (a group's expiry locks its members'
  // orders, then the group, as a payment of one of them does).
  Status LockOrders(Tx& tx, std::vector<int64_t> order_ids);
  // Refunds `amount_fen` of a paid order outside after-sales (e.g. a failed group buy).
  Status RefundOrder(Tx& tx, int64_t order_id, int64_t amount_fen, const std::string& reason);

  // ---- after-sales ----
  // Opens a request on the buyer's paid, shipped or delivered order (it becomes refunding).
  // A return names at most what the order holds minus earlier returns (RULE_VIOLATION).
  Result<Aftersale> RequestAftersale(Tx& tx, int64_t buyer_id, int64_t order_id, const AftersaleRequest& req);
  Result<Aftersale> GetAftersale(Reader& r, int64_t id, std::optional<int64_t> buyer_id, std::optional<int64_t> merchant_id);
  // The order's most recent after-sales request, if any.
  Result<std::optional<Aftersale>> LatestAftersale(Reader& r, int64_t order_id);
  // The same for many orders, by order id (orders without a request are absent): two
  // queries whatever the number of orders (for order lists).
  Result<std::map<int64_t, Aftersale>> LatestAftersales(Reader& r,
                                                        const std::vector<int64_t>& order_ids);
  Result<std::vector<Aftersale>> MerchantAftersales(Reader& r, int64_t merchant_id, const std::string& status, int64_t limit);
  // merchant_id empty = the system (timeout approves on silence).
  Result<Aftersale> ApproveAftersale(Tx& tx, int64_t id, std::optional<int64_t> merchant_id);
  Result<Aftersale> RejectAftersale(Tx& tx, int64_t id, int64_t merchant_id, const std::string& reason);
  Result<Aftersale> ReturnGoods(Tx& tx, int64_t id, int64_t buyer_id, const std::string& carrier, const std::string& tracking_no);
  // The returned goods arrived: restocks exactly the request's items, then refunds.
  Result<Aftersale> ReceiveReturn(Tx& tx, int64_t id, int64_t merchant_id);

  // Invariants for `xiaodian check`: escrow agrees with orders, totals agree with their
  // pricing steps, no order charged twice, no order line returned beyond its quantity, and
  // each SKU's restocked count equals the units its received returns brought back.
  Result<std::vector<std::string>> Check(Reader& r);

 private:
  Status RunPricing(Reader& r, Tx* tx, PricingContext& ctx);
  Result<std::vector<PricingContext>> PriceRequest(Reader& r, Tx* tx, int64_t buyer_id, const CheckoutRequest& req);
  // After SettlePaymentSuccess of `p` (as read before it): the order is paid.
  Status OnPaymentSucceeded(Tx& tx, const pay::Payment& p);
  // The rows a payment completing or a cancel will change, in the lock order (LockRows above):
  // the order's row, the observers' rows, then its SKUs' stock rows ascending by id.
  Status LockForChange(Tx& tx, const Order& o, OrderChange change);
  // LockForChange(kPay) for the order of a payment the provider is about to report settled.
  Status LockForPaymentOf(Tx& tx, const pay::Payment& p);
  // Starts the payment of an unpaid order that has none pending.
  Result<pay::Payment> StartOrderPayment(Tx& tx, Order& o, int64_t card_fen);
  Status OnRefundCompleted(Tx& tx, int64_t refund_id);
  Status SetStatus(Tx& tx, Order& o, OrderStatus to, const Json& extra = Json::object());
  Status StartAftersaleRefund(Tx& tx, Aftersale& a, Order& o);

  pay::SandboxProvider& provider_;
  TradeConfig config_;
  std::vector<std::shared_ptr<PricingRule>> rules_;
  std::vector<std::shared_ptr<OrderObserver>> observers_;
};

}  // namespace xd::trade
