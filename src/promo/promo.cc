// PromoService wiring: the pricing rules it plugs into trade (activity at stage 100,
// merchant coupon at 300, platform coupon at 400, distribution attribution at 900), the
// order observer that moves groups, gives back what a cancelled order held and pays sharers
// on completion, the timer handlers, and the invariant check.
#include "promo/promo.h"

#include <memory>

#include "base/id.h"
#include "base/messages.h"
#include "promo/internal/promo_internal.h"

namespace xd::promo {

namespace {

using O = trade::OrderStatus;
using S = internal::ActivityOrderState;
// An order in this status has not been paid (an activity order marked paid cannot be in one).
bool NeverPaid(O s) { return s == O::kCreated || s == O::kCancelled; }
// An order in this status ended without the buyer keeping it: where a cancelled activity
// order's order must be.
bool EndedUnkept(O s) { return s == O::kCancelled || s == O::kRefunding || s == O::kRefunded; }

using internal::ActivityRef;

// Stage 100: prices an order placed in an activity ("activity":{"id",...} in the checkout).
class ActivityRule final : public trade::PricingRule {
 public:
  explicit ActivityRule(PromoService& promo) : promo_(promo) {}
  int stage() const override { return 100; }

  Status Apply(Reader& r, Tx* tx, trade::PricingContext& ctx) override {
    ASSIGN_OR_RETURN(std::optional<ActivityRef> ref, internal::ParseActivityRef(ctx.activity));
    if (!ref) return Ok();
    if (ref->gift_message) {
      ctx.order_extra["gift"] = true;
      ctx.address_later = true;  // the recipients give it when accepting
      // A gift in parts is one unit per recipient: one SKU, as many units as parts.
      if (ref->gift_parts > 1 && (ctx.lines.size() != 1 || ctx.lines.front().quantity != ref->gift_parts))
        return Fail(Msg::GIFT_PARTS_QUANTITY, {{"parts", ref->gift_parts}, {"max", limits::kMaxGiftParts}});
    }
    if (!ref->id) return Ok();  // a plain gift order
    ASSIGN_OR_RETURN(Activity a, promo_.GetActivity(r, *ref->id));
    // An unknown type is refused, never priced as some other type.
    ASSIGN_OR_RETURN(const internal::ActivityType* type, internal::ActivityTypes().Find(a.type));
    if (ref->gift_message && !type->allows_gift())
      return Fail(Msg::ACTIVITY_NOT_GIFTABLE, {{"type", a.type}});
    // An activity order holds the activity's SKU alone: seats, flash stock and bargains are
    // per order, and one price step explains it.
    if (a.merchant_id != ctx.merchant_id || ctx.lines.size() != 1 || ctx.lines.front().sku_id != a.sku_id)
      return Fail(Msg::ACTIVITY_ONE_SKU, {{"sku_id", IdString(a.sku_id)}});
    if (ref->group_id && !type->takes_group_id()) return Fail(Msg::GROUP_ID_NOT_GROUP_BUY);
    if (ref->bargain_id && !type->takes_bargain_id()) return Fail(Msg::BARGAIN_ID_NOT_BARGAIN);
    RETURN_IF_ERROR(type->Price(r, tx, a, *ref, ctx));
    ctx.order_extra["type"] = a.type;
    return Ok();
  }

  Status AfterOrderCreated(Tx& tx, const trade::PricingContext& ctx, int64_t order_id) override {
    ASSIGN_OR_RETURN(std::optional<ActivityRef> ref, internal::ParseActivityRef(ctx.activity));
    if (ref && ref->gift_message) RETURN_IF_ERROR(internal::CreateGift(tx, ctx, order_id, *ref->gift_message, ref->gift_parts));
    if (!ctx.order_extra.contains("type")) return Ok();
    auto extra_id = [&](const char* key) -> std::optional<int64_t> {
      return ctx.order_extra.contains(key) ? ParseId(ctx.order_extra[key].get<std::string>()) : std::nullopt;
    };
    std::optional<int64_t> group_id = extra_id("group_id"), bargain_id = extra_id("bargain_id");
    RETURN_IF_ERROR(tx.Run("INSERT INTO activity_orders(order_id, activity_id, merchant_id, buyer_id, quantity, group_id, bargain_id, state, "
                           "created_at_ms) VALUES(?,?,?,?,?,?,?,?,?)",
                           {order_id, *ref->id, ctx.merchant_id, ctx.buyer_id, ctx.lines.front().quantity, group_id, bargain_id, Name(S::kCreated),
                            tx.NowMs()}));
    if (bargain_id) RETURN_IF_ERROR(tx.Run("UPDATE bargains SET order_id=? WHERE id=?", {order_id, *bargain_id}));
    return Ok();
  }

