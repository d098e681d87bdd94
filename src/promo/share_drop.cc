// Share-to-drop (转发降价). The buyer shares the activity's link; as distinct friends open
// the buyer's links, the price steps down by the highest tier reached (e.g. 5 opens → 5%
// off, 20 → 15% off), never below the floor. Openers are counted in share_opens, one row
// per link and viewer, so reopening never counts twice.
#include <algorithm>

#include "base/money.h"
#include "promo/internal/promo_internal.h"

namespace xd::promo::internal {

Status PriceShareDrop(Reader& r, const Activity& a, trade::PricingContext& ctx) {
  RETURN_IF_ERROR(RequireRunning(a, r.clock().NowMs()));
  ASSIGN_OR_RETURN(int64_t friends, r.QueryInt("SELECT count(DISTINCT o.viewer_id) FROM share_opens o JOIN shares s ON s.id = o.share_id "
                                               "WHERE s.sharer_id=? AND s.activity_id=? AND o.is_friend=1",
                                               {ctx.buyer_id, a.id}));
  int64_t off_bps = 0;
  for (auto& tier : a.config.at("tiers"))
    if (friends >= tier.at("opens").get<int64_t>()) off_bps = tier.at("off_bps").get<int64_t>();
  int64_t list = ctx.lines.front().list_price_fen;
  ASSIGN_OR_RETURN(Money off, Money::Fen(list).ApplyBps(off_bps));
  int64_t price = std::max(list - off.fen(), a.config.at("floor_price_fen").get<int64_t>());
  return ApplyActivityPrice(ctx, price, "转发降价 (" + std::to_string(friends) + " 位好友打开)");
}

}  // namespace xd::promo::internal
