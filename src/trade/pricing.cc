// The pricing pipeline: list prices, the registered PricingRule stages, shipping; the preview.
#include "trade/trade.h"

#include <algorithm>
#include <map>

#include "base/id.h"
#include "base/messages.h"
#include "base/money.h"
#include "catalog/catalog.h"
#include "trade/internal/trade_internal.h"
#include "trade/states.h"

namespace xd::trade {

// The built-in last stage: shipping per merchant order by the products' freight templates
// (freight.cc); without templates the platform's rule, free at or above a threshold.
namespace {

class ShippingRule final : public PricingRule {
 public:
  explicit ShippingRule(const TradeConfig& c) : config_(c) {}
  int stage() const override { return 500; }
  Status Apply(Reader& r, Tx*, PricingContext& ctx) override {
    // Collected at a pickup point (community group buying sets it in the order's extras).
    if (ctx.order_extra.is_object() && ctx.order_extra.value("delivery", "") == "pickup") {
      ctx.AddStep("shipping", "到自提点自提", 0);
      return Ok();
    }
    return PriceShipping(r, config_, ctx);
  }

 private:
  const TradeConfig& config_;
};

}  // namespace

std::shared_ptr<PricingRule> NewShippingRule(const TradeConfig& config) { return std::make_shared<ShippingRule>(config); }

Json ToJson(const PricingStep& s) {
  return Json{{"step", s.step}, {"label", s.label}, {"amount_fen", s.amount_fen}, {"subtotal_fen", s.subtotal_fen}};
}

void PricingContext::AddStep(std::string step, std::string label, int64_t amount_fen) {
  // A discount never takes the subtotal below zero.
  if (subtotal_fen + amount_fen < 0) amount_fen = -subtotal_fen;
  subtotal_fen += amount_fen;
  steps.push_back(PricingStep{std::move(step), std::move(label), amount_fen, subtotal_fen});
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
    if (!row) return Fail(Msg::CART_ITEM_NOT_FOUND, {{"cart_item_id", IdString(cid)}});
    lines.push_back(LineRequest{row->Int(0), row->Int(1)});
  }
  // One line per SKU; group by merchant (std::map keeps the order deterministic).
  std::map<int64_t, int64_t> qty_by_sku;
  for (auto& l : lines) qty_by_sku[l.sku_id] += l.quantity;
  std::map<int64_t, PricingContext> by_merchant;
  for (auto& [sku_id, qty] : qty_by_sku) {
    if (qty > limits::kMaxLineQuantity)
      return Fail(Msg::LINE_QUANTITY_LIMIT, {{"max", limits::kMaxLineQuantity}});
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
    line.freight_template_id = p.freight_template_id;
    line.weight_g = sku.weight_g;
    ctx.lines.push_back(std::move(line));
  }
  // Where the orders ship (none yet in a preview without an address, or for a gift).
  std::optional<account::Address> ship_to = req.address;
  if (!ship_to && req.address_id) {
    ASSIGN_OR_RETURN(account::Address a, account::GetAddress(r, buyer_id, *req.address_id));
    ship_to = std::move(a);
  }
  std::vector<PricingContext> out;
  std::vector<int64_t> coupons_left = req.coupon_ids;
  for (auto& [merchant_id, ctx] : by_merchant) {
    ASSIGN_OR_RETURN(account::Merchant m, account::GetMerchant(r, merchant_id));
    ctx.merchant_kind = m.kind;
    ctx.coupon_ids = coupons_left;
    if (auto it = req.redeem_points.find(merchant_id); it != req.redeem_points.end()) ctx.redeem_points = it->second;
    ctx.ship_to = ship_to;
    RETURN_IF_ERROR(RunPricing(r, tx, ctx));
    std::erase_if(coupons_left, [&](int64_t id) { return std::ranges::find(ctx.spent_coupon_ids, id) != ctx.spent_coupon_ids.end(); });
    if (ctx.subtotal_fen > m.settings.max_order_fen)
      return Fail(Msg::ORDER_TOTAL_LIMIT, {Fen("max", m.settings.max_order_fen)});
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

}  // namespace xd::trade