 private:
  PromoService& promo_;
};

// Stages 300 (merchant coupon) and 400 (platform coupon).
class CouponRule final : public trade::PricingRule {
 public:
  explicit CouponRule(bool platform) : platform_(platform) {}
  int stage() const override { return platform_ ? 400 : 300; }
  Status Apply(Reader& r, Tx* tx, trade::PricingContext& ctx) override { return internal::PriceCoupons(r, tx, platform_, ctx); }
  Status AfterOrderCreated(Tx& tx, const trade::PricingContext& ctx, int64_t order_id) override {
    return internal::AttachCoupons(tx, platform_, ctx, order_id);
  }

 private:
  bool platform_;
};

// Attribution for distribution: changes no price (it runs after shipping), and records the
// commission each line of a new order may earn from the buyer's last touch.
class AttributionRule final : public trade::PricingRule {
 public:
  explicit AttributionRule(int64_t window_ms) : window_ms_(window_ms) {}
  int stage() const override { return 900; }
  Status Apply(Reader&, Tx*, trade::PricingContext&) override { return Ok(); }
  Status AfterOrderCreated(Tx& tx, const trade::PricingContext& ctx, int64_t order_id) override {
    return internal::AttributeOrder(tx, ctx, order_id, window_ms_);
  }

 private:
  int64_t window_ms_;
};

// The order's activity order still in state created, with its activity's type.
Result<std::optional<std::pair<const internal::ActivityType*, internal::ActivityOrder>>> ActivityOrderOf(Tx& tx, int64_t order_id) {
  using Found = std::optional<std::pair<const internal::ActivityType*, internal::ActivityOrder>>;
  ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT m.activity_id, m.quantity, m.group_id, m.bargain_id, a.type FROM activity_orders m "
                                         "JOIN activities a ON a.id = m.activity_id WHERE m.order_id=? AND m.state=?",
                                         {order_id, Name(S::kCreated)}));
  if (!row) return Found();
  ASSIGN_OR_RETURN(const internal::ActivityType* type, internal::ActivityTypes().Find(row->Str(4)));
  return Found(std::make_pair(type, internal::ActivityOrder{order_id, row->Int(0), row->Int(1), row->OptInt(2), row->OptInt(3)}));
}

// Moves the order's activity order (read as created by ActivityOrderOf) to `to`, guarded by
// that state; INVALID_STATE for a move the table does not list.
Status MoveActivityOrder(Tx& tx, int64_t order_id, S to) {
  ASSIGN_OR_RETURN(std::string name, internal::Move(S::kCreated, to));
  ASSIGN_OR_RETURN(int64_t changed, tx.Exec("UPDATE activity_orders SET state=? WHERE order_id=? AND state=?",
                                            {name, order_id, Name(S::kCreated)}));
  return internal::Moved(changed);
}

// Moves activity orders along with their orders, in the same transaction.
class PromoObserver final : public trade::OrderObserver {
 public:
  PromoObserver(trade::TradeService& trade, int64_t gift_ttl_ms) : trade_(trade), gift_ttl_ms_(gift_ttl_ms) {}

  Status OnPaid(Tx& tx, trade::Order& order) override {
    RETURN_IF_ERROR(internal::GiftOrderPaid(tx, order, gift_ttl_ms_));
    ASSIGN_OR_RETURN(auto found, ActivityOrderOf(tx, order.id));
    if (!found) return Ok();
    auto& [type, ao] = *found;
    RETURN_IF_ERROR(MoveActivityOrder(tx, order.id, S::kPaid));
    return type->OnPaid(trade_, tx, ao, order);
  }

  Status LockRows(Tx& tx, const trade::Order& order, trade::OrderChange change) override {
    ASSIGN_OR_RETURN(auto found, ActivityOrderOf(tx, order.id));
    if (!found) return Ok();
    auto& [type, ao] = *found;
    return type->LockRows(tx, ao, change);
  }

