#include "trade/trade.h"

#include <algorithm>
#include <map>

#include "base/id.h"
#include "base/money.h"
#include "catalog/catalog.h"
#include "trade/states.h"

namespace xd::trade {

namespace {

constexpr int kMaxLines = 50;
constexpr int64_t kMaxQuantity = 999;

constexpr const char* kOrderCols =
    "id, buyer_id, merchant_id, merchant_kind, status, sub_status, status_before_refund, items_fen, discount_fen, shipping_fen, "
    "total_fen, provider_paid_fen, card_paid_fen, refunded_fen, commission_fen, address, pricing, activity, payment_id, "
    "created_at_ms, paid_at_ms, shipped_at_ms, delivered_at_ms, completed_at_ms, cancelled_at_ms";

Order OrderFromRow(const Row& r) {
  Order o;
  o.id = r.Int(0);
  o.buyer_id = r.Int(1);
  o.merchant_id = r.Int(2);
  o.merchant_kind = r.Str(3);
  o.status = r.Str(4);
  o.sub_status = r.Str(5);
  o.status_before_refund = r.Str(6);
  o.items_fen = r.Int(7);
  o.discount_fen = r.Int(8);
  o.shipping_fen = r.Int(9);
  o.total_fen = r.Int(10);
  o.provider_paid_fen = r.Int(11);
  o.card_paid_fen = r.Int(12);
  o.refunded_fen = r.Int(13);
  o.commission_fen = r.Int(14);
  o.address = r.JsonAt(15);
  o.pricing = r.JsonAt(16);
  o.activity = r.JsonAt(17);
  o.payment_id = r.OptInt(18);
  o.created_at_ms = r.Int(19);
  o.paid_at_ms = r.OptInt(20);
  o.shipped_at_ms = r.OptInt(21);
  o.delivered_at_ms = r.OptInt(22);
  o.completed_at_ms = r.OptInt(23);
  o.cancelled_at_ms = r.OptInt(24);
  return o;
}

Result<Order> LoadOrder(Reader& r, int64_t order_id, bool with_items) {
  ASSIGN_OR_RETURN(auto row, r.QueryOne(std::string("SELECT ") + kOrderCols + " FROM orders WHERE id=?", {order_id}));
  if (!row) return Fail(ErrorCode::NOT_FOUND, "order not found");
  Order o = OrderFromRow(*row);
  if (with_items) {
    ASSIGN_OR_RETURN(Rows items, r.Query("SELECT sku_id, product_id, title, image, spec, unit_price_fen, quantity, line_fen FROM order_items "
                                         "WHERE order_id=? ORDER BY id", {order_id}));
    for (auto& it : items)
      o.items.push_back(OrderItem{it.Int(0), it.Int(1), it.Str(2), it.Str(3), it.JsonAt(4), it.Int(5), it.Int(6), it.Int(7)});
  }
  return o;
}

Json TimeOrNull(const std::optional<int64_t>& ms) { return ms ? Json(FormatRfc3339(*ms)) : Json(nullptr); }

constexpr const char* kAftersaleCols =
    "id, order_id, buyer_id, merchant_id, amount_fen, type, reason, status, return_carrier, return_tracking_no, reject_reason, "
    "refund_id, created_at_ms";

Aftersale AftersaleFromRow(const Row& r) {
  return Aftersale{r.Int(0), r.Int(1), r.Int(2), r.Int(3), r.Int(4), r.Str(5), r.Str(6), r.Str(7), r.Str(8), r.Str(9), r.Str(10),
                   r.OptInt(11), r.Int(12), {}};
}

// Attaches each request's returned items: one query for all of `list`, whose ids are those
// `ids_sql` selects with `params` (the query that produced the list).
Status LoadAftersaleItems(Reader& r, std::vector<Aftersale>& list, const std::string& ids_sql, Params params) {
  if (list.empty()) return Ok();
  ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT aftersale_id, sku_id, quantity FROM aftersale_items WHERE aftersale_id IN (" + ids_sql +
                                          ") ORDER BY aftersale_id, sku_id",
                                      params));
  std::map<int64_t, Aftersale*> by_id;
  for (auto& a : list) by_id[a.id] = &a;
  for (auto& row : rows)
    if (auto it = by_id.find(row.Int(0)); it != by_id.end()) it->second->items.push_back(LineRequest{row.Int(1), row.Int(2)});
  return Ok();
}

// Moves a request along the after-sales table (INVALID_STATE for a move it does not list),
// guarded by the status it moves from.
Status MoveAftersale(Tx& tx, Aftersale& a, AftersaleStatus to) {
  auto from = AftersaleStatusFromString(a.status);
  if (!from || !CanMove(*from, to))
    return Fail(ErrorCode::INVALID_STATE, "售后单状态不能从 " + a.status + " 变为 " + std::string(ToString(to)));
  ASSIGN_OR_RETURN(int64_t n, tx.Exec("UPDATE aftersales SET status=?, updated_at_ms=? WHERE id=? AND status=?",
                                      {ToString(to), tx.NowMs(), a.id, a.status}));
  if (n != 1) return Fail(ErrorCode::INVALID_STATE, "售后单状态已变化，请刷新后重试");
  a.status = std::string(ToString(to));
  return Ok();
}

// Per SKU of the order: units still returnable (ordered minus those of return requests that
// were not rejected).
Result<std::map<int64_t, int64_t>> ReturnableUnits(Reader& r, int64_t order_id) {
  ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT oi.sku_id, oi.quantity - COALESCE((SELECT SUM(ai.quantity) FROM aftersale_items ai "
                                      "JOIN aftersales a ON a.id = ai.aftersale_id WHERE ai.order_id = oi.order_id AND "
                                      "ai.sku_id = oi.sku_id AND a.status IN (" + AftersaleStatusSql(ClaimsItems) + ")), 0) FROM order_items oi WHERE oi.order_id=?",
                                      {order_id}));
  std::map<int64_t, int64_t> left;
  for (auto& row : rows) left[row.Int(0)] += row.Int(1);
  return left;
}

// The built-in last stage: shipping per merchant order, free at or above a threshold.
class ShippingRule final : public PricingRule {
 public:
  explicit ShippingRule(const TradeConfig& c) : config_(c) {}
  int stage() const override { return 500; }
  Status Apply(Reader&, Tx*, PricingContext& ctx) override {
    if (ctx.subtotal_fen >= config_.free_shipping_over_fen)
      ctx.AddStep("shipping", "满" + std::to_string(config_.free_shipping_over_fen / 100) + "元包邮", 0);
    else
      ctx.AddStep("shipping", "运费", config_.shipping_fen);
    return Ok();
  }

 private:
  const TradeConfig& config_;
};

}  // namespace

Json ToJson(const PricingStep& s) {
  return Json{{"step", s.step}, {"label", s.label}, {"amount_fen", s.amount_fen}, {"subtotal_fen", s.subtotal_fen}};
}

void PricingContext::AddStep(std::string step, std::string label, int64_t amount_fen) {
  // A discount never takes the subtotal below zero.
  if (subtotal_fen + amount_fen < 0) amount_fen = -subtotal_fen;
  subtotal_fen += amount_fen;
  steps.push_back(PricingStep{std::move(step), std::move(label), amount_fen, subtotal_fen});
}

