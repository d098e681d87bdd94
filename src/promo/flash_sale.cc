// Flash sale (秒杀). The activity carries its own stock, taken when an order is created
// (one guarded UPDATE in the single writer, so a burst never oversells) and given back when
// the order is cancelled unpaid. Conservation: stock = stock_left + units of the activity's
// orders that are not cancelled. The per-user limit counts the same units per buyer.
#include "base/id.h"
#include "promo/internal/promo_internal.h"

namespace xd::promo::internal {

Status PriceFlashSale(Reader& r, Tx* tx, const Activity& a, trade::PricingContext& ctx) {
  RETURN_IF_ERROR(RequireRunning(a, r.clock().NowMs()));
  int64_t qty = ctx.lines.front().quantity;
  int64_t limit = a.config.at("per_user_limit").get<int64_t>();
  ASSIGN_OR_RETURN(int64_t bought, r.QueryInt("SELECT COALESCE(SUM(quantity),0) FROM activity_orders "
                                              "WHERE activity_id=? AND buyer_id=? AND state<>'cancelled'",
                                              {a.id, ctx.buyer_id}));
  if (bought + qty > limit)
    return Fail(ErrorCode::LIMIT_EXCEEDED, "每人限购 " + std::to_string(limit) + " 件 (per-user limit; you hold " + std::to_string(bought) + ")");
  if (tx) {
    ASSIGN_OR_RETURN(int64_t n, tx->Exec("UPDATE activities SET stock_left = stock_left - ? WHERE id=? AND stock_left >= ?", {qty, a.id, qty}));
    if (n == 0) return Fail(ErrorCode::OUT_OF_STOCK, "已抢光 (the flash sale is sold out)");
  } else if (a.stock_left < qty) {
    return Fail(ErrorCode::OUT_OF_STOCK, "已抢光 (the flash sale is sold out)");
  }
  return ApplyActivityPrice(ctx, a.config.at("price_fen").get<int64_t>(), "秒杀价");
}

Result<std::vector<std::string>> CheckFlashSales(Reader& r) {
  std::vector<std::string> problems;
  ASSIGN_OR_RETURN(Rows stock, r.Query("SELECT a.id, a.stock_total, a.stock_left, "
                                       "(SELECT COALESCE(SUM(m.quantity),0) FROM activity_orders m WHERE m.activity_id = a.id AND m.state <> 'cancelled') "
                                       "FROM activities a WHERE a.type='flash_sale'"));
  for (auto& row : stock) {
    if (row.Int(2) < 0 || row.Int(1) != row.Int(2) + row.Int(3))
      problems.push_back("flash sale " + IdString(row.Int(0)) + " stock " + std::to_string(row.Int(1)) + " != left " +
                         std::to_string(row.Int(2)) + " + taken " + std::to_string(row.Int(3)));
  }
  ASSIGN_OR_RETURN(Rows over, r.Query("SELECT m.activity_id, m.buyer_id, SUM(m.quantity) FROM activity_orders m "
                                      "JOIN activities a ON a.id = m.activity_id WHERE a.type='flash_sale' AND m.state <> 'cancelled' "
                                      "GROUP BY m.activity_id, m.buyer_id "
                                      "HAVING SUM(m.quantity) > json_extract(MAX(a.config), '$.per_user_limit') LIMIT 10"));
  for (auto& row : over)
    problems.push_back("flash sale " + IdString(row.Int(0)) + ": buyer " + IdString(row.Int(1)) + " holds " + std::to_string(row.Int(2)) +
                       " units, past the per-user limit");
  return problems;
}

}  // namespace xd::promo::internal
