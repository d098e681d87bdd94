// Coupons (优惠券): templates issued by a merchant or the platform with a total quota and a
// per-user limit, claimed into buyers' wallets, and spent at checkout. Claiming takes one
// unit of quota with a guarded UPDATE (the schema CHECKs claimed ≤ quota), so the quota holds
// under any burst; the per-user limit is counted with the coupon's row locked, so it holds
// across nodes too (tests/api_races_test.cc).
//
// Stacking: at most one merchant coupon (stage 300) and one platform coupon (stage 400) per
// order. A merchant coupon prices its own shop's order and is an error (422) where it does
// not apply; a platform coupon goes to the first order of the checkout it fits (orders are
// priced in merchant-id order) and is skipped by orders it does not fit. A coupon is taken
// when its order is created, comes back when that order is cancelled unpaid, and stays
// spent after a refund of a paid order.
#include <algorithm>

#include "base/id.h"
#include "base/messages.h"
#include "base/money.h"
#include "catalog/catalog.h"
#include "promo/events.h"
#include "promo/internal/promo_internal.h"

namespace xd::promo {

namespace {

constexpr size_t kUserCouponColCount = 9;  // wallet columns before the template's
// What an unused wallet entry past its valid_to shows (and is filtered by): derived, not stored.
constexpr std::string_view kExpired = "expired";
using U = UserCouponStatus;

UserCoupon UserCouponFromRow(const Row& r) {
  UserCoupon uc;
  uc.id = r.Int(0);
  uc.coupon_id = r.Int(1);
  uc.user_id = r.Int(2);
  uc.status = internal::StoredStatus(ParseUserCouponStatus(r.Str(3)));
  uc.valid_from_ms = r.Int(4);
  uc.valid_to_ms = r.Int(5);
  uc.claimed_at_ms = r.Int(6);
  uc.order_id = r.OptInt(7);
  uc.used_at_ms = r.OptInt(8);
  uc.coupon = internal::CouponFromRow(r, kUserCouponColCount);
  return uc;
}

// The wallet entry with its template ("c." + internal::kCouponCols, in that order).
constexpr const char* kUserCouponSelect =
    "SELECT uc.id, uc.coupon_id, uc.user_id, uc.status, uc.valid_from_ms, uc.valid_to_ms, uc.claimed_at_ms, uc.order_id, uc.used_at_ms, "
    "c.id, c.merchant_id, c.title, c.kind, c.amount_fen, c.percent_bps, c.cap_fen, c.min_spend_fen, c.total_quota, c.claimed, "
    "c.per_user_limit, c.scope, c.valid_from_ms, c.valid_to_ms, c.valid_days, c.status, c.created_at_ms "
    "FROM user_coupons uc JOIN coupons c ON c.id = uc.coupon_id ";

Json TimeOrNull(const std::optional<int64_t>& ms) { return ms ? Json(FormatRfc3339(*ms)) : Json(nullptr); }

// Reads a scope object: {"type":"merchant"} | {"type":"platform"} | {"type":"sku","ids":[...]} |
// {"type":"category","category":"食品"}; normalised for storage.
Result<Json> ScopeFromJson(const Json& j) {
  ObjectReader r(j, "scope.");
  std::string type = r.String("type", {.min_len = 1, .max_len = 20});
  Json scope{{"type", type}};
  if (type == "sku") {
    const Json* ids = r.RequireArray("ids", limits::kMaxCouponScopeSkus);
    if (ids) {
      Json norm = Json::array();
      for (auto& v : *ids) {
        auto id = v.is_string() ? ParseId(v.get<std::string>()) : std::nullopt;
        if (!id) return Fail(Msg::FIELD_NOT_ID, {Field("scope.ids")});
        norm.push_back(IdString(*id));
      }
      if (norm.empty()) return Fail(Msg::COUPON_SKUS_EMPTY);
      scope["ids"] = norm;
    }
  } else if (type == "category") {
    scope["category"] = r.String("category", {.min_len = 1, .max_len = limits::kMaxCategoryLen});
  } else if (type != "merchant" && type != "platform" && !type.empty()) {
    r.Invalid("type", Msg::FIELD_ONE_OF, {{"value", type}});
  }
  RETURN_IF_ERROR(r.Finish());
  return scope;
}

// The part of the order's current subtotal the coupon's scope covers.
int64_t EligibleFen(const Coupon& c, const trade::PricingContext& ctx) {
  std::string type = c.scope.value("type", "");
  if (type == "merchant" || type == "platform") return ctx.subtotal_fen;
  int64_t sum = 0;
  for (auto& l : ctx.lines) {
    bool in = false;
    if (type == "sku") {
      for (auto& id : c.scope.value("ids", Json::array())) in = in || id.get<std::string>() == IdString(l.sku_id);
    } else if (type == "category") {
      in = l.category == c.scope.value("category", "");
    }
    if (in) sum += l.unit_price_fen * l.quantity;
  }
  return std::min(sum, ctx.subtotal_fen);
}

std::string CouponLabel(const Coupon& c) {
  if (!c.title.empty()) return c.title;
  if (c.kind == "percent") return std::to_string((10000 - c.percent_bps) / 100) + "% 折扣券";
  if (c.min_spend_fen > 0) return "满" + std::to_string(c.min_spend_fen / 100) + "减" + std::to_string(c.amount_fen / 100);
  return "立减" + std::to_string(c.amount_fen / 100) + "元";
}

}  // namespace

namespace internal {

const char* const kCouponCols =
    "id, merchant_id, title, kind, amount_fen, percent_bps, cap_fen, min_spend_fen, total_quota, claimed, per_user_limit, scope, "
    "valid_from_ms, valid_to_ms, valid_days, status, created_at_ms";

Coupon CouponFromRow(const Row& r, size_t f) {
  Coupon c;
  c.id = r.Int(f + 0);
  c.merchant_id = r.OptInt(f + 1);
  c.title = r.Str(f + 2);
  c.kind = r.Str(f + 3);
  c.amount_fen = r.Int(f + 4);
  c.percent_bps = r.Int(f + 5);
  c.cap_fen = r.Int(f + 6);
  c.min_spend_fen = r.Int(f + 7);
  c.total_quota = r.Int(f + 8);
  c.claimed = r.Int(f + 9);
  c.per_user_limit = r.Int(f + 10);
  c.scope = r.JsonAt(f + 11);
  c.valid_from_ms = r.OptInt(f + 12);
  c.valid_to_ms = r.OptInt(f + 13);
  c.valid_days = r.OptInt(f + 14);
  c.status = StoredStatus(ParseCouponStatus(r.Str(f + 15)));
  c.created_at_ms = r.Int(f + 16);
  return c;
}

Status PriceCoupons(Reader& r, Tx* tx, bool platform, trade::PricingContext& ctx) {
  if (ctx.coupon_ids.empty()) return Ok();
  std::optional<UserCoupon> chosen;
  for (int64_t id : ctx.coupon_ids) {
    ASSIGN_OR_RETURN(auto row, r.QueryOne(std::string(kUserCouponSelect) + "WHERE uc.id=?", {id}));
    if (!row) return Fail(Msg::COUPON_NOT_FOUND, {{"coupon_id", IdString(id)}});
    UserCoupon uc = UserCouponFromRow(*row);
    if (uc.user_id != ctx.buyer_id) return Fail(Msg::COUPON_NOT_FOUND, {{"coupon_id", IdString(id)}});
    if (uc.coupon.merchant_id.has_value() == platform) continue;                       // the other stage's
    if (!platform && *uc.coupon.merchant_id != ctx.merchant_id) continue;             // another shop's order
    if (chosen) return Fail(Msg::ONE_COUPON_PER_ORDER, {Term("stage", platform ? "platform" : "merchant", "stage")});
    chosen = std::move(uc);
  }
  if (!chosen) return Ok();
  const UserCoupon& uc = *chosen;
  const Coupon& c = uc.coupon;
  MsgParam coupon_id("coupon_id", IdString(uc.id));
  if (!CanMove(uc.status, U::kUsed)) return Fail(Msg::COUPON_USED, {coupon_id});
  int64_t now = r.clock().NowMs();
  auto not_applicable = [&](Msg why, std::vector<MsgParam> params) -> Status {
    if (platform) return Ok();  // another order of the checkout may fit it
    params.push_back(coupon_id);
    return Fail(why, std::move(params));
  };
  if (now < uc.valid_from_ms) return Fail(Msg::COUPON_NOT_YET_VALID, {coupon_id, {"valid_from", FormatRfc3339(uc.valid_from_ms)}});
  if (now >= uc.valid_to_ms) return Fail(Msg::COUPON_EXPIRED, {coupon_id, {"valid_to", FormatRfc3339(uc.valid_to_ms)}});
  int64_t base = EligibleFen(c, ctx);
  if (base <= 0) return not_applicable(Msg::COUPON_NOT_APPLICABLE, {});
  if (base < c.min_spend_fen) return not_applicable(Msg::COUPON_MIN_SPEND, {Fen("min_spend", c.min_spend_fen)});
  int64_t off = 0;
  if (c.kind == "percent") {
    ASSIGN_OR_RETURN(Money m, Money::Fen(base).ApplyBps(c.percent_bps));
    off = c.cap_fen > 0 ? std::min(m.fen(), c.cap_fen) : m.fen();
  } else {
    off = std::min(c.amount_fen, base);
  }
  if (tx) {
    ASSIGN_OR_RETURN(std::string used, Move(uc.status, U::kUsed));
    ASSIGN_OR_RETURN(int64_t n, tx->Exec("UPDATE user_coupons SET status=?, used_at_ms=?, order_id=NULL WHERE id=? AND status=?",
                                         {used, now, uc.id, Name(uc.status)}));
    if (n == 0) return Fail(Msg::CONFLICT, {coupon_id});
  }
  ctx.AddStep(platform ? "platform_coupon" : "merchant_coupon", CouponLabel(c), -off);
  if (platform) ctx.spent_coupon_ids.push_back(uc.id);  // the checkout's later orders do not see it
  ctx.order_extra[platform ? "platform_coupon_id" : "merchant_coupon_id"] = IdString(uc.id);
  return Ok();
}

Status AttachCoupons(Tx& tx, bool platform, const trade::PricingContext& ctx, int64_t order_id) {
  const char* key = platform ? "platform_coupon_id" : "merchant_coupon_id";
  if (!ctx.order_extra.contains(key)) return Ok();
  auto id = ParseId(ctx.order_extra[key].get<std::string>());
  if (!id) return Fail(ErrorCode::INTERNAL, "bad coupon id in pricing context");
  return tx.Run("UPDATE user_coupons SET order_id=? WHERE id=? AND status=?", {order_id, *id, Name(U::kUsed)});
}

Status ReturnCoupons(Tx& tx, int64_t order_id) {
  ASSIGN_OR_RETURN(std::string unused, Move(U::kUsed, U::kUnused));
  return tx.Run("UPDATE user_coupons SET status=?, order_id=NULL, used_at_ms=NULL WHERE order_id=? AND status=?",
                {unused, order_id, Name(U::kUsed)});
}

Result<std::vector<std::string>> CheckCoupons(Reader& r) {
  std::vector<std::string> problems;
  auto add = [&](const Rows& rows, const std::string& what) {
    for (auto& row : rows) problems.push_back("coupon " + IdString(row.Int(0)) + " " + what);
  };
  ASSIGN_OR_RETURN(Rows over, r.Query("SELECT id FROM coupons WHERE claimed > total_quota LIMIT 10"));
  add(over, "is over-issued");
  ASSIGN_OR_RETURN(Rows count, r.Query("SELECT c.id FROM coupons c WHERE c.claimed <> "
                                       "(SELECT count(*) FROM user_coupons uc WHERE uc.coupon_id = c.id) LIMIT 10"));
  add(count, "counts claims that disagree with the wallets");
  ASSIGN_OR_RETURN(Rows per_user, r.Query("SELECT c.id FROM coupons c JOIN user_coupons uc ON uc.coupon_id = c.id "
                                          "GROUP BY c.id, uc.user_id HAVING count(*) > MAX(c.per_user_limit) LIMIT 10"));
  add(per_user, "was claimed past its per-user limit");
  ASSIGN_OR_RETURN(Rows dangling, r.Query("SELECT uc.coupon_id FROM user_coupons uc LEFT JOIN orders o ON o.id = uc.order_id "
                                          "WHERE (uc.status=" + Sql(U::kUsed) + " AND (o.id IS NULL OR o.status=" +
                                              Sql(trade::OrderStatus::kCancelled) + ")) "
                                          "OR (uc.status=" + Sql(U::kUnused) + " AND uc.order_id IS NOT NULL) LIMIT 10"));
  add(dangling, "has a wallet entry whose use disagrees with its order");
  ASSIGN_OR_RETURN(Rows stacked, r.Query("SELECT uc.order_id FROM user_coupons uc JOIN coupons c ON c.id = uc.coupon_id "
                                         "WHERE uc.status=" + Sql(U::kUsed) + " GROUP BY uc.order_id, c.merchant_id IS NULL HAVING count(*) > 1 LIMIT 10"));
  for (auto& row : stacked) problems.push_back("order " + IdString(row.Int(0)) + " uses two coupons of one kind");
  return problems;
}

}  // namespace internal

Result<CouponInput> CouponInputFromJson(const Json& body) {
  ObjectReader r(body);
  CouponInput in;
  in.title = r.OptString("title", {.max_len = limits::kMaxCouponTitleLen}).value_or("");
  in.kind = r.String("kind", {.min_len = 1, .max_len = 20});
  if (in.kind == "fixed") {
    in.amount_fen = r.Int("amount_fen", {.min = 1, .max = limits::kMaxCouponAmountFen});
    in.min_spend_fen = r.OptInt("min_spend_fen", {.min = 0, .max = limits::kMaxMinSpendFen}).value_or(0);
  } else if (in.kind == "threshold") {
    in.amount_fen = r.Int("amount_fen", {.min = 1, .max = limits::kMaxCouponAmountFen});
    in.min_spend_fen = r.Int("min_spend_fen", {.min = 1, .max = limits::kMaxMinSpendFen});
  } else if (in.kind == "percent") {
    in.percent_bps = r.Int("percent_bps", {.min = 1, .max = limits::kMaxPercentOffBps});
    in.cap_fen = r.OptInt("cap_fen", {.min = 0, .max = limits::kMaxCouponAmountFen}).value_or(0);
    in.min_spend_fen = r.OptInt("min_spend_fen", {.min = 0, .max = limits::kMaxMinSpendFen}).value_or(0);
  } else if (!in.kind.empty()) {
    r.Invalid("kind", Msg::FIELD_ONE_OF, {{"value", in.kind}});
  }
  in.total_quota = r.Int("total_quota", {.min = 1, .max = limits::kMaxCouponQuota});
  in.per_user_limit = r.OptInt("per_user_limit", {.min = 1, .max = limits::kMaxCouponsPerUser}).value_or(1);
  const Json* scope = r.RequireObject("scope");
  in.valid_from_ms = r.OptTime("valid_from");
  in.valid_to_ms = r.OptTime("valid_to");
  in.valid_days = r.OptInt("valid_days", {.min = 1, .max = limits::kMaxCouponValidDays});
  RETURN_IF_ERROR(r.Finish());
  ASSIGN_OR_RETURN(in.scope, ScopeFromJson(*scope));
  if (in.kind == "threshold" && in.amount_fen >= in.min_spend_fen)
    return Fail(Msg::THRESHOLD_COUPON_AMOUNT);
  if (in.valid_days && (in.valid_from_ms || in.valid_to_ms))
    return Fail(Msg::COUPON_VALIDITY_BOTH);
  if (!in.valid_days && !in.valid_to_ms) return Fail(Msg::COUPON_VALIDITY_REQUIRED);
  if (in.valid_from_ms && in.valid_to_ms && *in.valid_to_ms <= *in.valid_from_ms)
    return Fail(Msg::VALID_TO_BEFORE_FROM);
  return in;
}

Json ToJson(const Coupon& c) {
  return Json{{"id", IdString(c.id)},
              {"merchant_id", c.merchant_id ? Json(IdString(*c.merchant_id)) : Json(nullptr)},
              {"issuer", c.merchant_id ? "merchant" : "platform"},
              {"title", c.title.empty() ? CouponLabel(c) : c.title},
              {"kind", c.kind},
              {"amount_fen", c.amount_fen},
              {"percent_bps", c.percent_bps},
              {"cap_fen", c.cap_fen},
              {"min_spend_fen", c.min_spend_fen},
              {"total_quota", c.total_quota},
              {"claimed", c.claimed},
              {"remaining", c.total_quota - c.claimed},
              {"per_user_limit", c.per_user_limit},
              {"scope", c.scope},
              {"valid_from", TimeOrNull(c.valid_from_ms)},
              {"valid_to", TimeOrNull(c.valid_to_ms)},
              {"valid_days", c.valid_days ? Json(*c.valid_days) : Json(nullptr)},
              {"status", std::string(Name(c.status))},
              {"created_at", FormatRfc3339(c.created_at_ms)}};
}

std::string_view UserCouponDisplayName(const UserCoupon& uc, int64_t now_ms) {
  return uc.status == U::kUnused && now_ms >= uc.valid_to_ms ? kExpired : Name(uc.status);
}

Json ToJson(const UserCoupon& uc, int64_t now_ms) {
  return Json{{"id", IdString(uc.id)},
              {"coupon_id", IdString(uc.coupon_id)},
              {"status", std::string(UserCouponDisplayName(uc, now_ms))},
              {"valid_from", FormatRfc3339(uc.valid_from_ms)},
              {"valid_to", FormatRfc3339(uc.valid_to_ms)},
              {"order_id", uc.order_id ? Json(IdString(*uc.order_id)) : Json(nullptr)},
              {"claimed_at", FormatRfc3339(uc.claimed_at_ms)},
              {"used_at", TimeOrNull(uc.used_at_ms)},
              {"coupon", ToJson(uc.coupon)}};
}

Result<Coupon> PromoService::CreateCoupon(Tx& tx, std::optional<int64_t> merchant_id, const CouponInput& in) {
  std::string type = in.scope.value("type", "");
  if (merchant_id && type == "platform") return Fail(Msg::MERCHANT_COUPON_SCOPE);
  if (!merchant_id && type != "platform" && type != "category")
    return Fail(Msg::PLATFORM_COUPON_SCOPE);
  if (type == "sku") {
    for (auto& id : in.scope["ids"]) {
      auto sku_id = ParseId(id.get<std::string>());
      auto sku = catalog::GetSku(tx, sku_id.value_or(0));
      if (!sku || sku->merchant_id != *merchant_id) return Fail(Msg::SKU_NOT_FOUND, {{"sku_id", id.get<std::string>()}});
    }
  }
  int64_t now = tx.NowMs();
  if (in.valid_to_ms && *in.valid_to_ms <= now) return Fail(Msg::VALID_TO_IN_PAST);
  Coupon c;
  c.id = tx.NewId();
  c.merchant_id = merchant_id;
  c.title = in.title;
  c.kind = in.kind;
  c.status = CouponStatus::kActive;
  c.amount_fen = in.amount_fen;
  c.percent_bps = in.percent_bps;
  c.cap_fen = in.cap_fen;
  c.min_spend_fen = in.min_spend_fen;
  c.total_quota = in.total_quota;
  c.per_user_limit = in.per_user_limit;
  c.scope = in.scope;
  c.valid_from_ms = in.valid_from_ms;
  c.valid_to_ms = in.valid_to_ms;
  c.valid_days = in.valid_days;
  c.created_at_ms = now;
  RETURN_IF_ERROR(tx.Run("INSERT INTO coupons(id, merchant_id, title, kind, amount_fen, percent_bps, cap_fen, min_spend_fen, total_quota, "
                         "claimed, per_user_limit, scope, valid_from_ms, valid_to_ms, valid_days, status, created_at_ms) "
                         "VALUES(?,?,?,?,?,?,?,?,?,0,?,?,?,?,?,?,?)",
                         {c.id, merchant_id, c.title, c.kind, c.amount_fen, c.percent_bps, c.cap_fen, c.min_spend_fen, c.total_quota,
                          c.per_user_limit, DumpJson(c.scope), c.valid_from_ms, c.valid_to_ms, c.valid_days, Name(c.status), now}));
  RETURN_IF_ERROR(Emit(tx, CouponCreated{c}));
  return c;
}

Result<Coupon> PromoService::GetCoupon(Reader& r, int64_t id) {
  ASSIGN_OR_RETURN(auto row, r.QueryOne(std::string("SELECT ") + internal::kCouponCols + " FROM coupons WHERE id=?", {id}));
  if (!row) return Fail(Msg::COUPON_NOT_FOUND);
  return internal::CouponFromRow(*row);
}

Result<std::vector<Coupon>> PromoService::MerchantCoupons(Reader& r, std::optional<int64_t> merchant_id, int64_t limit, int64_t before_id) {
  // Platform coupons have no merchant: COALESCE makes them merchant 0 here.
  ASSIGN_OR_RETURN(Rows rows, r.Query(std::string("SELECT ") + internal::kCouponCols +
                                          " FROM coupons WHERE COALESCE(merchant_id, 0)=?1 AND (?2=0 OR id<?2) ORDER BY id DESC LIMIT ?3",
                                      {merchant_id.value_or(0), before_id, limit}));
  std::vector<Coupon> out;
  for (auto& row : rows) out.push_back(internal::CouponFromRow(row));
  return out;
}

Result<Coupon> PromoService::StopCoupon(Tx& tx, std::optional<int64_t> merchant_id, int64_t id) {
  ASSIGN_OR_RETURN(auto row, tx.QueryOne(std::string("SELECT ") + internal::kCouponCols + " FROM coupons WHERE id=?" +
                                             std::string(tx.dialect().ForUpdate()),
                                         {id}));
  if (!row) return Fail(Msg::COUPON_NOT_FOUND);
  Coupon c = internal::CouponFromRow(*row);
  if (c.merchant_id != merchant_id) return Fail(Msg::COUPON_NOT_FOUND);  // another issuer's: not revealed
  if (c.status == CouponStatus::kStopped) return c;
  ASSIGN_OR_RETURN(std::string to, internal::Move(c.status, CouponStatus::kStopped));
  ASSIGN_OR_RETURN(int64_t changed, tx.Exec("UPDATE coupons SET status=? WHERE id=? AND status=?", {to, id, Name(c.status)}));
  RETURN_IF_ERROR(internal::Moved(changed));
  c.status = CouponStatus::kStopped;
  RETURN_IF_ERROR(Emit(tx, CouponStopped{c}));
  return c;
}

Result<std::vector<PromoService::ClaimableCoupon>> PromoService::ClaimableCoupons(Reader& r, CouponSource source,
                                                                                 int64_t merchant_id, int64_t limit,
                                                                                 int64_t before_id) {
  std::string cols;
  for (std::string_view col : {"id", "merchant_id", "title", "kind", "amount_fen", "percent_bps", "cap_fen", "min_spend_fen",
                               "total_quota", "claimed", "per_user_limit", "scope", "valid_from_ms", "valid_to_ms",
                               "valid_days", "status", "created_at_ms"})
    cols += (cols.empty() ? "c." : ", c.") + std::string(col);
  // Every query names ?4 (PostgreSQL types each bound parameter from its use).
  std::string where = source == CouponSource::kPlatform ? "c.merchant_id IS NULL AND ?4=0"
                      : source == CouponSource::kShop   ? "c.merchant_id=?4 AND m.status='active'"
                                                        : "c.merchant_id IS NOT NULL AND m.status='active' AND ?4=0";
  if (source != CouponSource::kShop) merchant_id = 0;
  ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT " + cols + ", m.name FROM coupons c LEFT JOIN merchants m ON m.id = c.merchant_id "
                                      "WHERE " + where + " AND c.status=" + internal::Sql(CouponStatus::kActive) +
                                      " AND c.claimed < c.total_quota AND (c.valid_to_ms IS NULL OR c.valid_to_ms > ?1) "
                                      "AND (?2=0 OR c.id<?2) ORDER BY c.id DESC LIMIT ?3",
                                      {r.clock().NowMs(), before_id, limit, merchant_id}));
  std::vector<ClaimableCoupon> out;
  for (auto& row : rows) {
    ClaimableCoupon cc{internal::CouponFromRow(row), row.IsNull(17) ? std::string() : row.Str(17)};
    out.push_back(std::move(cc));
  }
  return out;
}