Json ToJson(const Order& o) {
  Json items = Json::array();
  for (auto& it : o.items)
    items.push_back(Json{{"sku_id", IdString(it.sku_id)}, {"product_id", IdString(it.product_id)}, {"title", it.title},
                         {"image", it.image}, {"spec", it.spec}, {"unit_price_fen", it.unit_price_fen},
                         {"quantity", it.quantity}, {"line_fen", it.line_fen}});
  Json j{{"id", IdString(o.id)},
         {"buyer_id", IdString(o.buyer_id)},
         {"merchant_id", IdString(o.merchant_id)},
         {"merchant_kind", o.merchant_kind},
         {"status", o.status},
         {"sub_status", o.sub_status},
         {"items", items},
         {"items_fen", o.items_fen},
         {"discount_fen", o.discount_fen},
         {"shipping_fen", o.shipping_fen},
         {"total_fen", o.total_fen},
         {"paid_fen", o.provider_paid_fen + o.card_paid_fen},
         {"card_paid_fen", o.card_paid_fen},
         {"refunded_fen", o.refunded_fen},
         {"commission_fen", o.commission_fen},
         {"address", o.address},
         {"pricing", o.pricing},
         {"activity", o.activity},
         {"payment_id", o.payment_id ? Json(IdString(*o.payment_id)) : Json(nullptr)},
         {"created_at", FormatRfc3339(o.created_at_ms)},
         {"paid_at", TimeOrNull(o.paid_at_ms)},
         {"shipped_at", TimeOrNull(o.shipped_at_ms)},
         {"delivered_at", TimeOrNull(o.delivered_at_ms)},
         {"completed_at", TimeOrNull(o.completed_at_ms)},
         {"cancelled_at", TimeOrNull(o.cancelled_at_ms)}};
  if (o.activity.is_object() && o.activity.contains("group_id")) j["group_id"] = o.activity["group_id"];
  return j;
}

Json ToJson(const Aftersale& a) {
  Json items = Json::array();
  for (auto& it : a.items) items.push_back(Json{{"sku_id", IdString(it.sku_id)}, {"quantity", it.quantity}});
  return Json{{"id", IdString(a.id)},
              {"order_id", IdString(a.order_id)},
              {"type", a.type},
              {"amount_fen", a.amount_fen},
              {"reason", a.reason},
              {"status", a.status},
              {"return_carrier", a.return_carrier},
              {"return_tracking_no", a.return_tracking_no},
              {"reject_reason", a.reject_reason},
              {"items", items},
              {"created_at", FormatRfc3339(a.created_at_ms)}};
}

Result<AftersaleRequest> AftersaleRequestFromJson(const Json& body) {
  ObjectReader r(body);
  AftersaleRequest req;
  req.type = r.String("type", {.max_len = 20});
  req.amount_fen = r.Int("amount_fen", {.min = 1});
  req.reason = r.OptString("reason", {.max_len = 200}).value_or("");
  const Json* items = r.Raw("items");
  RETURN_IF_ERROR(r.Finish());
  if (items) {
    if (!items->is_array() || items->empty() || items->size() > kMaxLines)
      return Fail(ErrorCode::INVALID_FIELD, "items must be an array of 1..50 lines");
    for (size_t i = 0; i < items->size(); ++i) {
      ObjectReader lr((*items)[i], "items[" + std::to_string(i) + "].");
      LineRequest line{lr.Id("sku_id"), lr.Int("quantity", {.min = 1, .max = kMaxQuantity})};
      RETURN_IF_ERROR(lr.Finish());
      req.items.push_back(line);
    }
  }
  return req;
}

Result<CheckoutRequest> CheckoutRequestFromJson(const Json& body) {
  ObjectReader r(body);
  CheckoutRequest req;
  const Json* items = r.Raw("items");
  const Json* cart_ids = r.Raw("cart_item_ids");
  const Json* address = r.Raw("address");
  req.address_id = r.OptId("address_id");
  if (const Json* a = r.Raw("activity")) req.activity = *a;
  const Json* coupons = r.Raw("coupon_ids");
  if (const Json* pay = r.Raw("pay")) {
    ObjectReader pr(*pay, "pay.");
    req.pay = true;
    req.card_fen = pr.OptInt("card_fen", {.min = 0}).value_or(0);
    RETURN_IF_ERROR(pr.Finish());
  }
  RETURN_IF_ERROR(r.Finish());
  if ((items == nullptr) == (cart_ids == nullptr)) return Fail(ErrorCode::INVALID_FIELD, "send either items or cart_item_ids");
  if (items) {
    if (!items->is_array() || items->empty() || items->size() > kMaxLines)
      return Fail(ErrorCode::INVALID_FIELD, "items must be an array of 1..50 lines");
    for (size_t i = 0; i < items->size(); ++i) {
      ObjectReader lr((*items)[i], "items[" + std::to_string(i) + "].");
      LineRequest line{lr.Id("sku_id"), lr.Int("quantity", {.min = 1, .max = kMaxQuantity})};
      RETURN_IF_ERROR(lr.Finish());
      req.items.push_back(line);
    }
  }
  if (cart_ids) {
    if (!cart_ids->is_array() || cart_ids->empty() || cart_ids->size() > kMaxLines)
      return Fail(ErrorCode::INVALID_FIELD, "cart_item_ids must be an array of 1..50 ids");
    for (auto& v : *cart_ids) {
      auto id = v.is_string() ? ParseId(v.get<std::string>()) : std::nullopt;
      if (!id) return Fail(ErrorCode::INVALID_FIELD, "cart_item_ids must be id strings");
      req.cart_item_ids.push_back(*id);
    }
  }
  if (address) {
    ASSIGN_OR_RETURN(account::Address a, account::AddressFromJson(*address));
    req.address = a;
  }
  if (!req.activity.is_null() && !req.activity.is_object()) return Fail(ErrorCode::INVALID_FIELD, "activity must be an object");
  if (coupons) {
    if (!coupons->is_array() || coupons->size() > 5) return Fail(ErrorCode::INVALID_FIELD, "coupon_ids must be an array of at most 5 ids");
    for (auto& v : *coupons) {
      auto id = v.is_string() ? ParseId(v.get<std::string>()) : std::nullopt;
      if (!id) return Fail(ErrorCode::INVALID_FIELD, "coupon_ids must be id strings");
      req.coupon_ids.push_back(*id);
    }
  }
  return req;
}

TradeService::TradeService(pay::SandboxProvider& provider, TradeConfig config) : provider_(provider), config_(config) {
  rules_.push_back(std::make_shared<ShippingRule>(config_));
}

void TradeService::AddPricingRule(std::shared_ptr<PricingRule> rule) {
  rules_.push_back(std::move(rule));
  std::stable_sort(rules_.begin(), rules_.end(), [](auto& a, auto& b) { return a->stage() < b->stage(); });
}

void TradeService::AddObserver(std::shared_ptr<OrderObserver> observer) { observers_.push_back(std::move(observer)); }

// ---- cart ----

Status TradeService::AddToCart(Tx& tx, int64_t buyer_id, int64_t sku_id, int64_t quantity) {
  ASSIGN_OR_RETURN(catalog::Sku sku, catalog::GetSku(tx, sku_id));
  RETURN_IF_ERROR(catalog::GetProduct(tx, sku.product_id, true, {}, false));
  ASSIGN_OR_RETURN(int64_t lines, tx.QueryInt("SELECT count(*) FROM cart_items WHERE user_id=?", {buyer_id}));
  if (lines >= 100) return Fail(ErrorCode::LIMIT_EXCEEDED, "the cart holds at most 100 lines");
  RETURN_IF_ERROR(tx.Run("INSERT INTO cart_items(id, user_id, sku_id, quantity, created_at_ms) VALUES(?,?,?,?,?) "
                         "ON CONFLICT(user_id, sku_id) DO UPDATE SET quantity = MIN(?, quantity + excluded.quantity)",
                         {tx.NewId(), buyer_id, sku_id, quantity, tx.NowMs(), kMaxQuantity}));
  return tx.AppendEvent("cart.added", Json{{"user_id", IdString(buyer_id)}, {"sku_id", IdString(sku_id)}, {"quantity", quantity}});
}

