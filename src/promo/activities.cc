// Activities: decoding and validating the create body, storing, reading and stopping them,
// and the pieces every activity type shares (row decoding, the checkout reference, the
// running-window check).
#include <algorithm>

#include "base/id.h"
#include "base/money.h"
#include "catalog/catalog.h"
#include "promo/internal/promo_internal.h"

namespace xd::promo {

namespace internal {

const char* const kActivityCols =
    "id, merchant_id, type, sku_id, product_id, status, starts_at_ms, ends_at_ms, config, stock_total, stock_left, created_at_ms";

Activity ActivityFromRow(const Row& r) {
  Activity a;
  a.id = r.Int(0);
  a.merchant_id = r.Int(1);
  a.type = r.Str(2);
  a.sku_id = r.Int(3);
  a.product_id = r.Int(4);
  a.status = r.Str(5);
  a.starts_at_ms = r.Int(6);
  a.ends_at_ms = r.Int(7);
  a.config = r.JsonAt(8);
  a.stock_total = r.Int(9);
  a.stock_left = r.Int(10);
  a.created_at_ms = r.Int(11);
  return a;
}

Result<std::optional<ActivityRef>> ParseActivityRef(const Json& activity) {
  if (!activity.is_object()) return std::optional<ActivityRef>();
  ObjectReader r(activity, "activity.");
  ActivityRef ref;
  ref.id = r.OptId("id");
  ref.group_id = r.OptId("group_id");
  ref.bargain_id = r.OptId("bargain_id");
  const Json* gift = r.Raw("gift");
  RETURN_IF_ERROR(r.Finish());
  if (gift) {
    if (!gift->is_object()) return Fail(ErrorCode::INVALID_FIELD, "activity.gift must be an object");
    ObjectReader g(*gift, "activity.gift.");
    ref.gift_message = g.OptString("message", {.max_len = 200}).value_or("");
    RETURN_IF_ERROR(g.Finish());
  }
  if (!ref.id && !ref.gift_message) return Fail(ErrorCode::MISSING_FIELD, "activity.id is required");
  if (ref.group_id && ref.bargain_id) return Fail(ErrorCode::INVALID_FIELD, "activity takes group_id or bargain_id, not both");
  if ((ref.group_id || ref.bargain_id) && !ref.id) return Fail(ErrorCode::MISSING_FIELD, "activity.id is required");
  return std::optional<ActivityRef>(ref);
}

Status ApplyActivityPrice(trade::PricingContext& ctx, int64_t price_fen, const std::string& label) {
  trade::PriceLine& line = ctx.lines.front();
  // A price above the list price (the merchant cut the SKU's price since) never applies.
  line.unit_price_fen = std::min(price_fen, line.list_price_fen);
  ASSIGN_OR_RETURN(Money off, Money::Fen(line.list_price_fen - line.unit_price_fen).Mul(line.quantity));
  ctx.AddStep("activity", label, -off.fen());
  return Ok();
}

Status RequireRunning(const Activity& a, int64_t now_ms) {
  if (a.status != "active") return Fail(ErrorCode::INVALID_STATE, "活动已停止 (activity stopped)");
  if (now_ms < a.starts_at_ms) return Fail(ErrorCode::INVALID_STATE, "活动未开始 (activity starts at " + FormatRfc3339(a.starts_at_ms) + ")");
  if (now_ms >= a.ends_at_ms) return Fail(ErrorCode::INVALID_STATE, "活动已结束 (activity ended)");
  return Ok();
}

}  // namespace internal

Result<ActivityInput> ActivityInputFromJson(const Json& body) {
  ObjectReader r(body);
  ActivityInput in;
  in.type = r.String("type", {.min_len = 1, .max_len = 20});
  in.sku_id = r.Id("sku_id");
  in.starts_at_ms = r.OptTime("starts_at");
  in.ends_at_ms = r.OptTime("ends_at");
  // Only the fields of the named type are read: Finish() rejects the others.
  if (in.type == "group_buy") {
    in.group_price_fen = r.Int("group_price_fen", {.min = 1, .max = 100'000'000});
    in.group_size = r.Int("group_size", {.min = 2, .max = 100});
    in.group_ttl_s = r.Int("group_ttl_s", {.min = 60, .max = 7 * 24 * 3600});
    in.leader_price_fen = r.OptInt("leader_price_fen", {.min = 1, .max = 100'000'000});
    in.new_user_only = r.Bool("new_user_only", false);
  } else if (in.type == "flash_sale") {
    in.price_fen = r.Int("price_fen", {.min = 1, .max = 100'000'000});
    in.stock = r.Int("stock", {.min = 1, .max = 1'000'000});
    in.per_user_limit = r.OptInt("per_user_limit", {.min = 1, .max = 999}).value_or(1);
  } else if (in.type == "bargain") {
    in.floor_price_fen = r.Int("floor_price_fen", {.min = 1, .max = 100'000'000});
    in.helps_needed = r.Int("helps_needed", {.min = 1, .max = 100});
    in.ttl_s = r.Int("ttl_s", {.min = 60, .max = 7 * 24 * 3600});
  } else if (in.type == "share_drop") {
    in.floor_price_fen = r.Int("floor_price_fen", {.min = 1, .max = 100'000'000});
    if (const Json* tiers = r.RequireArray("tiers", 10)) {
      for (size_t i = 0; i < tiers->size(); ++i) {
        ObjectReader t((*tiers)[i], "tiers[" + std::to_string(i) + "].");
        std::pair<int64_t, int64_t> tier{t.Int("opens", {.min = 1, .max = 10'000}), t.Int("off_bps", {.min = 1, .max = 9999})};
        RETURN_IF_ERROR(t.Finish());
        if (!in.tiers.empty() && (tier.first <= in.tiers.back().first || tier.second <= in.tiers.back().second))
          return Fail(ErrorCode::INVALID_FIELD, "tiers must rise in both opens and off_bps");
        in.tiers.push_back(tier);
      }
      if (in.tiers.empty()) r.Invalid("tiers", "needs at least one tier");
    }
  } else if (!in.type.empty()) {
    r.Invalid("type", "must be group_buy, flash_sale, bargain or share_drop");
  }
  RETURN_IF_ERROR(r.Finish());
  if (in.type == "flash_sale" && (!in.starts_at_ms || !in.ends_at_ms))
    return Fail(ErrorCode::MISSING_FIELD, "a flash sale needs starts_at and ends_at");
  if (in.starts_at_ms && in.ends_at_ms && *in.ends_at_ms <= *in.starts_at_ms)
    return Fail(ErrorCode::INVALID_FIELD, "ends_at must be after starts_at");
  if (in.leader_price_fen && *in.leader_price_fen > in.group_price_fen)
    return Fail(ErrorCode::INVALID_FIELD, "leader_price_fen must not exceed group_price_fen");
  return in;
}

Json ToJson(const Activity& a) {
  Json j{{"id", IdString(a.id)},
         {"type", a.type},
         {"merchant_id", IdString(a.merchant_id)},
         {"sku_id", IdString(a.sku_id)},
         {"product_id", IdString(a.product_id)},
         {"status", a.status},
         {"starts_at", FormatRfc3339(a.starts_at_ms)},
         {"ends_at", FormatRfc3339(a.ends_at_ms)},
         {"created_at", FormatRfc3339(a.created_at_ms)}};
  j.update(a.config);
  if (a.type == "flash_sale") {
    j["stock"] = a.stock_total;
    j["stock_left"] = a.stock_left;
  }
  return j;
}

PromoService::PromoService(trade::TradeService& trade, PromoConfig config) : trade_(trade), config_(config) {}

Result<Activity> PromoService::CreateActivity(Tx& tx, int64_t merchant_id, const ActivityInput& in) {
  ASSIGN_OR_RETURN(catalog::Sku sku, catalog::GetSku(tx, in.sku_id));
  if (sku.merchant_id != merchant_id) return Fail(ErrorCode::NOT_FOUND, "SKU not found");
  int64_t now = tx.NowMs();
  Activity a;
  a.id = tx.NewId();
  a.merchant_id = merchant_id;
  a.type = in.type;
  a.sku_id = sku.id;
  a.product_id = sku.product_id;
  a.status = "active";
  a.starts_at_ms = in.starts_at_ms.value_or(now);
  a.ends_at_ms = in.ends_at_ms.value_or(std::max(now, a.starts_at_ms) + config_.default_window_ms);
  a.created_at_ms = now;
  if (a.ends_at_ms <= a.starts_at_ms) return Fail(ErrorCode::INVALID_FIELD, "ends_at must be after starts_at");
  if (a.ends_at_ms <= now) return Fail(ErrorCode::INVALID_FIELD, "ends_at is in the past");
  if (in.type == "group_buy") {
    if (in.group_price_fen >= sku.price_fen)
      return Fail(ErrorCode::RULE_VIOLATION, "group_price_fen must be below the SKU's price of " + std::to_string(sku.price_fen) + " fen");
    a.config = Json{{"group_price_fen", in.group_price_fen}, {"group_size", in.group_size}, {"group_ttl_s", in.group_ttl_s},
                    {"new_user_only", in.new_user_only}};
    if (in.leader_price_fen) a.config["leader_price_fen"] = *in.leader_price_fen;
  } else if (in.type == "flash_sale") {
    if (in.price_fen >= sku.price_fen)
      return Fail(ErrorCode::RULE_VIOLATION, "price_fen must be below the SKU's price of " + std::to_string(sku.price_fen) + " fen");
    a.config = Json{{"price_fen", in.price_fen}, {"per_user_limit", in.per_user_limit}};
    a.stock_total = a.stock_left = in.stock;
  } else if (in.type == "share_drop") {
    if (in.floor_price_fen >= sku.price_fen)
      return Fail(ErrorCode::RULE_VIOLATION, "floor_price_fen must be below the SKU's price of " + std::to_string(sku.price_fen) + " fen");
    Json tiers = Json::array();
    for (auto& [opens, off_bps] : in.tiers) tiers.push_back(Json{{"opens", opens}, {"off_bps", off_bps}});
    a.config = Json{{"tiers", tiers}, {"floor_price_fen", in.floor_price_fen}};
  } else {
    if (in.floor_price_fen >= sku.price_fen)
      return Fail(ErrorCode::RULE_VIOLATION, "floor_price_fen must be below the SKU's price of " + std::to_string(sku.price_fen) + " fen");
    // Every help cuts at least 1 fen and the last reaches the floor exactly.
    if (sku.price_fen - in.floor_price_fen < in.helps_needed)
      return Fail(ErrorCode::RULE_VIOLATION, "price minus floor (" + std::to_string(sku.price_fen - in.floor_price_fen) +
                                                 " fen) must be at least helps_needed: every help cuts at least 1 fen");
    a.config = Json{{"floor_price_fen", in.floor_price_fen}, {"helps_needed", in.helps_needed}, {"ttl_s", in.ttl_s}};
  }
  RETURN_IF_ERROR(tx.Run("INSERT INTO activities(id, merchant_id, type, sku_id, product_id, status, starts_at_ms, ends_at_ms, config, "
                         "stock_total, stock_left, created_at_ms) VALUES(?,?,?,?,?,'active',?,?,?,?,?,?)",
                         {a.id, merchant_id, a.type, a.sku_id, a.product_id, a.starts_at_ms, a.ends_at_ms, DumpJson(a.config),
                          a.stock_total, a.stock_left, now}));
  RETURN_IF_ERROR(tx.AppendEvent("activity.created", Json{{"activity_id", IdString(a.id)}, {"merchant_id", IdString(merchant_id)},
                                                          {"type", a.type}, {"sku_id", IdString(a.sku_id)}}));
  return a;
}

Result<Activity> PromoService::GetActivity(Reader& r, int64_t id, std::optional<int64_t> merchant_id) {
  ASSIGN_OR_RETURN(auto row, r.QueryOne(std::string("SELECT ") + internal::kActivityCols + " FROM activities WHERE id=?", {id}));
  if (!row) return Fail(ErrorCode::NOT_FOUND, "activity not found");
  Activity a = internal::ActivityFromRow(*row);
  if (merchant_id && a.merchant_id != *merchant_id) return Fail(ErrorCode::NOT_FOUND, "activity not found");
  return a;
}

Result<std::vector<Activity>> PromoService::MerchantActivities(Reader& r, int64_t merchant_id, int64_t limit, int64_t before_id) {
  ASSIGN_OR_RETURN(Rows rows, r.Query(std::string("SELECT ") + internal::kActivityCols +
                                          " FROM activities WHERE merchant_id=? AND (?=0 OR id<?) ORDER BY id DESC LIMIT ?",
                                      {merchant_id, before_id, before_id, limit}));
  std::vector<Activity> out;
  for (auto& row : rows) out.push_back(internal::ActivityFromRow(row));
  return out;
}

Result<std::vector<Activity>> PromoService::ProductActivities(Reader& r, int64_t product_id) {
  int64_t now = r.clock().NowMs();
  ASSIGN_OR_RETURN(Rows rows, r.Query(std::string("SELECT ") + internal::kActivityCols +
                                          " FROM activities WHERE product_id=? AND status='active' AND starts_at_ms<=? AND ends_at_ms>? "
                                          "ORDER BY id LIMIT 50",
                                      {product_id, now, now}));
  std::vector<Activity> out;
  for (auto& row : rows) out.push_back(internal::ActivityFromRow(row));
  return out;
}

Result<Activity> PromoService::StopActivity(Tx& tx, int64_t merchant_id, int64_t id) {
  ASSIGN_OR_RETURN(Activity a, GetActivity(tx, id, merchant_id));
  if (a.status == "stopped") return a;
  RETURN_IF_ERROR(tx.Run("UPDATE activities SET status='stopped' WHERE id=?", {id}));
  RETURN_IF_ERROR(tx.AppendEvent("activity.stopped", Json{{"activity_id", IdString(id)}, {"merchant_id", IdString(merchant_id)}}));
  a.status = "stopped";
  return a;
}

}  // namespace xd::promo
