// Routes of coupons (promo): merchant and platform coupons, claiming, the buyer's wallet.
// Coupons are spent through POST /api/v1/checkout with "coupon_ids":[...] (routes_trade.cc).
#include "http/api.h"
#include "http/public_reads.h"
#include "base/id.h"
#include "base/messages.h"
#include "base/qr.h"
#include "promo/promo.h"

namespace xd::http {

using account::Perm;
using account::Principal;

namespace {

Json CouponExample() {
  return Json{{"kind", "fixed"},
              {"amount_fen", 500},
              {"min_spend_fen", 3000},
              {"total_quota", 100},
              {"per_user_limit", 1},
              {"scope", {{"type", "merchant"}}},
              {"valid_from", "2026-01-01T00:00:00Z"},
              {"valid_to", "2026-02-01T00:00:00Z"}};
}

Json PlatformCouponExample() {
  Json example = CouponExample();
  example["scope"] = Json{{"type", "platform"}};
  return example;
}

Status CreateMerchantCoupon(Call& c) {
  promo::PromoService& promo = c.app().promo;
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kActivities));
  ASSIGN_OR_RETURN(Json body, c.Body());
  ASSIGN_OR_RETURN(promo::CouponInput in, promo::CouponInputFromJson(body));
  c.Write(
      s,
      [&promo, in](Tx& tx, const StaffCaller& s) -> Result<Json> {
        ASSIGN_OR_RETURN(promo::Coupon cp, promo.CreateCoupon(tx, s.merchant_id, in));
        return promo::ToJson(cp);
      },
      201);
  return Ok();
}

std::vector<int64_t> CouponIds(const std::vector<promo::Coupon>& list) {
  std::vector<int64_t> ids;
  for (auto& cp : list) ids.push_back(cp.id);
  return ids;
}

// The console's list: each coupon with how many were used at checkout beside claimed and
// remaining.
Status ListMerchantCoupons(Call& c) {
  Store& store = c.app().store;
  promo::PromoService& promo = c.app().promo;
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
  ASSIGN_OR_RETURN(auto page, c.Page());
  ASSIGN_OR_RETURN(Json out, store.Read([&](Reader& r) -> Result<Json> {
    ASSIGN_OR_RETURN(auto list, promo.MerchantCoupons(r, s.merchant_id, page.first, page.second));
    ASSIGN_OR_RETURN(auto used, promo.CouponsUsed(r, CouponIds(list)));
    Json items = Json::array();
    for (auto& cp : list) {
      Json j = promo::ToJson(cp);
      j["used"] = used.contains(cp.id) ? used[cp.id] : 0;
      items.push_back(std::move(j));
    }
    return ListJson(items, NextCursor(list, page.first));
  }));
  c.Reply(out);
  return Ok();
}

Status StopMerchantCoupon(Call& c) {
  promo::PromoService& promo = c.app().promo;
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kActivities));
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  c.Write(s, [&promo, id](Tx& tx, const StaffCaller& s) -> Result<Json> {
    ASSIGN_OR_RETURN(promo::Coupon cp, promo.StopCoupon(tx, s.merchant_id, id));
    return promo::ToJson(cp);
  });
  return Ok();
}

// Buyers discover coupons to claim: the platform's, a shop's, every shop's (领券中心). A
// signed-in caller also learns how many of each they hold ("held"), so a page shows 已领取.
Status ReplyClaimable(Call& c, promo::PromoService::CouponSource source, int64_t merchant_id) {
  AppContext& app = c.app();
  ASSIGN_OR_RETURN(auto page, c.Page());
  std::optional<int64_t> buyer = SignedInUser(c);
  ASSIGN_OR_RETURN(Json out, app.store.Read([&](Reader& r) -> Result<Json> {
    ASSIGN_OR_RETURN(auto list, app.promo.ClaimableCoupons(r, source, merchant_id, page.first, page.second));
    std::vector<int64_t> ids;
    for (auto& cc : list) ids.push_back(cc.coupon.id);
    std::map<int64_t, int64_t> held;
    if (buyer) {
      ASSIGN_OR_RETURN(held, app.promo.CouponsHeld(r, *buyer, ids));
    }
    Json items = Json::array();
    for (auto& cc : list) {
      Json j = promo::ToJson(cc.coupon);
      if (!cc.merchant_name.empty()) j["merchant_name"] = cc.merchant_name;
      if (buyer) j["held"] = held.contains(cc.coupon.id) ? held[cc.coupon.id] : 0;
      items.push_back(std::move(j));
    }
    int64_t next = !list.empty() && static_cast<int64_t>(list.size()) == page.first ? list.back().coupon.id : 0;
    return ListJson(items, next);
  }));
  c.Reply(out);
  return Ok();
}