Status TradeService::SetCartQuantity(Tx& tx, int64_t buyer_id, int64_t cart_item_id, int64_t quantity) {
  ASSIGN_OR_RETURN(int64_t n, tx.Exec("UPDATE cart_items SET quantity=? WHERE id=? AND user_id=?", {quantity, cart_item_id, buyer_id}));
  if (n == 0) return Fail(ErrorCode::NOT_FOUND, "cart item not found");
  return Ok();
}

Status TradeService::RemoveFromCart(Tx& tx, int64_t buyer_id, int64_t cart_item_id) {
  ASSIGN_OR_RETURN(int64_t n, tx.Exec("DELETE FROM cart_items WHERE id=? AND user_id=?", {cart_item_id, buyer_id}));
  if (n == 0) return Fail(ErrorCode::NOT_FOUND, "cart item not found");
  return Ok();
}

Result<Json> TradeService::Cart(Reader& r, int64_t buyer_id) {
  ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT c.id, c.sku_id, s.product_id, p.title, s.spec, s.price_fen, c.quantity, p.merchant_id, "
                                      "s.stock, p.images, p.status FROM cart_items c JOIN skus s ON s.id = c.sku_id "
                                      "JOIN products p ON p.id = s.product_id WHERE c.user_id=? ORDER BY c.id DESC",
                                      {buyer_id}));
  Json items = Json::array();
  for (auto& row : rows) {
    Json images = row.JsonAt(9);
    items.push_back(Json{{"id", IdString(row.Int(0))}, {"sku_id", IdString(row.Int(1))}, {"product_id", IdString(row.Int(2))},
                         {"title", row.Str(3)}, {"spec", row.JsonAt(4)}, {"price_fen", row.Int(5)}, {"quantity", row.Int(6)},
                         {"merchant_id", IdString(row.Int(7))}, {"stock", row.Int(8)},
                         {"image", images.is_array() && !images.empty() ? images[0] : Json("")},
                         {"available", row.Str(10) == "on_sale"}});
  }
  return Json{{"items", items}, {"next_cursor", nullptr}};
}

// ---- pricing and checkout ----

Status TradeService::RunPricing(Reader& r, Tx* tx, PricingContext& ctx) {
  int64_t list = 0;
  for (auto& l : ctx.lines) {
    ASSIGN_OR_RETURN(Money line, Money::Fen(l.list_price_fen).Mul(l.quantity));
    list += line.fen();
    l.unit_price_fen = l.list_price_fen;
  }
  ctx.subtotal_fen = 0;
  ctx.AddStep("list", "商品原价", list);
  for (auto& rule : rules_) RETURN_IF_ERROR(rule->Apply(r, tx, ctx));
  ctx.steps.push_back(PricingStep{"total", "应付", 0, ctx.subtotal_fen});
  return Ok();
}

Result<std::vector<PricingContext>> TradeService::PriceRequest(Reader& r, Tx* tx, int64_t buyer_id, const CheckoutRequest& req) {
  std::vector<LineRequest> lines = req.items;
  for (int64_t cid : req.cart_item_ids) {
    ASSIGN_OR_RETURN(auto row, r.QueryOne("SELECT sku_id, quantity FROM cart_items WHERE id=? AND user_id=?", {cid, buyer_id}));
    if (!row) return Fail(ErrorCode::NOT_FOUND, "cart item " + IdString(cid) + " not found");
    lines.push_back(LineRequest{row->Int(0), row->Int(1)});
  }
  // One line per SKU; group by merchant (std::map keeps the order deterministic).
  std::map<int64_t, int64_t> qty_by_sku;
  for (auto& l : lines) qty_by_sku[l.sku_id] += l.quantity;
  std::map<int64_t, PricingContext> by_merchant;
  for (auto& [sku_id, qty] : qty_by_sku) {
    if (qty > kMaxQuantity) return Fail(ErrorCode::LIMIT_EXCEEDED, "at most 999 of one SKU per order");
    ASSIGN_OR_RETURN(catalog::Sku sku, catalog::GetSku(r, sku_id));
    ASSIGN_OR_RETURN(catalog::Product p, catalog::GetProduct(r, sku.product_id, true, {}, false));
    PricingContext& ctx = by_merchant[p.merchant_id];
    ctx.buyer_id = buyer_id;
    ctx.merchant_id = p.merchant_id;
    ctx.activity = req.activity;
    PriceLine line;
    line.sku_id = sku_id;
    line.product_id = p.id;
    line.merchant_id = p.merchant_id;
    line.title = p.title;
    line.category = p.category;
    line.image = p.images.empty() ? "" : p.images[0].get<std::string>();
    line.spec = sku.spec;
    line.list_price_fen = sku.price_fen;
    line.quantity = qty;
    ctx.lines.push_back(std::move(line));
  }
  std::vector<PricingContext> out;
  std::vector<int64_t> coupons_left = req.coupon_ids;
  for (auto& [merchant_id, ctx] : by_merchant) {
    ASSIGN_OR_RETURN(account::Merchant m, account::GetMerchant(r, merchant_id));
    ctx.merchant_kind = m.kind;
    ctx.coupon_ids = coupons_left;
    RETURN_IF_ERROR(RunPricing(r, tx, ctx));
    std::erase_if(coupons_left, [&](int64_t id) { return std::ranges::find(ctx.spent_coupon_ids, id) != ctx.spent_coupon_ids.end(); });
    if (ctx.subtotal_fen > m.settings.max_order_fen)
      return Fail(ErrorCode::LIMIT_EXCEEDED, "order total exceeds this shop's limit of " + std::to_string(m.settings.max_order_fen) + " fen");
    out.push_back(std::move(ctx));
  }
  return out;
}

Result<Json> TradeService::Preview(Reader& r, int64_t buyer_id, const CheckoutRequest& req) {
  ASSIGN_OR_RETURN(auto contexts, PriceRequest(r, nullptr, buyer_id, req));
  Json orders = Json::array();
  int64_t grand = 0;
  for (auto& ctx : contexts) {
    Json steps = Json::array();
    for (auto& s : ctx.steps) steps.push_back(ToJson(s));
    orders.push_back(Json{{"merchant_id", IdString(ctx.merchant_id)}, {"total_fen", ctx.subtotal_fen}, {"pricing", steps}});
    grand += ctx.subtotal_fen;
  }
  return Json{{"orders", orders}, {"total_fen", grand}};
}

