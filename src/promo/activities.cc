// Activities: decoding and validating the create body, storing, reading and stopping them,
// and the pieces every activity type shares (row decoding, the checkout reference, the
// running-window check).
#include <algorithm>

#include "base/id.h"
#include "base/messages.h"
#include "base/money.h"
#include "catalog/catalog.h"
#include "promo/events.h"
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
  a.status = StoredStatus(ParseActivityStatus(r.Str(5)));
  a.starts_at_ms = r.Int(6);
  a.ends_at_ms = r.Int(7);
  a.config = r.JsonAt(8);
  a.stock_total = r.Int(9);
  a.stock_left = r.Int(10);
  a.created_at_ms = r.Int(11);
  return a;
}

Result<std::optional<ActivityRef>> ParseActivityRef(const Json& activity) {
  // "activity":{"community":{...}}: a community group-buying order; {"live":{...}}: an order in
  // a live room (those modules price them and refuse anything beside them).
  if (!activity.is_object() || activity.contains("community") || activity.contains("live"))
    return std::optional<ActivityRef>();
  ObjectReader r(activity, "activity.");
  ActivityRef ref;
  ref.id = r.OptId("id");
  ref.group_id = r.OptId("group_id");
  ref.bargain_id = r.OptId("bargain_id");
  const Json* gift = r.Raw("gift");
  RETURN_IF_ERROR(r.Finish());
  if (gift) {
    if (!gift->is_object()) return Fail(Msg::FIELD_NOT_OBJECT, {Field("activity.gift")});
    ObjectReader g(*gift, "activity.gift.");
    ref.gift_message = g.OptString("message", {.max_len = limits::kMaxRemarkLen}).value_or("");
    ref.gift_parts = g.OptInt("parts", {.min = 1, .max = limits::kMaxGiftParts}).value_or(1);
    RETURN_IF_ERROR(g.Finish());
  }
  if (!ref.id && !ref.gift_message) return Fail(Msg::ACTIVITY_ID_REQUIRED);
  if (ref.group_id && ref.bargain_id) return Fail(Msg::ACTIVITY_GROUP_OR_BARGAIN);
  if ((ref.group_id || ref.bargain_id) && !ref.id) return Fail(Msg::ACTIVITY_ID_REQUIRED);
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

Result<Activity> LockActivity(Tx& tx, int64_t id) {
  ASSIGN_OR_RETURN(auto row, tx.QueryOne(std::string("SELECT ") + kActivityCols + " FROM activities WHERE id=?" +
                                             std::string(tx.dialect().ForUpdate()),
                                         {id}));
  if (!row) return Fail(Msg::ACTIVITY_NOT_FOUND);
  return ActivityFromRow(*row);
}

Status RequireRunning(const Activity& a, int64_t now_ms) {
  if (a.status != ActivityStatus::kActive) return Fail(Msg::ACTIVITY_STOPPED);
  if (now_ms < a.starts_at_ms) return Fail(Msg::ACTIVITY_NOT_STARTED, {{"starts_at", FormatRfc3339(a.starts_at_ms)}});
  if (now_ms >= a.ends_at_ms) return Fail(Msg::ACTIVITY_ENDED);
  return Ok();
}

Status ActivityType::OnPaid(trade::TradeService&, Tx&, const ActivityOrder&, trade::Order&) const { return Ok(); }
Status ActivityType::OnCancelled(Tx&, const ActivityOrder&) const { return Ok(); }
Status ActivityType::LockRows(Tx&, const ActivityOrder&, trade::OrderChange) const { return Ok(); }
Result<std::vector<std::string>> ActivityType::Check(Reader&) const { return std::vector<std::string>{}; }

void ActivityRegistry::Register(std::unique_ptr<ActivityType> type) {
  for (auto& t : types_) CHECK(t->name() != type->name());
  types_.push_back(std::move(type));
}

Result<const ActivityType*> ActivityRegistry::Find(std::string_view name) const {
  for (auto& t : types_)
    if (t->name() == name) return t.get();
  return Fail(Msg::ACTIVITY_TYPE_UNKNOWN, {{"type", name}});
}

const ActivityRegistry& ActivityTypes() {
  static const ActivityRegistry* registry = [] {
    auto* r = new ActivityRegistry;
    r->Register(MakeGroupBuyType());
    r->Register(MakeFlashSaleType());
    r->Register(MakeBargainType());
    r->Register(MakeShareDropType());
    return r;
  }();
  return *registry;
}

Status StoredConfigStatus(ObjectReader& r, const Activity& a) {
  Status s = r.Finish();
  if (!s) return Fail(ErrorCode::INTERNAL, "活动配置损坏 (activity " + IdString(a.id) + " has a malformed config: " + s.error().message + ")");
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
  const internal::ActivityType* type = nullptr;
  if (!in.type.empty()) {
    ASSIGN_OR_RETURN(type, internal::ActivityTypes().Find(in.type));
    // Only the fields of the named type are read: Finish() rejects the others.
    RETURN_IF_ERROR(type->ReadInput(r, in));
  }
  RETURN_IF_ERROR(r.Finish());
  if (in.starts_at_ms && in.ends_at_ms && *in.ends_at_ms <= *in.starts_at_ms)
    return Fail(Msg::ENDS_BEFORE_STARTS);
  if (type) RETURN_IF_ERROR(type->ValidateInput(in));
  return in;
}

Json ToJson(const Activity& a) {
  Json j{{"id", IdString(a.id)},
         {"type", a.type},
         {"merchant_id", IdString(a.merchant_id)},
         {"sku_id", IdString(a.sku_id)},
         {"product_id", IdString(a.product_id)},
         {"status", Name(a.status)},
         {"starts_at", FormatRfc3339(a.starts_at_ms)},
         {"ends_at", FormatRfc3339(a.ends_at_ms)},
         {"created_at", FormatRfc3339(a.created_at_ms)}};
  j.update(a.config);
  if (a.stock_total > 0) {  // a type with its own stock (flash sale)
    j["stock"] = a.stock_total;
    j["stock_left"] = a.stock_left;
  }
  return j;
}

PromoService::PromoService(trade::TradeService& trade, PromoConfig config) : trade_(trade), config_(config) {}

Result<Activity> PromoService::CreateActivity(Tx& tx, int64_t merchant_id, const ActivityInput& in) {
  ASSIGN_OR_RETURN(catalog::Sku sku, catalog::GetSku(tx, in.sku_id));
  if (sku.merchant_id != merchant_id) return Fail(Msg::SKU_NOT_FOUND);
  int64_t now = tx.NowMs();
  Activity a;
  a.id = tx.NewId();
  a.merchant_id = merchant_id;
  a.type = in.type;
  a.sku_id = sku.id;
  a.product_id = sku.product_id;
  a.status = ActivityStatus::kActive;
  a.starts_at_ms = in.starts_at_ms.value_or(now);
  a.ends_at_ms = in.ends_at_ms.value_or(std::max(now, a.starts_at_ms) + config_.default_window_ms);
  a.created_at_ms = now;
  if (a.ends_at_ms <= a.starts_at_ms) return Fail(Msg::ENDS_BEFORE_STARTS);
  if (a.ends_at_ms <= now) return Fail(Msg::ENDS_IN_PAST);
  ASSIGN_OR_RETURN(const internal::ActivityType* type, internal::ActivityTypes().Find(in.type));
  RETURN_IF_ERROR(type->Configure(in, sku, a));
  RETURN_IF_ERROR(tx.Run("INSERT INTO activities(id, merchant_id, type, sku_id, product_id, status, starts_at_ms, ends_at_ms, config, "
                         "stock_total, stock_left, created_at_ms) VALUES(?,?,?,?,?," + internal::Sql(ActivityStatus::kActive) + ",?,?,?,?,?,?)",
                         {a.id, merchant_id, a.type, a.sku_id, a.product_id, a.starts_at_ms, a.ends_at_ms, DumpJson(a.config),
                          a.stock_total, a.stock_left, now}));
  a.merchant_id = merchant_id;
  RETURN_IF_ERROR(Emit(tx, ActivityChanged{false, a}));
  return a;
}

Result<Activity> PromoService::GetActivity(Reader& r, int64_t id, std::optional<int64_t> merchant_id) {
  ASSIGN_OR_RETURN(auto row, r.QueryOne(std::string("SELECT ") + internal::kActivityCols + " FROM activities WHERE id=?", {id}));
  if (!row) return Fail(Msg::ACTIVITY_NOT_FOUND);
  Activity a = internal::ActivityFromRow(*row);
  if (merchant_id && a.merchant_id != *merchant_id) return Fail(Msg::ACTIVITY_NOT_FOUND);
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
                                          " FROM activities WHERE product_id=? AND status=" + internal::Sql(ActivityStatus::kActive) + " AND starts_at_ms<=? AND ends_at_ms>? "
                                          "ORDER BY id LIMIT 50",
                                      {product_id, now, now}));
  std::vector<Activity> out;
  for (auto& row : rows) out.push_back(internal::ActivityFromRow(row));
  return out;
}