Result<std::map<int64_t, int64_t>> PromoService::CouponsUsed(Reader& r, const std::vector<int64_t>& coupon_ids) {
  std::map<int64_t, int64_t> out;
  if (coupon_ids.empty()) return out;
  ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT coupon_id, count(*) FROM user_coupons WHERE coupon_id IN " + r.dialect().IdsIn("?") +
                                          " AND status=" + internal::Sql(U::kUsed) + " GROUP BY coupon_id",
                                      {IdListParam(coupon_ids)}));
  for (auto& row : rows) out[row.Int(0)] = row.Int(1);
  return out;
}

Result<std::map<int64_t, int64_t>> PromoService::CouponsHeld(Reader& r, int64_t user_id, const std::vector<int64_t>& coupon_ids) {
  std::map<int64_t, int64_t> out;
  if (coupon_ids.empty()) return out;
  ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT coupon_id, count(*) FROM user_coupons WHERE user_id=? AND coupon_id IN " +
                                          r.dialect().IdsIn("?") + " GROUP BY coupon_id",
                                      {user_id, IdListParam(coupon_ids)}));
  for (auto& row : rows) out[row.Int(0)] = row.Int(1);
  return out;
}

Result<UserCoupon> PromoService::ClaimCoupon(Tx& tx, int64_t user_id, int64_t coupon_id) {
  // The coupon's row stays locked to commit: the per-user limit is a count of wallet entries,
  // which no guarded UPDATE can hold, so a claim on another node waits here and then counts
  // this one (nothing on SQLite, whose single writer runs one claim at a time).
  ASSIGN_OR_RETURN(auto row, tx.QueryOne(std::string("SELECT ") + internal::kCouponCols + " FROM coupons WHERE id=?" +
                                             std::string(tx.dialect().ForUpdate()),
                                         {coupon_id}));
  if (!row) return Fail(Msg::COUPON_NOT_FOUND);
  Coupon c = internal::CouponFromRow(*row);
  int64_t now = tx.NowMs();
  if (c.status != CouponStatus::kActive) return Fail(Msg::COUPON_NOT_HANDED_OUT);
  if (c.valid_to_ms && now >= *c.valid_to_ms) return Fail(Msg::COUPON_CLAIM_EXPIRED);
  ASSIGN_OR_RETURN(int64_t held, tx.QueryInt("SELECT count(*) FROM user_coupons WHERE coupon_id=? AND user_id=?", {coupon_id, user_id}));
  if (held >= c.per_user_limit)
    return Fail(Msg::COUPON_PER_USER_LIMIT, {{"limit", c.per_user_limit}, {"held", held}});
  // Check and take in one statement: the quota is never exceeded.
  ASSIGN_OR_RETURN(int64_t n, tx.Exec("UPDATE coupons SET claimed = claimed + 1 WHERE id=? AND claimed < total_quota", {coupon_id}));
  if (n == 0) return Fail(Msg::COUPON_ALL_CLAIMED);
  UserCoupon uc;
  uc.id = tx.NewId();
  uc.coupon_id = coupon_id;
  uc.user_id = user_id;
  uc.status = U::kUnused;
  uc.claimed_at_ms = now;
  if (c.valid_days) {
    uc.valid_from_ms = now;
    uc.valid_to_ms = now + *c.valid_days * internal::kDayMs;
  } else {
    uc.valid_from_ms = c.valid_from_ms.value_or(c.created_at_ms);
    uc.valid_to_ms = *c.valid_to_ms;
  }
  RETURN_IF_ERROR(tx.Run("INSERT INTO user_coupons(id, coupon_id, user_id, status, valid_from_ms, valid_to_ms, claimed_at_ms) "
                         "VALUES(?,?,?,?,?,?,?)",
                         {uc.id, coupon_id, user_id, Name(uc.status), uc.valid_from_ms, uc.valid_to_ms, now}));
  c.claimed += 1;
  RETURN_IF_ERROR(Emit(tx, CouponClaimed{coupon_id, uc.id, user_id, c.merchant_id.value_or(0), c.claimed}));
  uc.coupon = std::move(c);
  return uc;
}