Result<std::vector<Order>> TradeService::Checkout(Tx& tx, int64_t buyer_id, const CheckoutRequest& req) {
  ASSIGN_OR_RETURN(auto contexts, PriceRequest(tx, &tx, buyer_id, req));
  // An order ships to the buyer's address; one whose address comes later (a gift) starts
  // with none ({}) unless the buyer gave one anyway.
  Json address_json = Json::object();
  if (req.address || req.address_id) {
    account::Address address;
    if (req.address) {
      address = *req.address;
    } else {
      ASSIGN_OR_RETURN(address, account::GetAddress(tx, buyer_id, *req.address_id));
    }
    address_json = account::ToJson(address);
    address_json.erase("id");
  } else if (!std::ranges::all_of(contexts, [](const PricingContext& c) { return c.address_later; })) {
    return Fail(ErrorCode::MISSING_FIELD, "address or address_id is required");
  }
  int64_t checkout_id = tx.NewId();
  int64_t now = tx.NowMs();
  std::vector<Order> orders;
  for (auto& ctx : contexts) {
    int64_t order_id = tx.NewId();
    int64_t items_fen = ctx.steps.front().amount_fen, shipping_fen = 0, discount_fen = 0;
    Json steps = Json::array();
    for (auto& s : ctx.steps) {
      steps.push_back(ToJson(s));
      if (s.step == "shipping") shipping_fen += s.amount_fen;
      else if (s.step != "list" && s.step != "total") discount_fen -= s.amount_fen;
    }
    Json activity = req.activity.is_null() ? Json(nullptr) : req.activity;
    if (!ctx.order_extra.empty()) {
      if (!activity.is_object()) activity = Json::object();
      activity.update(ctx.order_extra);
    }
    RETURN_IF_ERROR(tx.Run("INSERT INTO orders(id, buyer_id, merchant_id, merchant_kind, status, items_fen, discount_fen, shipping_fen, "
                           "total_fen, address, pricing, activity, checkout_id, created_at_ms, updated_at_ms) "
                           "VALUES(?,?,?,?,'created',?,?,?,?,?,?,?,?,?,?)",
                           {order_id, buyer_id, ctx.merchant_id, ctx.merchant_kind, items_fen, discount_fen, shipping_fen,
                            ctx.subtotal_fen, DumpJson(address_json), DumpJson(steps), DumpJson(activity), checkout_id, now, now}));
    for (auto& l : ctx.lines) {
      RETURN_IF_ERROR(catalog::Reserve(tx, l.sku_id, l.quantity));
      RETURN_IF_ERROR(tx.Run("INSERT INTO order_items(id, order_id, sku_id, product_id, title, spec, image, unit_price_fen, quantity, line_fen) "
                             "VALUES(?,?,?,?,?,?,?,?,?,?)",
                             {tx.NewId(), order_id, l.sku_id, l.product_id, l.title, DumpJson(l.spec), l.image, l.unit_price_fen,
                              l.quantity, l.unit_price_fen * l.quantity}));
    }
    for (auto& rule : rules_) RETURN_IF_ERROR(rule->AfterOrderCreated(tx, ctx, order_id));
    RETURN_IF_ERROR(tx.AddTimer(kTimerUnpaid, now + config_.unpaid_timeout_ms, Json{{"order_id", order_id}}));
    RETURN_IF_ERROR(tx.AppendEvent("order.created", Json{{"order_id", IdString(order_id)}, {"buyer_id", IdString(buyer_id)},
                                                        {"merchant_id", IdString(ctx.merchant_id)}, {"total_fen", ctx.subtotal_fen}}));
    // The order as just written (reading it back cost two queries and three JSON parses).
    Order o;
    o.id = order_id;
    o.buyer_id = buyer_id;
    o.merchant_id = ctx.merchant_id;
    o.merchant_kind = ctx.merchant_kind;
    o.status = "created";
    o.items_fen = items_fen;
    o.discount_fen = discount_fen;
    o.shipping_fen = shipping_fen;
    o.total_fen = ctx.subtotal_fen;
    o.address = address_json;
    o.pricing = std::move(steps);
    o.activity = std::move(activity);
    o.created_at_ms = now;
    for (auto& l : ctx.lines)
      o.items.push_back(OrderItem{l.sku_id, l.product_id, l.title, l.image, l.spec, l.unit_price_fen, l.quantity, l.unit_price_fen * l.quantity});
    orders.push_back(std::move(o));
  }
  for (int64_t cid : req.cart_item_ids) RETURN_IF_ERROR(tx.Run("DELETE FROM cart_items WHERE id=? AND user_id=?", {cid, buyer_id}));
  return orders;
}

// ---- orders ----

Result<Order> TradeService::GetOrder(Reader& r, int64_t order_id, std::optional<int64_t> buyer_id, std::optional<int64_t> merchant_id) {
  ASSIGN_OR_RETURN(Order o, LoadOrder(r, order_id, true));
  if ((buyer_id && o.buyer_id != *buyer_id) || (merchant_id && o.merchant_id != *merchant_id))
    return Fail(ErrorCode::NOT_FOUND, "order not found");
  return o;
}

Result<std::string> TradeService::BuyerOrderStatus(Reader& r, int64_t order_id, int64_t buyer_id) {
  ASSIGN_OR_RETURN(auto row, r.QueryOne("SELECT status FROM orders WHERE id=? AND buyer_id=?", {order_id, buyer_id}));
  if (!row) return Fail(ErrorCode::NOT_FOUND, "order not found");
  return row->Str(0);
}

Result<std::vector<Order>> TradeService::ListOrders(Reader& r, std::optional<int64_t> buyer_id, std::optional<int64_t> merchant_id,
                                                    const std::string& status, int64_t limit, int64_t before_id) {
  // Two queries, whatever the page size: the page, then the lines of the same page (the
  // same selection as a subquery, in the same snapshot).
  const std::string page = std::string(" FROM orders WHERE ") + (buyer_id ? "buyer_id=?" : "merchant_id=?") +
                           " AND (?='' OR status=?) AND (?=0 OR id<?) ORDER BY id DESC LIMIT ?";
  int64_t owner = buyer_id ? *buyer_id : merchant_id.value_or(0);
  ASSIGN_OR_RETURN(Rows rows, r.Query(std::string("SELECT ") + kOrderCols + page, {owner, status, status, before_id, before_id, limit}));
  std::vector<Order> out;
  if (rows.empty()) return out;
  std::map<int64_t, size_t> index;
  for (auto& row : rows) {
    index[row.Int(0)] = out.size();
    out.push_back(OrderFromRow(row));
  }
  ASSIGN_OR_RETURN(Rows items, r.Query("SELECT order_id, sku_id, product_id, title, image, spec, unit_price_fen, quantity, line_fen "
                                       "FROM order_items WHERE order_id IN (SELECT id" + page + ") ORDER BY order_id, id",
                                       {owner, status, status, before_id, before_id, limit}));
  for (auto& it : items)
    if (auto o = index.find(it.Int(0)); o != index.end())
      out[o->second].items.push_back(OrderItem{it.Int(1), it.Int(2), it.Str(3), it.Str(4), it.JsonAt(5), it.Int(6), it.Int(7), it.Int(8)});
  return out;
}

Status TradeService::SetStatus(Tx& tx, Order& o, const std::string& status, const Json& extra) {
  auto from = OrderStatusFromString(o.status), to = OrderStatusFromString(status);
  if (!from || !to || !CanMove(*from, *to))
    return Fail(ErrorCode::INVALID_STATE, "订单状态不能从 " + o.status + " 变为 " + status);
  auto sub = OrderSubStatusFromString(o.sub_status);
  if (!sub || (*sub != OrderSubStatus::kNone && *to != OrderStatus::kPaid))
    return Fail(ErrorCode::INVALID_STATE, "只有已支付的订单可以等待 (" + o.sub_status + ")");
  int64_t now = tx.NowMs();
  const char* time_col = status == "paid" ? "paid_at_ms" : status == "shipped" ? "shipped_at_ms" : status == "delivered" ? "delivered_at_ms"
                         : status == "completed" ? "completed_at_ms" : status == "cancelled" ? "cancelled_at_ms" : nullptr;
  std::string sql = "UPDATE orders SET status=?1, sub_status=?2, status_before_refund=?3, updated_at_ms=?4";
  if (time_col) sql += std::string(", ") + time_col + "=?4";
  // Becoming paid records what was paid and by which payment, in the same statement.
  const bool paid = *to == OrderStatus::kPaid;
  if (paid) sql += ", provider_paid_fen=?7, card_paid_fen=?8, payment_id=?9";
  // Guarded by the status it moves from: a stale read cannot move an order twice.
  sql += " WHERE id=?5 AND status=?6";
  int64_t changed = 0;
  if (paid) {
    ASSIGN_OR_RETURN(changed, tx.Exec(sql, {status, o.sub_status, o.status_before_refund, now, o.id, o.status, o.provider_paid_fen,
                                            o.card_paid_fen, o.payment_id}));
  } else {
    ASSIGN_OR_RETURN(changed, tx.Exec(sql, {status, o.sub_status, o.status_before_refund, now, o.id, o.status}));
  }
  if (changed != 1) return Fail(ErrorCode::INVALID_STATE, "订单状态已变化，请刷新后重试");
  Json payload{{"order_id", IdString(o.id)}, {"buyer_id", IdString(o.buyer_id)}, {"merchant_id", IdString(o.merchant_id)},
               {"from", o.status}, {"to", status}, {"total_fen", o.total_fen}};
  payload.update(extra);
  o.status = status;
  RETURN_IF_ERROR(tx.AppendEvent("order." + status, payload));
  for (auto& ob : observers_) ob->OnStatusChanged(tx, o);
  return Ok();
}