namespace {

// Which badge a product with several running activities shows: the most urgent first.
int BadgeRank(const std::string& type) {
  if (type == "flash_sale") return 0;
  if (type == "group_buy") return 1;
  if (type == "bargain") return 2;
  return 3;
}

}  // namespace

// The price an activity's card shows: what a buyer pays in it (a bargain's floor).
int64_t ActivityPriceFen(const Activity& a) {
  for (const char* key : {"price_fen", "group_price_fen", "floor_price_fen"}) {
    auto it = a.config.find(key);
    if (it != a.config.end() && it->is_number_integer()) return it->get<int64_t>();
  }
  return 0;
}

Result<std::map<int64_t, Activity>> PromoService::RunningActivityOf(Reader& r, const std::vector<int64_t>& product_ids) {
  std::map<int64_t, Activity> out;
  if (product_ids.empty()) return out;
  int64_t now = r.clock().NowMs();
  // activities_product (product_id, id) serves the IN list; a page has at most kMaxPageSize
  // products, each with a handful of activities.
  ASSIGN_OR_RETURN(Rows rows, r.Query(std::string("SELECT ") + internal::kActivityCols +
                                          " FROM activities WHERE product_id IN " + r.dialect().IdsIn("?1") +
                                          " AND status=" + internal::Sql(ActivityStatus::kActive) +
                                          " AND starts_at_ms<=?2 AND ends_at_ms>?2 AND (stock_total=0 OR stock_left>0) "
                                          "ORDER BY id LIMIT 1000",
                                      {IdListParam(product_ids), now}));
  for (auto& row : rows) {
    Activity a = internal::ActivityFromRow(row);
    auto it = out.find(a.product_id);
    if (it == out.end()) {
      out.emplace(a.product_id, std::move(a));
      continue;
    }
    int rank = BadgeRank(a.type), held = BadgeRank(it->second.type);
    if (rank < held || (rank == held && ActivityPriceFen(a) < ActivityPriceFen(it->second))) it->second = std::move(a);
  }
  return out;
}

