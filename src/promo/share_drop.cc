// Share-to-drop (转发降价). The buyer shares the activity's link; as distinct friends open
// the buyer's links, the price steps down by the highest tier reached (e.g. 5 opens → 5%
// off, 20 → 15% off), never below the floor. Openers are counted in share_opens, one row
// per link and viewer, so reopening never counts twice.
#include <algorithm>

#include "base/id.h"
#include "base/money.h"
#include "base/messages.h"
#include "promo/internal/promo_internal.h"

namespace xd::promo::internal {

Result<ShareDropConfig> ShareDropConfigOf(const Activity& a) {
  ObjectReader r(a.config);
  ShareDropConfig c;
  c.floor_price_fen = r.Int("floor_price_fen", {.min = 1});
  if (const Json* tiers = r.RequireArray("tiers", limits::kMaxShareDropTiers)) {
    for (size_t i = 0; i < tiers->size(); ++i) {
      ObjectReader t((*tiers)[i], "tiers[" + std::to_string(i) + "].");
      c.tiers.emplace_back(t.Int("opens", {.min = 1}), t.Int("off_bps", {.min = 1, .max = limits::kMaxPercentOffBps}));
      RETURN_IF_ERROR(StoredConfigStatus(t, a));
    }
  }
  RETURN_IF_ERROR(StoredConfigStatus(r, a));
  return c;
}

namespace {

Result<int64_t> FriendOpens(Reader& r, int64_t sharer_id, int64_t activity_id) {
  return r.QueryInt("SELECT count(DISTINCT o.viewer_id) FROM share_opens o JOIN shares s ON s.id = o.share_id "
                    "WHERE s.sharer_id=? AND s.activity_id=? AND o.is_friend=1",
                    {sharer_id, activity_id});
}

}  // namespace

Result<Json> ShareDropProgress(Reader& r, const Activity& a, int64_t buyer_id, int64_t list_price_fen) {
  ASSIGN_OR_RETURN(ShareDropConfig c, ShareDropConfigOf(a));
  ASSIGN_OR_RETURN(int64_t friends, FriendOpens(r, buyer_id, a.id));
  auto price_at = [&](int64_t off_bps) -> Result<int64_t> {
    ASSIGN_OR_RETURN(Money off, Money::Fen(list_price_fen).ApplyBps(off_bps));
    return std::max(list_price_fen - off.fen(), c.floor_price_fen);
  };
  int64_t off_bps = 0;
  Json next = nullptr;
  for (auto& [opens, tier_bps] : c.tiers) {
    if (friends >= opens) {
      off_bps = tier_bps;
    } else if (next.is_null()) {
      ASSIGN_OR_RETURN(int64_t next_price, price_at(tier_bps));
      next = Json{{"opens", opens}, {"off_bps", tier_bps}, {"friends_needed", opens - friends}, {"price_fen", next_price}};
    }
  }
  ASSIGN_OR_RETURN(int64_t price, price_at(off_bps));
  if (!next.is_null()) next["drop_fen"] = price - next["price_fen"].get<int64_t>();
  return Json{{"activity_id", IdString(a.id)}, {"friend_opens", friends}, {"list_price_fen", list_price_fen},
              {"price_fen", price}, {"off_bps", off_bps}, {"floor_price_fen", c.floor_price_fen}, {"next", next}};
}

namespace {

Status PriceShareDrop(Reader& r, const Activity& a, trade::PricingContext& ctx) {
  RETURN_IF_ERROR(RequireRunning(a, r.clock().NowMs()));
  ASSIGN_OR_RETURN(ShareDropConfig c, ShareDropConfigOf(a));
  ASSIGN_OR_RETURN(int64_t friends, FriendOpens(r, ctx.buyer_id, a.id));
  int64_t off_bps = 0;
  for (auto& [opens, tier_bps] : c.tiers)
    if (friends >= opens) off_bps = tier_bps;
  int64_t list = ctx.lines.front().list_price_fen;
  ASSIGN_OR_RETURN(Money off, Money::Fen(list).ApplyBps(off_bps));
  int64_t price = std::max(list - off.fen(), c.floor_price_fen);
  return ApplyActivityPrice(ctx, price, "转发降价 (" + std::to_string(friends) + " 位好友打开)");
}

// Share-to-drop (转发降价): the price falls by tiers as distinct friends open the buyer's
// links, never below the floor.
class ShareDropType final : public ActivityType {
 public:
  std::string_view name() const override { return "share_drop"; }

  Status ReadInput(ObjectReader& r, ActivityInput& in) const override {
    in.floor_price_fen = r.Int("floor_price_fen", {.min = 1, .max = limits::kMaxActivityPriceFen});
    if (const Json* tiers = r.RequireArray("tiers", limits::kMaxShareDropTiers)) {
      for (size_t i = 0; i < tiers->size(); ++i) {
        ObjectReader t((*tiers)[i], "tiers[" + std::to_string(i) + "].");
        std::pair<int64_t, int64_t> tier{t.Int("opens", {.min = 1, .max = limits::kMaxShareDropOpens}),
                                         t.Int("off_bps", {.min = 1, .max = limits::kMaxPercentOffBps})};
        RETURN_IF_ERROR(t.Finish());
        if (!in.tiers.empty() && (tier.first <= in.tiers.back().first || tier.second <= in.tiers.back().second))
          return Fail(Msg::TIERS_MUST_RISE);
        in.tiers.push_back(tier);
      }
      if (in.tiers.empty()) r.Invalid("tiers", Msg::FIELD_EMPTY);
    }
    return Ok();
  }

  Status Configure(const ActivityInput& in, const catalog::Sku& sku, Activity& a) const override {
    if (in.floor_price_fen >= sku.price_fen)
      return Fail(Msg::FLOOR_NOT_BELOW, {Fen("sku_price", sku.price_fen)});
    Json tiers = Json::array();
    for (auto& [opens, off_bps] : in.tiers) tiers.push_back(Json{{"opens", opens}, {"off_bps", off_bps}});
    a.config = Json{{"tiers", tiers}, {"floor_price_fen", in.floor_price_fen}};
    return Ok();
  }

  Status Price(Reader& r, Tx*, const Activity& a, const ActivityRef&, trade::PricingContext& ctx) const override {
    return PriceShareDrop(r, a, ctx);
  }
};

}  // namespace

std::unique_ptr<ActivityType> MakeShareDropType() { return std::make_unique<ShareDropType>(); }

}  // namespace xd::promo::internal