Status TradeService::Cancel(Tx& tx, int64_t order_id, std::optional<int64_t> buyer_id, const std::string& reason) {
  ASSIGN_OR_RETURN(Order o, GetOrder(tx, order_id, buyer_id, std::nullopt));
  if (o.status != "created") return Fail(ErrorCode::INVALID_STATE, "only unpaid orders can be cancelled (order is " + o.status + ")");
  for (auto& it : o.items) RETURN_IF_ERROR(catalog::Release(tx, it.sku_id, it.quantity));
  ASSIGN_OR_RETURN(auto pending, pay::PendingPaymentOf(tx, order_id));
  if (pending) RETURN_IF_ERROR(pay::EndPendingPayment(tx, pending->id, false));
  RETURN_IF_ERROR(SetStatus(tx, o, "cancelled", Json{{"reason", reason}}));
  for (auto& ob : observers_) RETURN_IF_ERROR(ob->OnCancelled(tx, o));
  return Ok();
}

Result<pay::Payment> TradeService::Pay(Tx& tx, int64_t buyer_id, int64_t order_id, int64_t card_fen) {
  ASSIGN_OR_RETURN(Order o, LoadOrder(tx, order_id, false));  // the lines are not needed to pay
  if (o.buyer_id != buyer_id) return Fail(ErrorCode::NOT_FOUND, "order not found");
  if (o.status != "created") return Fail(ErrorCode::INVALID_STATE, "order is " + o.status + ", not awaiting payment");
  ASSIGN_OR_RETURN(auto pending, pay::PendingPaymentOf(tx, order_id));
  if (pending) return *pending;
  return StartOrderPayment(tx, o, card_fen);
}

Result<pay::Payment> TradeService::StartOrderPayment(Tx& tx, Order& o, int64_t card_fen) {
  ASSIGN_OR_RETURN(pay::Payment p, pay::StartPayment(tx, provider_, o.id, o.buyer_id, o.total_fen, card_fen));
  RETURN_IF_ERROR(tx.Run("UPDATE orders SET payment_id=? WHERE id=?", {p.id, o.id}));
  o.payment_id = p.id;
  if (p.amount_fen == 0) {  // store credit covered it all
    ASSIGN_OR_RETURN(bool fresh, pay::SettlePaymentSuccess(tx, p, "card"));
    if (fresh) RETURN_IF_ERROR(OnPaymentSucceeded(tx, p));
    p.status = "succeeded";
    ASSIGN_OR_RETURN(o, LoadOrder(tx, o.id, true));  // paid, perhaps waiting for its group or gift
  }
  return p;
}

Result<std::vector<std::pair<Order, pay::Payment>>> TradeService::CheckoutAndPay(Tx& tx, int64_t buyer_id, const CheckoutRequest& req) {
  ASSIGN_OR_RETURN(std::vector<Order> orders, Checkout(tx, buyer_id, req));
  if (req.card_fen > 0 && orders.size() > 1)
    return Fail(ErrorCode::INVALID_FIELD, "pay.card_fen needs a checkout from one shop; pay each order with store credit instead");
  std::vector<std::pair<Order, pay::Payment>> out;
  for (auto& o : orders) {
    ASSIGN_OR_RETURN(pay::Payment p, StartOrderPayment(tx, o, req.card_fen));
    out.emplace_back(std::move(o), std::move(p));
  }
  return out;
}

Status TradeService::OnPaymentSucceeded(Tx& tx, const pay::Payment& p) {
  const int64_t order_id = p.order_id;
  ASSIGN_OR_RETURN(Order o, LoadOrder(tx, order_id, true));
  o.provider_paid_fen = p.amount_fen;
  o.card_paid_fen = p.card_fen;
  o.payment_id = p.id;
  if (o.status == "cancelled") {
    RETURN_IF_ERROR(tx.Run("UPDATE orders SET provider_paid_fen=?, card_paid_fen=?, payment_id=? WHERE id=?",
                           {o.provider_paid_fen, o.card_paid_fen, p.id, order_id}));
    // Paid after the order was cancelled (the buyer paid on an old page): refund it all.
    o.status_before_refund = "cancelled";
    RETURN_IF_ERROR(SetStatus(tx, o, "refunding", Json{{"reason", "paid after cancellation"}}));
    ASSIGN_OR_RETURN(pay::Refund rf, pay::StartRefund(tx, provider_, order_id, o.provider_paid_fen + o.card_paid_fen, 0, "paid after cancellation"));
    if (rf.status == "succeeded") RETURN_IF_ERROR(OnRefundCompleted(tx, rf.id));
    return Ok();
  }
  if (o.status != "created") return Fail(ErrorCode::INTERNAL, "payment for an order in state " + o.status);
  for (auto& it : o.items) RETURN_IF_ERROR(catalog::Sell(tx, it.sku_id, it.quantity));
  for (auto& ob : observers_) RETURN_IF_ERROR(ob->OnPaid(tx, o));
  return SetStatus(tx, o, "paid", Json{{"paid_fen", o.provider_paid_fen + o.card_paid_fen}});  // writes the amounts too
}

Result<std::string> TradeService::ApplyNotification(Tx& tx, const pay::Notification& n) {
  ASSIGN_OR_RETURN(bool first, pay::FirstSighting(tx, n.notify_id));
  if (!first) return std::string("duplicate");
  // Believe only what the provider's own records say (the query API), not the message alone.
  ASSIGN_OR_RETURN(pay::ProviderTxn t, provider_.Query(tx, n.prepay_id));
  if (t.amount_fen != n.amount_fen || t.out_no != n.out_no)
    return Fail(ErrorCode::RULE_VIOLATION, "notification disagrees with the provider's records");
  if (n.event == "payment.succeeded" || n.event == "payment.failed") {
    ASSIGN_OR_RETURN(pay::Payment p, pay::PaymentByPrepay(tx, n.prepay_id));
    if (n.event == "payment.succeeded") {
      if (t.status != "SUCCESS") return Fail(ErrorCode::RULE_VIOLATION, "provider has no successful payment for this notification");
      ASSIGN_OR_RETURN(bool fresh, pay::SettlePaymentSuccess(tx, p, n.transaction_id));
      if (fresh) RETURN_IF_ERROR(OnPaymentSucceeded(tx, p));
      return std::string(fresh ? "paid" : "already_paid");
    }
    RETURN_IF_ERROR(pay::EndPendingPayment(tx, p.id, true));
    return std::string("failed");
  }
  if (n.event == "refund.succeeded") {
    auto refund_id = ParseId(n.out_no);
    if (!refund_id) return Fail(ErrorCode::INVALID_FIELD, "bad refund number");
    ASSIGN_OR_RETURN(bool fresh, pay::CompleteRefund(tx, *refund_id));
    if (fresh) RETURN_IF_ERROR(OnRefundCompleted(tx, *refund_id));
    return std::string(fresh ? "refunded" : "already_refunded");
  }
  return Fail(ErrorCode::INVALID_FIELD, "unknown notification event " + n.event);
}

Result<std::string> TradeService::QueryPayment(Tx& tx, int64_t payment_id) {
  ASSIGN_OR_RETURN(pay::Payment p, pay::GetPayment(tx, payment_id));
  if (p.status != "pending" || p.prepay_id.empty()) return p.status;
  ASSIGN_OR_RETURN(pay::ProviderTxn t, provider_.Query(tx, p.prepay_id));
  if (t.status == "SUCCESS") {
    ASSIGN_OR_RETURN(bool fresh, pay::SettlePaymentSuccess(tx, p, t.transaction_id));
    if (fresh) RETURN_IF_ERROR(OnPaymentSucceeded(tx, p));
    return std::string("succeeded");
  }
  if (t.status == "FAIL") {
    RETURN_IF_ERROR(pay::EndPendingPayment(tx, p.id, true));
    return std::string("failed");
  }
  return std::string("pending");
}