Result<std::vector<PromoService::ChannelItem>> PromoService::Channel(Reader& r, const std::string& type, int64_t limit,
                                                                     int64_t after_id) {
  int64_t now = r.clock().NowMs();
  std::string cols;
  for (std::string_view col : {"id", "merchant_id", "type", "sku_id", "product_id", "status", "starts_at_ms", "ends_at_ms",
                               "config", "stock_total", "stock_left", "created_at_ms"})
    cols += (cols.empty() ? "a." : ", a.") + std::string(col);
  ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT " + cols + ", p.title, p.images, p.min_price_fen, p.sales, m.name, s.price_fen "
                                      "FROM activities a JOIN products p ON p.id = a.product_id "
                                      "JOIN merchants m ON m.id = a.merchant_id JOIN skus s ON s.id = a.sku_id "
                                      "WHERE a.type=?1 AND a.status=" + internal::Sql(ActivityStatus::kActive) +
                                      " AND a.starts_at_ms<=?2 AND a.ends_at_ms>?2 AND (a.stock_total=0 OR a.stock_left>0) "
                                      "AND p.status='on_sale' AND p.taken_down=0 AND m.status='active' "
                                      "AND (?3=0 OR a.ends_at_ms>(SELECT ends_at_ms FROM activities WHERE id=?3) "
                                      "OR (a.ends_at_ms=(SELECT ends_at_ms FROM activities WHERE id=?3) AND a.id>?3)) "
                                      "ORDER BY a.ends_at_ms, a.id LIMIT ?4",
                                      {type, now, after_id, limit}));
  std::vector<ChannelItem> out;
  for (auto& row : rows) {
    ChannelItem item;
    item.activity = internal::ActivityFromRow(row);
    item.title = row.Str(12);
    Json images = row.JsonAt(13);
    if (images.is_array() && !images.empty() && images[0].is_string()) item.image = images[0].get<std::string>();
    item.sales = row.Int(15);
    item.merchant_name = row.Str(16);
    item.list_price_fen = row.Int(17);
    out.push_back(std::move(item));
  }
  return out;
}

Result<std::map<int64_t, int64_t>> PromoService::BoughtIn(Reader& r, int64_t buyer_id, const std::vector<int64_t>& activity_ids) {
  std::map<int64_t, int64_t> out;
  if (activity_ids.empty()) return out;
  ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT activity_id, SUM(quantity) FROM activity_orders WHERE buyer_id=? AND activity_id IN " +
                                          r.dialect().IdsIn("?") + " AND state IN (" +
                                          internal::ActivityOrderStateSql(internal::HoldsClaim) + ") GROUP BY activity_id",
                                      {buyer_id, IdListParam(activity_ids)}));
  for (auto& row : rows) out[row.Int(0)] = row.Int(1);
  return out;
}

Result<bool> PromoService::InGroup(Reader& r, int64_t buyer_id, int64_t group_id) {
  ASSIGN_OR_RETURN(int64_t n, r.QueryInt("SELECT count(*) FROM activity_orders WHERE group_id=? AND buyer_id=? AND state IN (" +
                                             internal::ActivityOrderStateSql(internal::HoldsClaim) + ")",
                                         {group_id, buyer_id}));
  return n > 0;
}

Result<Activity> PromoService::StopActivity(Tx& tx, int64_t merchant_id, int64_t id) {
  ASSIGN_OR_RETURN(Activity a, GetActivity(tx, id, merchant_id));
  if (a.status == ActivityStatus::kStopped) return a;
  ASSIGN_OR_RETURN(std::string to, internal::Move(a.status, ActivityStatus::kStopped));
  ASSIGN_OR_RETURN(int64_t changed, tx.Exec("UPDATE activities SET status=? WHERE id=? AND status=?", {to, id, Name(a.status)}));
  RETURN_IF_ERROR(internal::Moved(changed));
  a.status = ActivityStatus::kStopped;
  RETURN_IF_ERROR(Emit(tx, ActivityChanged{true, a}));
  return a;
}

}  // namespace xd::promo