Result<std::vector<UserCoupon>> PromoService::UserCoupons(Reader& r, int64_t user_id, const std::string& status, int64_t limit,
                                                          int64_t before_id) {
  int64_t now = r.clock().NowMs();
  if (!status.empty() && status != Name(U::kUnused) && status != Name(U::kUsed) && status != kExpired)
    return Fail(Msg::COUPON_STATUS_FILTER);
  // The filter is by the status shown (UserCouponDisplayName): unused splits by valid_to.
  const std::string used = internal::Sql(U::kUsed), unused = internal::Sql(U::kUnused), expired = "'" + std::string(kExpired) + "'";
  ASSIGN_OR_RETURN(Rows rows, r.Query(std::string(kUserCouponSelect) +
                                          "WHERE uc.user_id=?1 AND (?2=0 OR uc.id<?2) AND (?3='' "
                                          "OR (?3=" + used + " AND uc.status=" + used + ") "
                                          "OR (?3=" + unused + " AND uc.status=" + unused + " AND uc.valid_to_ms > ?4) "
                                          "OR (?3=" + expired + " AND uc.status=" + unused + " AND uc.valid_to_ms <= ?4)) "
                                          "ORDER BY uc.id DESC LIMIT ?5",
                                      {user_id, before_id, status, now, limit}));
  std::vector<UserCoupon> out;
  for (auto& row : rows) out.push_back(UserCouponFromRow(row));
  return out;
}

}  // namespace xd::promo