Status TradeService::Confirm(Tx& tx, int64_t order_id, std::optional<int64_t> buyer_id) {
  ASSIGN_OR_RETURN(Order o, GetOrder(tx, order_id, buyer_id, std::nullopt));
  if (o.status != "shipped" && o.status != "delivered")
    return Fail(ErrorCode::INVALID_STATE, "only shipped or delivered orders can be confirmed (order is " + o.status + ")");
  ASSIGN_OR_RETURN(account::Merchant m, account::GetMerchant(tx, o.merchant_id));
  int64_t kept = o.provider_paid_fen + o.card_paid_fen - o.refunded_fen;
  ASSIGN_OR_RETURN(Money commission, Money::Fen(kept).ApplyBps(m.settings.commission_bps));
  RETURN_IF_ERROR(tx.Run("UPDATE orders SET commission_fen=? WHERE id=?", {commission.fen(), order_id}));
  o.commission_fen = commission.fen();
  std::vector<pay::Posting> shares;
  for (auto& ob : observers_) RETURN_IF_ERROR(ob->OnCompleting(tx, o, &shares));
  int64_t net = kept - commission.fen();
  for (auto& p : shares) net -= p.amount_fen;
  if (net < 0) return Fail(ErrorCode::INTERNAL, "shares exceed the merchant's net");
  if (!shares.empty()) {
    int64_t total = 0;
    for (auto& p : shares) total += p.amount_fen;
    shares.push_back({pay::kEscrow, -total});
    RETURN_IF_ERROR(pay::Post(tx, "order.shares", order_id, shares));
  }
  RETURN_IF_ERROR(pay::SettleOrderCompletion(tx, order_id, o.merchant_id, net, commission.fen(), m.settings.hold_days));
  RETURN_IF_ERROR(SetStatus(tx, o, "completed", Json{{"commission_fen", commission.fen()}}));
  for (auto& ob : observers_) RETURN_IF_ERROR(ob->OnCompleted(tx, o));
  return Ok();
}

Status TradeService::MarkShipped(Tx& tx, int64_t merchant_id, int64_t order_id) {
  ASSIGN_OR_RETURN(Order o, GetOrder(tx, order_id, std::nullopt, merchant_id));
  if (o.status != "paid") return Fail(ErrorCode::INVALID_STATE, "only paid orders can be shipped (order is " + o.status + ")");
  if (!o.sub_status.empty()) return Fail(ErrorCode::INVALID_STATE, "order is waiting (" + o.sub_status + ") and cannot ship yet");
  RETURN_IF_ERROR(SetStatus(tx, o, "shipped"));
  return ToStatus(tx.AddTimer(kTimerAutoConfirm, tx.NowMs() + config_.auto_confirm_ms, Json{{"order_id", order_id}}));
}

Status TradeService::MarkDelivered(Tx& tx, int64_t order_id) {
  ASSIGN_OR_RETURN(Order o, LoadOrder(tx, order_id, false));
  if (o.status != "shipped") return Ok();  // a late tracking event after confirmation changes nothing
  return SetStatus(tx, o, "delivered");
}

Status TradeService::ReleaseWait(Tx& tx, int64_t order_id, const std::string& expected_sub_status, const Json* new_address) {
  auto waiting = OrderSubStatusFromString(expected_sub_status);
  if (!waiting || !CanMove(*waiting, OrderSubStatus::kNone)) return Fail(ErrorCode::INVALID_STATE, "不是等待状态: " + expected_sub_status);
  std::optional<std::string> address;
  if (new_address) address = DumpJson(*new_address);
  ASSIGN_OR_RETURN(int64_t n, tx.Exec("UPDATE orders SET sub_status='', address=COALESCE(?, address), updated_at_ms=? "
                                      "WHERE id=? AND status='paid' AND sub_status=?",
                                      {address, tx.NowMs(), order_id, expected_sub_status}));
  if (n == 0) return Fail(ErrorCode::INVALID_STATE, "the order is not waiting (" + expected_sub_status + ")");
  return tx.AppendEvent("order.released", Json{{"order_id", IdString(order_id)}, {"from", expected_sub_status}});
}

Status TradeService::RefundOrder(Tx& tx, int64_t order_id, int64_t amount_fen, const std::string& reason) {
  ASSIGN_OR_RETURN(Order o, LoadOrder(tx, order_id, false));
  if (o.status != "paid") return Fail(ErrorCode::INVALID_STATE, "only paid, unshipped orders can be refunded this way");
  o.status_before_refund = o.status;
  o.sub_status = "";
  RETURN_IF_ERROR(SetStatus(tx, o, "refunding", Json{{"reason", reason}}));
  ASSIGN_OR_RETURN(pay::Refund rf, pay::StartRefund(tx, provider_, order_id, amount_fen, o.refunded_fen, reason));
  if (rf.status == "succeeded") RETURN_IF_ERROR(OnRefundCompleted(tx, rf.id));
  return Ok();
}

Status TradeService::OnRefundCompleted(Tx& tx, int64_t refund_id) {
  ASSIGN_OR_RETURN(pay::Refund rf, pay::GetRefund(tx, refund_id));
  ASSIGN_OR_RETURN(Order o, LoadOrder(tx, rf.order_id, true));
  int64_t amount = rf.provider_fen + rf.card_fen;
  o.refunded_fen += amount;
  RETURN_IF_ERROR(tx.Run("UPDATE orders SET refunded_fen=? WHERE id=?", {o.refunded_fen, o.id}));
  ASSIGN_OR_RETURN(auto as_row, tx.QueryOne("SELECT id FROM aftersales WHERE refund_id=?", {refund_id}));
  if (as_row) {
    ASSIGN_OR_RETURN(Aftersale a, GetAftersale(tx, as_row->Int(0), std::nullopt, std::nullopt));
    RETURN_IF_ERROR(MoveAftersale(tx, a, AftersaleStatus::kRefunded));
  }
  bool full = o.refunded_fen >= o.provider_paid_fen + o.card_paid_fen;
  std::string next = full ? "refunded" : o.status_before_refund;
  if (next.empty()) next = "paid";
  o.status_before_refund = "";
  RETURN_IF_ERROR(SetStatus(tx, o, next, Json{{"refunded_fen", o.refunded_fen}}));
  for (auto& ob : observers_) RETURN_IF_ERROR(ob->OnRefunded(tx, o, amount));
  return Ok();
}

// ---- after-sales ----

Result<Aftersale> TradeService::GetAftersale(Reader& r, int64_t id, std::optional<int64_t> buyer_id, std::optional<int64_t> merchant_id) {
  ASSIGN_OR_RETURN(auto row, r.QueryOne(std::string("SELECT ") + kAftersaleCols + " FROM aftersales WHERE id=?", {id}));
  if (!row) return Fail(ErrorCode::NOT_FOUND, "after-sales request not found");
  std::vector<Aftersale> one{AftersaleFromRow(*row)};
  if ((buyer_id && one[0].buyer_id != *buyer_id) || (merchant_id && one[0].merchant_id != *merchant_id))
    return Fail(ErrorCode::NOT_FOUND, "after-sales request not found");
  RETURN_IF_ERROR(LoadAftersaleItems(r, one, "?", {id}));
  return std::move(one[0]);
}

