// Routes of coupons (promo): merchant and platform coupons, claiming, the buyer's wallet.
// Coupons are spent through POST /api/v1/checkout with "coupon_ids":[...] (routes_trade.cc).
#include "http/api.h"
#include "base/messages.h"
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

Status ListMerchantCoupons(Call& c) {
  Store& store = c.app().store;
  promo::PromoService& promo = c.app().promo;
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
  ASSIGN_OR_RETURN(auto page, c.Page());
  ASSIGN_OR_RETURN(auto list, store.Read([&](Reader& r) {
    return promo.MerchantCoupons(r, s.merchant_id, page.first, page.second);
  }));
  c.Reply(PageJson(list, page.first));
  return Ok();
}

// Buyers discover coupons to claim: a shop's, and the platform's.
Result<Json> ClaimableCoupons(AppContext& app, std::optional<int64_t> merchant_id) {
  return app.store.Read([&](Reader& r) -> Result<Json> {
    ASSIGN_OR_RETURN(auto list, app.promo.MerchantCoupons(r, merchant_id, 100, 0));
    int64_t now = r.clock().NowMs();
    Json items = Json::array();
    for (auto& cp : list) {
      bool open = cp.status == promo::CouponStatus::kActive && cp.claimed < cp.total_quota &&
                  (!cp.valid_to_ms || *cp.valid_to_ms > now);
      if (open) items.push_back(promo::ToJson(cp));
    }
    return ListJson(items, 0);
  });
}

Status ListShopCoupons(Call& c) {
  Store& store = c.app().store;
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(account::Merchant m,
                   store.Read([&](Reader& r) { return account::GetMerchant(r, id); }));
  if (m.status != "active") return Fail(Msg::MERCHANT_NOT_FOUND);
  ASSIGN_OR_RETURN(Json out, ClaimableCoupons(c.app(), id));
  c.Reply(out);
  return Ok();
}

Status ListPlatformCoupons(Call& c) {
  ASSIGN_OR_RETURN(Json out, ClaimableCoupons(c.app(), std::nullopt));
  c.Reply(out);
  return Ok();
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
  ASSIGN_OR_RETURN(promo::Coupon cp, store.Read([&](Reader& r) { return promo.GetCoupon(r, id); }));
  c.Reply(promo::ToJson(cp));
  return Ok();
}

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
      {{"GET", "/api/v1/merchants/{id}/coupons", "Coupons of a shop that can still be claimed",
        "promo"}, ListShopCoupons},
      {{"GET", "/api/v1/platform/coupons", "Platform coupons that can still be claimed", "promo"},
       ListPlatformCoupons},
      {{"POST", "/api/v1/admin/coupons",
        "Issue a platform coupon, valid in every shop or a category (admin)", "promo",
        AuthKind::kAdmin, 201, PlatformCouponExample()}, CreatePlatformCoupon},
      {{"GET", "/api/v1/coupons/{id}", "A coupon (public: the claim link's landing data)", "promo"},
       GetCoupon},
      {{"POST", "/api/v1/coupons/{id}/claim",
        "Claim a coupon into the buyer's wallet (409 all claimed, 422 per-user limit)", "promo",
        AuthKind::kUser, 201}, ClaimCoupon},
      {{"GET", "/api/v1/me/coupons", "The buyer's coupons (status: unused | used | expired)",
        "promo", AuthKind::kUser, 200, nullptr, {"status", "limit", "cursor"}}, ListMyCoupons},
  });
  // clang-format on
}

}  // namespace xd::http