Status ListShopCoupons(Call& c) {
  Store& store = c.app().store;
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(account::Merchant m,
                   store.Read([&](Reader& r) { return account::GetMerchant(r, id); }));
  if (m.status != "active") return Fail(Msg::MERCHANT_NOT_FOUND);
  return ReplyClaimable(c, promo::PromoService::CouponSource::kShop, id);
}

Status ListPlatformCoupons(Call& c) {
  return ReplyClaimable(c, promo::PromoService::CouponSource::kPlatform, 0);
}

Status ListCouponCentre(Call& c) {
  return ReplyClaimable(c, promo::PromoService::CouponSource::kEveryShop, 0);
}

Status CreatePlatformCoupon(Call& c) {
  promo::PromoService& promo = c.app().promo;
  ASSIGN_OR_RETURN(AdminCaller admin, c.Admin());
  ASSIGN_OR_RETURN(Json body, c.Body());
  ASSIGN_OR_RETURN(promo::CouponInput in, promo::CouponInputFromJson(body));
  c.Write(
      admin,
      [&promo, in](Tx& tx, const AdminCaller&) -> Result<Json> {
        ASSIGN_OR_RETURN(promo::Coupon cp, promo.CreateCoupon(tx, std::nullopt, in));
        return promo::ToJson(cp);
      },
      201);
  return Ok();
}

Status GetCoupon(Call& c) {
  Store& store = c.app().store;
  promo::PromoService& promo = c.app().promo;
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  std::optional<int64_t> buyer = SignedInUser(c);
  ASSIGN_OR_RETURN(Json out, store.Read([&](Reader& r) -> Result<Json> {
    ASSIGN_OR_RETURN(promo::Coupon cp, promo.GetCoupon(r, id));
    Json j = promo::ToJson(cp);
    if (buyer) {
      ASSIGN_OR_RETURN(auto held, promo.CouponsHeld(r, *buyer, {id}));
      j["held"] = held.contains(id) ? held[id] : 0;
    }
    return j;
  }));
  c.Reply(out);
  return Ok();
}

// The coupon's claim link (the shop's #/coupon/{id}) as a QR code, for the console's download
// and a counter poster. Only for a coupon that exists: no QR code of arbitrary text.
Status CouponQr(Call& c, bool png) {
  Store& store = c.app().store;
  promo::PromoService& promo = c.app().promo;
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(promo::Coupon cp, store.Read([&](Reader& r) { return promo.GetCoupon(r, id); }));
  ASSIGN_OR_RETURN(QrCode code, EncodeQr(PublicOrigin(c.req()) + "/#/coupon/" + IdString(cp.id)));
  Response r;
  r.body = png ? QrPng(code, 10) : QrSvg(code, 10);
  r.content_type = png ? "image/png" : "image/svg+xml";
  r.headers.emplace_back("Cache-Control", "public, max-age=3600");
  r.headers.emplace_back("Content-Disposition",
                         "inline; filename=\"coupon-" + IdString(cp.id) + (png ? ".png\"" : ".svg\""));
  c.responder()(std::move(r));
  return Ok();
}
Status CouponQrSvg(Call& c) { return CouponQr(c, false); }
Status CouponQrPng(Call& c) { return CouponQr(c, true); }