Result<std::optional<Aftersale>> TradeService::LatestAftersale(Reader& r, int64_t order_id) {
  ASSIGN_OR_RETURN(auto row, r.QueryOne(std::string("SELECT ") + kAftersaleCols + " FROM aftersales WHERE order_id=? ORDER BY id DESC LIMIT 1",
                                        {order_id}));
  if (!row) return std::optional<Aftersale>();
  std::vector<Aftersale> one{AftersaleFromRow(*row)};
  RETURN_IF_ERROR(LoadAftersaleItems(r, one, "?", {one[0].id}));
  return std::optional<Aftersale>(std::move(one[0]));
}

Result<std::vector<Aftersale>> TradeService::MerchantAftersales(Reader& r, int64_t merchant_id, const std::string& status, int64_t limit) {
  const std::string where = " FROM aftersales WHERE merchant_id=? AND (?='' OR status=?) ORDER BY id DESC LIMIT ?";
  ASSIGN_OR_RETURN(Rows rows, r.Query(std::string("SELECT ") + kAftersaleCols + where, {merchant_id, status, status, limit}));
  std::vector<Aftersale> out;
  for (auto& row : rows) out.push_back(AftersaleFromRow(row));
  RETURN_IF_ERROR(LoadAftersaleItems(r, out, "SELECT id" + where, {merchant_id, status, status, limit}));
  return out;
}

Result<Aftersale> TradeService::RequestAftersale(Tx& tx, int64_t buyer_id, int64_t order_id, const AftersaleRequest& req) {
  const std::string& type = req.type;
  const int64_t amount_fen = req.amount_fen;
  if (type != "refund_only" && type != "return_refund") return Fail(ErrorCode::INVALID_FIELD, "type must be refund_only or return_refund");
  if (type == "refund_only" && !req.items.empty()) return Fail(ErrorCode::INVALID_FIELD, "仅退款无需填写退货商品 (items 只用于 return_refund)");
  ASSIGN_OR_RETURN(Order o, GetOrder(tx, order_id, buyer_id, std::nullopt));
  if (o.status != "paid" && o.status != "shipped" && o.status != "delivered")
    return Fail(ErrorCode::INVALID_STATE, "after-sales is open for paid, shipped or delivered orders (order is " + o.status + ")");
  if (!o.sub_status.empty()) return Fail(ErrorCode::INVALID_STATE, "order is waiting (" + o.sub_status + ")");
  if (type == "return_refund" && o.status == "paid") return Fail(ErrorCode::RULE_VIOLATION, "nothing to return: the order has not shipped");
  int64_t refundable = o.provider_paid_fen + o.card_paid_fen - o.refunded_fen;
  if (amount_fen <= 0 || amount_fen > refundable)
    return Fail(ErrorCode::RULE_VIOLATION, "refund amount must be 1.." + std::to_string(refundable) + " fen");
  std::vector<LineRequest> returned;
  if (type == "return_refund") {
    ASSIGN_OR_RETURN(auto left, ReturnableUnits(tx, order_id));
    if (req.items.empty()) {
      for (auto& [sku, qty] : left)
        if (qty > 0) returned.push_back(LineRequest{sku, qty});
    } else {
      std::map<int64_t, int64_t> asked;
      for (auto& l : req.items) asked[l.sku_id] += l.quantity;
      for (auto& [sku, qty] : asked) {
        auto it = left.find(sku);
        if (it == left.end()) return Fail(ErrorCode::INVALID_FIELD, "退货商品 " + IdString(sku) + " 不在此订单中");
        if (qty > it->second)
          return Fail(ErrorCode::RULE_VIOLATION, "商品 " + IdString(sku) + " 最多可退 " + std::to_string(it->second) + " 件");
        returned.push_back(LineRequest{sku, qty});
      }
    }
    if (returned.empty()) return Fail(ErrorCode::RULE_VIOLATION, "没有可退的商品：已全部退回或正在退回");
  }
  const std::string& reason = req.reason;
  Aftersale a;
  a.id = tx.NewId();
  a.order_id = order_id;
  a.buyer_id = buyer_id;
  a.merchant_id = o.merchant_id;
  a.type = type;
  a.amount_fen = amount_fen;
  a.reason = reason;
  a.status = "pending";
  a.created_at_ms = tx.NowMs();
  RETURN_IF_ERROR(tx.Run("INSERT INTO aftersales(id, order_id, buyer_id, merchant_id, type, amount_fen, reason, status, created_at_ms, updated_at_ms) "
                         "VALUES(?,?,?,?,?,?,?,'pending',?,?)",
                         {a.id, order_id, buyer_id, o.merchant_id, type, amount_fen, reason, a.created_at_ms, a.created_at_ms}));
  for (auto& l : returned)
    RETURN_IF_ERROR(tx.Run("INSERT INTO aftersale_items(aftersale_id, order_id, sku_id, quantity) VALUES(?,?,?,?)",
                           {a.id, order_id, l.sku_id, l.quantity}));
  a.items = std::move(returned);
  o.status_before_refund = o.status;
  RETURN_IF_ERROR(SetStatus(tx, o, "refunding", Json{{"aftersale_id", IdString(a.id)}}));
  RETURN_IF_ERROR(tx.AddTimer(kTimerAftersale, tx.NowMs() + config_.aftersale_timeout_ms, Json{{"aftersale_id", a.id}}));
  return a;
}

Status TradeService::StartAftersaleRefund(Tx& tx, Aftersale& a, Order& o) {
  ASSIGN_OR_RETURN(pay::Refund rf, pay::StartRefund(tx, provider_, o.id, a.amount_fen, o.refunded_fen, "after-sales " + IdString(a.id)));
  RETURN_IF_ERROR(MoveAftersale(tx, a, AftersaleStatus::kRefunding));
  RETURN_IF_ERROR(tx.Run("UPDATE aftersales SET refund_id=? WHERE id=?", {rf.id, a.id}));
  a.refund_id = rf.id;
  if (rf.status == "succeeded") {
    RETURN_IF_ERROR(OnRefundCompleted(tx, rf.id));
    a.status = "refunded";
  }
  return Ok();
}

Result<Aftersale> TradeService::ApproveAftersale(Tx& tx, int64_t id, std::optional<int64_t> merchant_id) {
  ASSIGN_OR_RETURN(Aftersale a, GetAftersale(tx, id, std::nullopt, merchant_id));
  if (a.status != "pending") {
    if (!merchant_id) return a;  // the timeout found it handled already
    return Fail(ErrorCode::INVALID_STATE, "request is " + a.status + ", not pending");
  }
  ASSIGN_OR_RETURN(Order o, LoadOrder(tx, a.order_id, true));
  RETURN_IF_ERROR(tx.AppendEvent("aftersale.approved", Json{{"aftersale_id", IdString(id)}, {"by", merchant_id ? "merchant" : "timeout"}}));
  if (a.type == "return_refund") {
    RETURN_IF_ERROR(MoveAftersale(tx, a, AftersaleStatus::kAwaitingReturn));
    return a;
  }
  RETURN_IF_ERROR(StartAftersaleRefund(tx, a, o));
  return a;
}

Result<Aftersale> TradeService::RejectAftersale(Tx& tx, int64_t id, int64_t merchant_id, const std::string& reason) {
  ASSIGN_OR_RETURN(Aftersale a, GetAftersale(tx, id, std::nullopt, merchant_id));
  ASSIGN_OR_RETURN(Order o, LoadOrder(tx, a.order_id, false));
  RETURN_IF_ERROR(MoveAftersale(tx, a, AftersaleStatus::kRejected));
  RETURN_IF_ERROR(tx.Run("UPDATE aftersales SET reject_reason=? WHERE id=?", {reason, id}));
  std::string back = o.status_before_refund.empty() ? "paid" : o.status_before_refund;
  o.status_before_refund = "";
  RETURN_IF_ERROR(SetStatus(tx, o, back, Json{{"aftersale_id", IdString(id)}, {"rejected", true}}));
  a.reject_reason = reason;
  return a;
}