  // An unpaid order was cancelled: its coupons, group seat, flash stock and bargain return.
  Status OnCancelled(Tx& tx, const trade::Order& order) override {
    RETURN_IF_ERROR(internal::ReturnCoupons(tx, order.id));
    RETURN_IF_ERROR(internal::CancelCommissions(tx, order.id));
    RETURN_IF_ERROR(internal::GiftOrderCancelled(tx, order.id));
    ASSIGN_OR_RETURN(auto found, ActivityOrderOf(tx, order.id));
    if (!found) return Ok();
    auto& [type, ao] = *found;
    RETURN_IF_ERROR(MoveActivityOrder(tx, order.id, S::kCancelled));
    return type->OnCancelled(tx, ao);
  }

  // Sharers are paid out of the merchant's share as the order completes.
  Status OnCompleting(Tx& tx, const trade::Order& order, std::vector<pay::Posting>* from_merchant_share) override {
    return internal::PayCommissions(tx, order, from_merchant_share);
  }

  // A refund in full cancels the commission (a partial one shrinks it at completion).
  // Coupons are not given back after payment.
  Status OnRefunded(Tx& tx, const trade::Order& order, int64_t) override {
    if (order.status != O::kRefunded) return Ok();
    return internal::CancelCommissions(tx, order.id);
  }

  // A gift order lists its parts with their addresses (the merchant ships each).
  Status Describe(Reader& r, const trade::Order& order, JsonWriter& w) override {
    return internal::DescribeGiftParts(r, order, w);
  }

 private:
  trade::TradeService& trade_;
  int64_t gift_ttl_ms_;
};

}  // namespace

void PromoService::Install(TimerService& timers) {
  trade_.AddPricingRule(std::make_shared<ActivityRule>(*this));
  trade_.AddPricingRule(std::make_shared<CouponRule>(false));
  trade_.AddPricingRule(std::make_shared<CouponRule>(true));
  trade_.AddPricingRule(std::make_shared<AttributionRule>(config_.attribution_window_ms));
  trade_.AddObserver(std::make_shared<PromoObserver>(trade_, config_.gift_ttl_ms));
  timers.Register(kTimerGroupExpire, [this](Tx& tx, const Json& p) -> Status {
    return internal::ExpireGroup(trade_, tx, p.at("group_id").get<int64_t>());
  });
  timers.Register(kTimerGiftExpire, [this](Tx& tx, const Json& p) -> Status {
    return internal::ExpireGift(trade_, tx, p.at("gift_id").get<int64_t>());
  });
  timers.Register(kTimerBargainExpire, [](Tx& tx, const Json& p) -> Status {
    return internal::ExpireBargain(tx, p.at("bargain_id").get<int64_t>());
  });
}

Result<std::vector<std::string>> PromoService::Check(Reader& r) {
  std::vector<std::string> problems;
  for (auto& type : internal::ActivityTypes().all()) {
    ASSIGN_OR_RETURN(auto found, type->Check(r));
    problems.insert(problems.end(), found.begin(), found.end());
  }
  for (auto check : {internal::CheckCoupons, internal::CheckDistribution, internal::CheckGifts}) {
    ASSIGN_OR_RETURN(auto found, check(r));
    problems.insert(problems.end(), found.begin(), found.end());
  }
  ASSIGN_OR_RETURN(Rows states, r.Query("SELECT m.order_id, m.state, o.status FROM activity_orders m JOIN orders o ON o.id = m.order_id "
                                        "WHERE (m.state=" + internal::Sql(S::kCreated) + " AND o.status <> " + internal::Sql(O::kCreated) + ") "
                                        "OR (m.state=" + internal::Sql(S::kPaid) + " AND o.status IN (" + trade::OrderStatusSql(NeverPaid) + ")) "
                                        "OR (m.state=" + internal::Sql(S::kCancelled) + " AND o.status NOT IN (" + trade::OrderStatusSql(EndedUnkept) + ")) LIMIT 10"));
  for (auto& row : states)
    problems.push_back("activity order " + IdString(row.Int(0)) + " is " + row.Str(1) + " but the order is " + row.Str(2));
  return problems;
}

}  // namespace xd::promo
