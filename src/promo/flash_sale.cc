// Flash sale (秒杀). The activity carries its own stock, taken when an order is created
// (one guarded UPDATE, so a burst never oversells) and given back when the order is
// cancelled unpaid. Conservation: stock = stock_left + units of the activity's orders that
// are not cancelled. The per-user limit counts the same units per buyer, with the activity's
// row locked so that it holds across nodes.
#include "base/id.h"
#include "base/messages.h"
#include "promo/internal/promo_internal.h"

namespace xd::promo::internal {

Result<FlashSaleConfig> FlashSaleConfigOf(const Activity& a) {
  ObjectReader r(a.config);
  FlashSaleConfig c;
  c.price_fen = r.Int("price_fen", {.min = 1});
  c.per_user_limit = r.Int("per_user_limit", {.min = 1});
  RETURN_IF_ERROR(StoredConfigStatus(r, a));
  return c;
}

namespace {

Status PriceFlashSale(Reader& r, Tx* tx, const Activity& read, trade::PricingContext& ctx) {
  Activity a = read;
  // The activity's row stays locked to commit: the per-user limit is a count of the buyer's
  // activity orders, which no guarded UPDATE can hold, so a purchase on another node waits
  // here and then counts this one. The row read locked is also the one whose status (a stop
  // that just committed) decides.
  if (tx) {
    ASSIGN_OR_RETURN(a, LockActivity(*tx, read.id));
  }
  RETURN_IF_ERROR(RequireRunning(a, r.clock().NowMs()));
  ASSIGN_OR_RETURN(FlashSaleConfig c, FlashSaleConfigOf(a));
  int64_t qty = ctx.lines.front().quantity;
  int64_t limit = c.per_user_limit;
  ASSIGN_OR_RETURN(int64_t bought, r.QueryInt("SELECT COALESCE(SUM(quantity),0) FROM activity_orders "
                                              "WHERE activity_id=? AND buyer_id=? AND state IN (" + ActivityOrderStateSql(HoldsClaim) + ")",
                                              {a.id, ctx.buyer_id}));
  if (bought + qty > limit)
    return Fail(Msg::PER_USER_LIMIT, {{"limit", limit}, {"held", bought}});
  if (tx) {
    ASSIGN_OR_RETURN(int64_t n, tx->Exec("UPDATE activities SET stock_left = stock_left - ? WHERE id=? AND stock_left >= ?", {qty, a.id, qty}));
    if (n == 0) return Fail(Msg::FLASH_SOLD_OUT);
  } else if (a.stock_left < qty) {
    return Fail(Msg::FLASH_SOLD_OUT);
  }
  return ApplyActivityPrice(ctx, c.price_fen, "秒杀价");
}

Result<std::vector<std::string>> CheckFlashSales(Reader& r) {
  std::vector<std::string> problems;
  ASSIGN_OR_RETURN(Rows stock, r.Query("SELECT a.id, a.stock_total, a.stock_left, "
                                       "(SELECT COALESCE(SUM(m.quantity),0) FROM activity_orders m WHERE m.activity_id = a.id "
                                       "AND m.state IN (" + ActivityOrderStateSql(HoldsClaim) + ")) "
                                       "FROM activities a WHERE a.type='flash_sale'"));
  for (auto& row : stock) {
    if (row.Int(2) < 0 || row.Int(1) != row.Int(2) + row.Int(3))
      problems.push_back("flash sale " + IdString(row.Int(0)) + " stock " + std::to_string(row.Int(1)) + " != left " +
                         std::to_string(row.Int(2)) + " + taken " + std::to_string(row.Int(3)));
  }
  ASSIGN_OR_RETURN(Rows over, r.Query("SELECT m.activity_id, m.buyer_id, SUM(m.quantity) FROM activity_orders m "
                                      "JOIN activities a ON a.id = m.activity_id WHERE a.type='flash_sale' "
                                      "AND m.state IN (" + ActivityOrderStateSql(HoldsClaim) + ") "
                                      "GROUP BY m.activity_id, m.buyer_id "
                                      "HAVING SUM(m.quantity) > MAX(" + r.dialect().JsonInt("a.config", "per_user_limit") + ") LIMIT 10"));
  for (auto& row : over)
    problems.push_back("flash sale " + IdString(row.Int(0)) + ": buyer " + IdString(row.Int(1)) + " holds " + std::to_string(row.Int(2)) +
                       " units, past the per-user limit");
  return problems;
}

// Flash sale (秒杀): a price below the SKU's, on the activity's own stock, with a per-buyer
// limit, inside a mandatory window.
class FlashSaleType final : public ActivityType {
 public:
  std::string_view name() const override { return "flash_sale"; }

  Status ReadInput(ObjectReader& r, ActivityInput& in) const override {
    in.price_fen = r.Int("price_fen", {.min = 1, .max = limits::kMaxActivityPriceFen});
    in.stock = r.Int("stock", {.min = 1, .max = limits::kMaxFlashSaleStock});
    // A buyer cannot take more than one order line holds anyway.
    in.per_user_limit = r.OptInt("per_user_limit", {.min = 1, .max = limits::kMaxLineQuantity}).value_or(1);
    return Ok();
  }

  Status ValidateInput(const ActivityInput& in) const override {
    if (!in.starts_at_ms || !in.ends_at_ms) return Fail(Msg::FLASH_NEEDS_TIMES);
    return Ok();
  }

  Status Configure(const ActivityInput& in, const catalog::Sku& sku, Activity& a) const override {
    if (in.price_fen >= sku.price_fen)
      return Fail(Msg::ACTIVITY_PRICE_NOT_BELOW, {Fen("sku_price", sku.price_fen)});
    a.config = Json{{"price_fen", in.price_fen}, {"per_user_limit", in.per_user_limit}};
    a.stock_total = a.stock_left = in.stock;
    return Ok();
  }

  Status Price(Reader& r, Tx* tx, const Activity& a, const ActivityRef&, trade::PricingContext& ctx) const override {
    return PriceFlashSale(r, tx, a, ctx);
  }

  // The units go back to the activity's stock.
  Status OnCancelled(Tx& tx, const ActivityOrder& ao) const override {
    return tx.Run("UPDATE activities SET stock_left = stock_left + ? WHERE id=?", {ao.quantity, ao.activity_id});
  }

  // A cancel gives stock back to the activity's row, which a grab locks before it reserves the
  // SKU's stock. A payment changes nothing of the sale: the hot row stays unlocked by it.
  Status LockRows(Tx& tx, const ActivityOrder& ao, trade::OrderChange change) const override {
    return change == trade::OrderChange::kCancel ? ToStatus(LockActivity(tx, ao.activity_id)) : Ok();
  }

  Result<std::vector<std::string>> Check(Reader& r) const override { return CheckFlashSales(r); }
};

}  // namespace

std::unique_ptr<ActivityType> MakeFlashSaleType() { return std::make_unique<FlashSaleType>(); }

}  // namespace xd::promo::internal