Result<Aftersale> TradeService::ReturnGoods(Tx& tx, int64_t id, int64_t buyer_id, const std::string& carrier, const std::string& tracking_no) {
  ASSIGN_OR_RETURN(Aftersale a, GetAftersale(tx, id, buyer_id, std::nullopt));
  RETURN_IF_ERROR(MoveAftersale(tx, a, AftersaleStatus::kReturned));
  RETURN_IF_ERROR(tx.Run("UPDATE aftersales SET return_carrier=?, return_tracking_no=?, updated_at_ms=? WHERE id=?",
                         {carrier, tracking_no, tx.NowMs(), id}));
  a.return_carrier = carrier;
  a.return_tracking_no = tracking_no;
  return a;
}

Result<Aftersale> TradeService::ReceiveReturn(Tx& tx, int64_t id, int64_t merchant_id) {
  ASSIGN_OR_RETURN(Aftersale a, GetAftersale(tx, id, std::nullopt, merchant_id));
  if (a.status != "returned") return Fail(ErrorCode::INVALID_STATE, "request is " + a.status + ", the goods are not on their way back");
  ASSIGN_OR_RETURN(Order o, LoadOrder(tx, a.order_id, false));
  // What came back returns to stock: the request's items, not the whole order.
  for (auto& it : a.items) RETURN_IF_ERROR(catalog::Restock(tx, it.sku_id, it.quantity));
  RETURN_IF_ERROR(StartAftersaleRefund(tx, a, o));
  return a;
}

void TradeService::RegisterTimers(TimerService& timers) {
  timers.Register(kTimerUnpaid, [this](Tx& tx, const Json& p) -> Status {
    int64_t order_id = p.at("order_id").get<int64_t>();
    ASSIGN_OR_RETURN(Order o, LoadOrder(tx, order_id, false));
    if (o.status != "created") return Ok();
    // Ask the provider first: a buyer who paid just before the deadline keeps the order.
    ASSIGN_OR_RETURN(auto pending, pay::PendingPaymentOf(tx, order_id));
    if (pending) {
      ASSIGN_OR_RETURN(std::string state, QueryPayment(tx, pending->id));
      if (state == "succeeded") return Ok();
    }
    return Cancel(tx, order_id, std::nullopt, "unpaid timeout");
  });
  timers.Register(kTimerAutoConfirm, [this](Tx& tx, const Json& p) -> Status {
    int64_t order_id = p.at("order_id").get<int64_t>();
    ASSIGN_OR_RETURN(Order o, LoadOrder(tx, order_id, false));
    if (o.status == "refunding")  // wait for the after-sales request to end
      return ToStatus(tx.AddTimer(kTimerAutoConfirm, tx.NowMs() + 24 * 3600 * 1000, p));
    if (o.status != "shipped" && o.status != "delivered") return Ok();
    return Confirm(tx, order_id, std::nullopt);
  });
  timers.Register(kTimerAftersale, [this](Tx& tx, const Json& p) -> Status {
    return ToStatus(ApproveAftersale(tx, p.at("aftersale_id").get<int64_t>(), std::nullopt));
  });
  timers.Register(pay::kTimerSettle, [](Tx& tx, const Json& p) -> Status { return pay::ReleaseSettlement(tx, p.at("order_id").get<int64_t>()); });
}

Result<std::vector<std::string>> TradeService::Check(Reader& r) {
  std::vector<std::string> problems;
  ASSIGN_OR_RETURN(int64_t escrow, pay::Balance(r, pay::kEscrow));
  // Escrow holds what buyers paid for orders not yet completed, minus refunds already posted.
  ASSIGN_OR_RETURN(int64_t paid_open, r.QueryInt("SELECT COALESCE(SUM(provider_paid_fen + card_paid_fen),0) FROM orders WHERE status IN (" + OrderStatusSql(EscrowHolds) + ")"));
  ASSIGN_OR_RETURN(int64_t refunds_open, r.QueryInt("SELECT COALESCE(SUM(f.card_fen + CASE WHEN f.status='succeeded' THEN f.provider_fen ELSE 0 END),0) "
                                                    "FROM refunds f JOIN orders o ON o.id = f.order_id WHERE o.status IN (" + OrderStatusSql(EscrowHolds) + ")"));
  if (escrow != paid_open - refunds_open)
    problems.push_back("escrow holds " + std::to_string(escrow) + " fen but open orders account for " + std::to_string(paid_open - refunds_open));
  ASSIGN_OR_RETURN(Rows totals, r.Query("SELECT id, total_fen, items_fen - discount_fen + shipping_fen, pricing FROM orders "
                                        "WHERE total_fen <> items_fen - discount_fen + shipping_fen OR total_fen < 0 LIMIT 10"));
  for (auto& row : totals) problems.push_back("order " + IdString(row.Int(0)) + " total " + std::to_string(row.Int(1)) + " disagrees with its parts");
  ASSIGN_OR_RETURN(Rows double_paid, r.Query("SELECT order_id, count(*) FROM payments WHERE status='succeeded' GROUP BY order_id HAVING count(*) > 1 LIMIT 10"));
  for (auto& row : double_paid) problems.push_back("order " + IdString(row.Int(0)) + " charged " + std::to_string(row.Int(1)) + " times");
  ASSIGN_OR_RETURN(Rows over_refund, r.Query("SELECT id FROM orders WHERE refunded_fen > provider_paid_fen + card_paid_fen LIMIT 10"));
  for (auto& row : over_refund) problems.push_back("order " + IdString(row.Int(0)) + " refunded more than paid");
  ASSIGN_OR_RETURN(Rows paid_mismatch, r.Query("SELECT id FROM orders WHERE status IN (" + OrderStatusSql(PaidInFull) + ") "
                                               "AND provider_paid_fen + card_paid_fen <> total_fen LIMIT 10"));
  for (auto& row : paid_mismatch) problems.push_back("order " + IdString(row.Int(0)) + " is paid but the payment differs from its total");
  // Returns: no order line returned beyond what was bought, and each SKU's restocked count
  // (skus.returned) equals the units received returns brought back.
  ASSIGN_OR_RETURN(Rows over_return, r.Query("SELECT oi.order_id, oi.sku_id, oi.quantity, SUM(ai.quantity) FROM aftersale_items ai "
                                             "JOIN aftersales a ON a.id = ai.aftersale_id JOIN order_items oi ON oi.order_id = ai.order_id "
                                             "AND oi.sku_id = ai.sku_id WHERE a.status IN (" + AftersaleStatusSql(ClaimsItems) + ") "
                                             "GROUP BY oi.order_id, oi.sku_id, oi.quantity HAVING SUM(ai.quantity) > oi.quantity LIMIT 10"));
  for (auto& row : over_return)
    problems.push_back("order " + IdString(row.Int(0)) + " sku " + IdString(row.Int(1)) + ": " + std::to_string(row.Int(3)) +
                       " units returned of " + std::to_string(row.Int(2)) + " bought");
  ASSIGN_OR_RETURN(Rows restock, r.Query("SELECT s.id, s.returned, COALESCE(x.q, 0) FROM skus s LEFT JOIN (SELECT ai.sku_id, SUM(ai.quantity) q "
                                         "FROM aftersale_items ai JOIN aftersales a ON a.id = ai.aftersale_id "
                                         "WHERE a.status IN (" + AftersaleStatusSql(GoodsReceived) + ") GROUP BY ai.sku_id) x ON x.sku_id = s.id "
                                         "WHERE s.returned <> COALESCE(x.q, 0) LIMIT 10"));
  for (auto& row : restock)
    problems.push_back("sku " + IdString(row.Int(0)) + ": restocked " + std::to_string(row.Int(1)) + " units but returns brought back " +
                       std::to_string(row.Int(2)));
  return problems;
}

}  // namespace xd::trade
