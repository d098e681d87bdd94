// What trade's own files share (cart, pricing, checkout, orders, after-sales, the service);
// nothing outside src/trade includes this.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/limits.h"
#include "store/store.h"
#include "trade/states.h"
#include "trade/trade.h"

namespace xd::trade {

// The "items" of a checkout or a return: 1..limits::kMaxOrderLines lines of {sku_id, quantity} (checkout.cc).
Result<std::vector<LineRequest>> ReadLineRequests(const Json& items);

// Orders (orders.cc).
Order OrderFromRow(const Row& r);
// The order, NOT_FOUND if there is none; its lines too when `with_items`.
Result<Order> LoadOrder(Reader& r, int64_t order_id, bool with_items);

// After-sales (aftersales.cc).
Aftersale AftersaleFromRow(const Row& r);
// Attaches each request's returned items: one query for all of `list`, whose ids are those
// `ids_sql` selects with `params`.
Status LoadAftersaleItems(Reader& r, std::vector<Aftersale>& list, const std::string& ids_sql, Params params);
// Moves a request along the after-sales table (INVALID_STATE for a move it does not list),
// guarded by the status it moves from.
Status MoveAftersale(Tx& tx, Aftersale& a, AftersaleStatus to);
// Per SKU of the order: units still returnable.
Result<std::map<int64_t, int64_t>> ReturnableUnits(Reader& r, int64_t order_id);

// Pricing (pricing.cc): the built-in last stage, shipping.
std::shared_ptr<PricingRule> NewShippingRule(const TradeConfig& config);

}  // namespace xd::trade