Status ClaimCoupon(Call& c) {
  promo::PromoService& promo = c.app().promo;
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  c.Write(
      p,
      [&promo, id](Tx& tx, const Principal& p) -> Result<Json> {
        ASSIGN_OR_RETURN(promo::UserCoupon uc, promo.ClaimCoupon(tx, p.user_id, id));
        return promo::ToJson(uc, tx.NowMs());
      },
      201);
  return Ok();
}

Status ListMyCoupons(Call& c) {
  Store& store = c.app().store;
  promo::PromoService& promo = c.app().promo;
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(auto page, c.Page());
  std::string status = c.req().QueryParam("status").value_or("");
  ASSIGN_OR_RETURN(Json out, store.Read([&](Reader& r) -> Result<Json> {
    ASSIGN_OR_RETURN(auto list, promo.UserCoupons(r, p.user_id, status, page.first, page.second));
    Json items = Json::array();
    for (auto& uc : list) items.push_back(promo::ToJson(uc, r.clock().NowMs()));
    return ListJson(items, NextCursor(list, page.first));
  }));
  c.Reply(out);
  return Ok();
}

}  // namespace

void AddCouponRoutes(Api& api) {
  // One entry per route, laid out by hand as an index of the module's API.
  // clang-format off
  api.AddTable({
      // ---- coupons ----
      {{"POST", "/api/v1/merchant/coupons",
        "Issue a merchant coupon: fixed, percent or threshold (staff)", "promo", AuthKind::kStaff,
        201, CouponExample()}, CreateMerchantCoupon},
      {{"GET", "/api/v1/merchant/coupons", "The merchant's coupons, newest first (staff)", "promo",
        AuthKind::kStaff, 200, nullptr, {"limit", "cursor"}}, ListMerchantCoupons},
      {{"POST", "/api/v1/merchant/coupons/{id}/stop",
        "Stop handing a coupon out: no new claims, claimed ones stay usable (staff)", "promo",
        AuthKind::kStaff}, StopMerchantCoupon},
      {{"GET", "/api/v1/merchants/{id}/coupons",
        "Coupons of a shop that can still be claimed (signed in: with how many the caller holds)",
        "promo", AuthKind::kNone, 200, nullptr, {"limit", "cursor"}}, ListShopCoupons},
      {{"GET", "/api/v1/platform/coupons",
        "Platform coupons that can still be claimed, the new-user coupon among them (signed in: "
        "with held)", "promo", AuthKind::kNone, 200, nullptr, {"limit", "cursor"}},
       ListPlatformCoupons},
      {{"GET", "/api/v1/coupon-centre",
        "领券中心: every shop's coupons that can still be claimed, with the shop's name (signed "
        "in: with held)", "promo", AuthKind::kNone, 200, nullptr, {"limit", "cursor"}},
       ListCouponCentre},
      {{"POST", "/api/v1/admin/coupons",
        "Issue a platform coupon, valid in every shop or a category (admin)", "promo",
        AuthKind::kAdmin, 201, PlatformCouponExample()}, CreatePlatformCoupon},
      {{"GET", "/api/v1/coupons/{id}",
        "A coupon (public: the claim link's landing data; signed in: with held)", "promo"},
       GetCoupon},
      {{"GET", "/api/v1/coupons/{id}/qr.svg", "The coupon's claim link as a QR code (SVG)",
        "promo"}, CouponQrSvg},
      {{"GET", "/api/v1/coupons/{id}/qr.png", "The coupon's claim link as a QR code (PNG)",
        "promo"}, CouponQrPng},
      {{"POST", "/api/v1/coupons/{id}/claim",
        "Claim a coupon into the buyer's wallet (409 all claimed, 422 per-user limit)", "promo",
        AuthKind::kUser, 201}, ClaimCoupon},
      {{"GET", "/api/v1/me/coupons", "The buyer's coupons (status: unused | used | expired)",
        "promo", AuthKind::kUser, 200, nullptr, {"status", "limit", "cursor"}}, ListMyCoupons},
  });
  // clang-format on
}

}  // namespace xd::http
